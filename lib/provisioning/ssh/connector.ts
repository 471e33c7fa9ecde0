/**
 * The SSH connector (ADR 0036, 0037): the portal is an OpenSSH user certificate authority per
 * connector. Nothing is created on the hosts per grant; the engineer posts a public key on the
 * grant page and gets a certificate for the grant's window, and an early end publishes the
 * certificate's serial in the KRL the hosts read (GET /api/ssh/krl/<resourceKey>, and the file
 * at `krlPath` when set). Natural expiry needs nothing: the certificate's validity ends with it.
 */
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { getConfig } from "../../config";
import { AppError } from "../../errors";
import type { TConnector, TConnectorContext, TProvisioningGrant } from "../types";
import { caPublicKeyLine, certificateWindow, generateCaPrivateKey } from "./certificate-authority";
import {
  buildKrl,
  issueSshCertificate,
  listLiveCertificates,
  revokeGrantCertificates,
  writeKrlFile,
} from "./certificates";
import { parseUserPublicKey } from "./public-key";

export const ZSshSettings = z.strictObject({
  /** Where the connector also writes the KRL, for hosts that read a local (or shared) file. */
  krlPath: z
    .string()
    .max(1024)
    .refine((value) => path.isAbsolute(value) && !value.endsWith("/"), "An absolute file path.")
    .optional(),
  /**
   * The session guard's command line on the hosts (deploy/ssh/jit-session-guard and the KRL
   * path it reads), signed into every certificate as its force-command, so live sessions end
   * with the grant (ADR 0053). Unset: certificates carry no force-command, and an open session
   * outlives its grant (OpenSSH checks validity and the KRL at login only).
   */
  sessionGuard: z
    .string()
    .max(1024)
    .regex(/^\/[A-Za-z0-9_./-]+( [A-Za-z0-9_./=:-]+)*$/, "An absolute path, then plain arguments separated by spaces.")
    .optional(),
  /** Shown in the login hint on the grant page, e.g. "bastion.example.com" or "host -p 2222". */
  loginHost: z
    .string()
    .max(255)
    .regex(/^[A-Za-z0-9.:\-\[\] ]*$/, "A host name, optionally with -p PORT.")
    .optional(),
});
export type TSshSettings = z.output<typeof ZSshSettings>;

/** The public key line as the grant page's form sends it (a string), or as `{ publicKey }` from an API client. */
export const ZIssueSshCertificate = z.union([
  z
    .string()
    .max(10_000, "That is too long for an SSH public key.")
    .transform((publicKey) => ({ publicKey })),
  z.strictObject({ publicKey: z.string().max(10_000, "That is too long for an SSH public key.") }),
]);
export type TIssueSshCertificateInput = z.output<typeof ZIssueSshCertificate>;

/** A Unix login name: what sshd compares a certificate's principals with. */
const PRINCIPAL = /^[a-z_][a-z0-9_.-]{0,31}$/;

/** What the grant's timeline and the inspect entries call this grant. */
export const sshGrantRef = (grantId: string) => `grant=${grantId}`;
/** The key id hosts log on every login: the grant and the person. */
export const sshKeyId = (grant: TProvisioningGrant) =>
  `jit ${sshGrantRef(grant.grantId)} subject=${grant.subject.subjectId}`;

type TContext = TConnectorContext<TSshSettings>;

/** The serials recorded on the grant (its connector state), for the grant page and the timeline. */
const recordedSerials = (grant: TProvisioningGrant, key: "serials" | "revokedSerials" = "serials"): string[] => {
  const value = grant.state[key];
  return Array.isArray(value) ? value.map(String) : [];
};

const caPublicKey = (context: TContext) => {
  if (!context.credential) throw new Error("ssh connector: no certificate authority key");
  return caPublicKeyLine(context.credential, `jit-access-portal ${context.resourceKey}`);
};

const principalsOf = (grant: TProvisioningGrant): string[] => {
  const principals = [...new Set(grant.targets)].sort();
  if (principals.length === 0)
    throw new AppError(
      "CONFLICT",
      "This resource maps none of your permissions to an SSH login; ask an administrator.",
    );
  const invalid = principals.find((principal) => !PRINCIPAL.test(principal));
  if (invalid) throw new AppError("CONFLICT", `The SSH mapping names an invalid login (${JSON.stringify(invalid)}).`);
  return principals;
};

export const krlUrl = (resourceKey: string) =>
  new URL(`/api/ssh/krl/${encodeURIComponent(resourceKey)}`, getConfig().appUrl).toString();

/** Rewrites the KRL file (when configured) from the portal's records: idempotent, so a retry after a crash repairs it. */
const publishKrl = async (context: TContext, now: Date) => {
  if (!context.settings.krlPath) return false;
  const krl = await buildKrl({ resourceKey: context.resourceKey, now });
  if (!krl) throw new Error(`ssh connector: resource ${context.resourceKey} not found`);
  await writeKrlFile(context.settings.krlPath, krl);
  return true;
};

const certificateCredential = (options: {
  certificates: Array<{ serial: bigint; certificate: string }>;
  principals: string[];
  settings: TSshSettings;
  window: { validAfter: Date; validBefore: Date };
}) => {
  const host = options.settings.loginHost || "<host>";
  return {
    title: "SSH certificate",
    fields: [
      ...options.certificates.flatMap(({ serial, certificate }) => [
        {
          label: options.certificates.length === 1 ? "Certificate" : `Certificate (serial ${serial})`,
          value: certificate,
        },
        ...(options.certificates.length === 1 ? [{ label: "Serial", value: String(serial) }] : []),
      ]),
      { label: "Save as", value: "~/.ssh/id_ed25519-cert.pub (beside the private key of the public key you gave)" },
      { label: "Log in as", value: options.principals.join(", ") },
      {
        label: "Command",
        value: `ssh -i ~/.ssh/id_ed25519 -o CertificateFile=~/.ssh/id_ed25519-cert.pub ${options.principals[0]}@${host}`,
      },
      {
        label: "Valid",
        value: `${options.window.validAfter.toISOString()} to ${options.window.validBefore.toISOString()}`,
      },
    ],
  };
};

export const sshConnector: TConnector<TSshSettings, TIssueSshCertificateInput> = {
  kind: "ssh",
  label: "SSH (OpenSSH certificates)",
  settingsSchema: ZSshSettings,
  // The CA key is minted on attach (generateCredential), never typed in by an admin.
  credentialLabel: null,
  generateCredential: async () => generateCaPrivateKey(),

  describe: (context) => [
    { label: "CA public key (TrustedUserCAKeys)", value: caPublicKey(context) },
    { label: "Key revocation list (RevokedKeys)", value: krlUrl(context.resourceKey) },
    ...(context.settings.krlPath ? [{ label: "KRL file", value: context.settings.krlPath }] : []),
    {
      label: "Live sessions",
      value: context.settings.sessionGuard
        ? `ended by the session guard (force-command ${context.settings.sessionGuard}; needs ExposeAuthInfo yes)`
        : "not ended at the grant's end: set sessionGuard (docs/connector-ssh.md)",
    },
  ],

  /**
   * Nothing to create on the hosts: the certificate comes when the engineer posts a key. On an
   * extension the certificates already issued are re-issued for the new window, so the engineer
   * only swaps the file (the old one still works until the old end: no gap).
   */
  provision: async (context, grant) => {
    const now = new Date();
    const window = certificateWindow(grant.startsAt, grant.expiresAt);
    const live = await listLiveCertificates({ connectorId: context.connectorId, grantId: grant.grantId, now });
    const stale = live.filter((row) => row.validBefore < window.validBefore);
    const principals = stale.length > 0 ? principalsOf(grant) : [];
    const reissued = [];
    for (const row of stale) {
      const publicKey = parseUserPublicKey(row.publicKey);
      reissued.push(
        await issueSshCertificate({
          connectorId: context.connectorId,
          resourceKey: context.resourceKey,
          grantId: grant.grantId,
          caPrivateKey: context.credential,
          caPublicKey: caPublicKey(context),
          keyId: sshKeyId(grant),
          principals,
          publicKey: { line: row.publicKey, key: publicKey.key, fingerprint: publicKey.fingerprint },
          forceCommand: context.settings.sessionGuard,
          ...window,
        }),
      );
    }
    return {
      externalRef: sshGrantRef(grant.grantId),
      outcome: grant.externalRef ? "updated" : "created",
      summary:
        reissued.length > 0
          ? `SSH: ${reissued.length} certificate(s) re-issued until ${window.validBefore.toISOString()} (serials ${reissued.map((c) => c.serial).join(", ")})`
          : "SSH: certificate authority ready; the grantee gets a certificate by posting a public key on the grant page",
      state:
        reissued.length > 0
          ? { ...grant.state, serials: [...recordedSerials(grant), ...reissued.map((c) => String(c.serial))] }
          : undefined,
      credential:
        reissued.length > 0
          ? certificateCredential({ certificates: reissued, principals, settings: context.settings, window })
          : null,
    };
  },

  /**
   * Revokes the grant's certificates that are still valid (an early end: revocation,
   * deactivation, break-glass sign-off, the person ending it) and publishes the KRL. At a
   * natural end every certificate has already expired and there is nothing to revoke. OpenSSH
   * does not recheck a KRL for open connections (ADR 0037): with `sessionGuard` set, the guard
   * on the host ends them (ADR 0053); sessionsTerminated stays null, as the portal cannot count them.
   */
  deprovision: async (context, grant) => {
    const now = new Date();
    const serials = await revokeGrantCertificates({ connectorId: context.connectorId, grantId: grant.grantId, now });
    const wrote = await publishKrl(context, now);
    const serialList = serials.map(String);
    return {
      outcome: serials.length > 0 ? "removed" : "absent",
      sessionsTerminated: null,
      summary:
        serials.length > 0
          ? `SSH: certificate serial(s) ${serialList.join(", ")} revoked, KRL published${wrote ? " and written" : ""}`
          : "SSH: no certificate still valid; nothing to revoke",
      state:
        serials.length > 0
          ? { ...grant.state, revokedSerials: [...recordedSerials(grant, "revokedSerials"), ...serialList] }
          : undefined,
    };
  },

  inspect: async (context) => {
    const live = await listLiveCertificates({ connectorId: context.connectorId, now: new Date() });
    return live.flatMap((row) =>
      row.principals.map((principal) => ({
        principal: sshGrantRef(row.grantId),
        target: principal,
        description: `SSH certificate serial ${row.serial} (${row.keyId}) valid until ${row.validBefore.toISOString()}`,
      })),
    );
  },

  removeDrift: async (context, entry) => {
    const grantId = entry.principal.startsWith("grant=") ? entry.principal.slice("grant=".length) : null;
    if (!grantId) return;
    const now = new Date();
    await revokeGrantCertificates({ connectorId: context.connectorId, grantId, now });
    await publishKrl(context, now);
  },

  test: async (context) => {
    let publicKey: string;
    try {
      publicKey = caPublicKey(context);
    } catch {
      return { ok: false, error: "The certificate authority key does not open (was AUTH_SECRET changed?)." };
    }
    const fingerprint = parseUserPublicKey(publicKey).fingerprint;
    if (context.settings.krlPath) {
      try {
        await access(path.dirname(context.settings.krlPath), constants.W_OK);
        await publishKrl(context, new Date());
      } catch {
        return { ok: false, error: `The KRL file ${context.settings.krlPath} is not writable by the worker.` };
      }
    }
    return {
      ok: true,
      detail: `CA ${fingerprint} ready${context.settings.krlPath ? `; KRL written to ${context.settings.krlPath}` : ""}`,
    };
  },

  issueCredentialInput: ZIssueSshCertificate,
  /** The engineer's public key -> a certificate for exactly the grant's window (refused outside it). */
  issueCredential: async (context, grant, input) => {
    const now = new Date();
    if (grant.revokedAt || now < grant.startsAt || now >= grant.expiresAt)
      throw new AppError("CONFLICT", "Certificates are issued only while the grant is active.");
    const ca = caPublicKey(context);
    const publicKey = parseUserPublicKey(input.publicKey, { caPublicKey: ca });
    const principals = principalsOf(grant);
    const window = certificateWindow(grant.startsAt, grant.expiresAt);
    const issued = await issueSshCertificate({
      connectorId: context.connectorId,
      resourceKey: context.resourceKey,
      grantId: grant.grantId,
      caPrivateKey: context.credential,
      caPublicKey: ca,
      keyId: sshKeyId(grant),
      principals,
      publicKey: { line: input.publicKey.trim(), key: publicKey.key, fingerprint: publicKey.fingerprint },
      forceCommand: context.settings.sessionGuard,
      ...window,
    });
    const serials = [...recordedSerials(grant), String(issued.serial)];
    return {
      credential: certificateCredential({ certificates: [issued], principals, settings: context.settings, window }),
      summary: `SSH certificate serial ${issued.serial} issued for ${publicKey.description} key ${publicKey.fingerprint} as ${principals.join(", ")}`,
      state: { serials },
    };
  },
};
