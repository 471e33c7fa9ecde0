/**
 * The portal as an SSH user certificate authority, one per SSH connector (ADR 0036). The CA key
 * is Ed25519, generated when the connector is attached; its private half is sealed at rest by the
 * framework like any connector credential and unsealed in memory for one signing.
 */
import { generateKeyPairSync } from "node:crypto";
import sshpk from "sshpk";

export type TCertificateRequest = {
  /** The CA's private key, PKCS#8 PEM (what `generateCaPrivateKey` returns). */
  caPrivateKey: string;
  subjectKey: sshpk.Key;
  /** The Unix users the holder may log in as (sshd matches them against AuthorizedPrincipals or the user name). */
  principals: string[];
  /** Names the grant and the person, for the host's log ("Accepted publickey … ID <keyId> (serial N)"). */
  keyId: string;
  /** Positive, unique per CA: what the KRL revokes. */
  serial: bigint;
  validAfter: Date;
  validBefore: Date;
  /**
   * The certificate's force-command: sshd runs it instead of whatever the client asked for
   * (which it gets as SSH_ORIGINAL_COMMAND). The SSH connector's session guard (ADR 0053).
   */
  forceCommand?: string;
};

export const generateCaPrivateKey = (): string =>
  generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();

const parseCa = (caPrivateKey: string): sshpk.PrivateKey => sshpk.parsePrivateKey(caPrivateKey, "pkcs8");

/** The line for the hosts' TrustedUserCAKeys file. */
export const caPublicKeyLine = (caPrivateKey: string, comment = "jit-access-portal"): string =>
  `${parseCa(caPrivateKey).toPublic().toString("ssh").split(" ").slice(0, 2).join(" ")} ${comment}`;

/**
 * OpenSSH counts validity in whole seconds. The end is rounded down, so a certificate never
 * outlives its grant. The start is rounded down too: certificates are signed only while the grant
 * is live (now >= startsAt), so that part of a second is already past when one is signed, and an
 * engineer who logs in the moment the grant starts is not refused for "not yet valid" (rounding
 * up did exactly that, for up to a second).
 */
export const certificateWindow = (startsAt: Date, expiresAt: Date) => ({
  validAfter: new Date(Math.floor(startsAt.getTime() / 1000) * 1000),
  validBefore: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000),
});

const serialBytes = (serial: bigint): Buffer => {
  if (serial <= 0n || serial >= 2n ** 64n) throw new Error("certificate serial out of range");
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(serial);
  return bytes;
};

type TCertificateOption = { name: string; critical: boolean; data: Buffer };

/** Only a pty: no agent, port or X11 forwarding unless a later setting asks for them. */
const EXTENSIONS: TCertificateOption[] = [{ name: "permit-pty", critical: false, data: Buffer.alloc(0) }];

/** An SSH string (uint32 length, then the bytes): a critical option's value is one, inside its data. */
const sshString = (value: string): Buffer => {
  const bytes = Buffer.from(value, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

type TOpenSshSignature = { keyId?: string; exts?: TCertificateOption[]; signature?: unknown };

/** Signs a user certificate; returns its OpenSSH line (`ssh-ed25519-cert-v01@openssh.com AAAA… keyId`). */
export const signUserCertificate = (request: TCertificateRequest): string => {
  const { validAfter, validBefore } = request;
  if (request.principals.length === 0) throw new Error("a certificate needs at least one principal");
  if (validBefore <= validAfter) throw new Error("certificate window is empty");
  if (validAfter.getTime() % 1000 !== 0 || validBefore.getTime() % 1000 !== 0)
    throw new Error("certificate window must be whole seconds (use certificateWindow)");
  const ca = parseCa(request.caPrivateKey);
  const certificate = sshpk.createCertificate(
    request.principals.map((principal) => sshpk.identityForUser(principal)),
    request.subjectKey,
    sshpk.identityForUser("jit-access-portal"),
    ca,
    { validFrom: validAfter, validUntil: validBefore, serial: serialBytes(request.serial) },
  );
  // sshpk signs with a default key id and no extensions; set ours, then sign again.
  const openssh = certificate.signatures.openssh as TOpenSshSignature;
  openssh.keyId = request.keyId;
  openssh.exts = [
    ...(request.forceCommand ? [{ name: "force-command", critical: true, data: sshString(request.forceCommand) }] : []),
    ...EXTENSIONS,
  ];
  certificate.signWith(ca);
  return `${certificate.toString("openssh")} ${request.keyId.replace(/\s+/g, "_")}`;
};
