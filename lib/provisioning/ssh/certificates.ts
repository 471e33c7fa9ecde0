/**
 * The portal's record of the SSH certificates it signed: the only state the SSH connector has
 * (an SSH "target" holds nothing per grant; a host trusts the CA and reads the KRL). Serials
 * come from the table's sequence, so a serial is never issued twice.
 */
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { db } from "../../db";
import { encodeKrl } from "./krl";
import { signUserCertificate } from "./certificate-authority";
import type sshpk from "sshpk";

export type TIssueSshCertificate = {
  connectorId: string;
  resourceKey: string;
  grantId: string;
  caPrivateKey: string;
  caPublicKey: string;
  keyId: string;
  principals: string[];
  publicKey: { line: string; key: sshpk.Key; fingerprint: string };
  validAfter: Date;
  validBefore: Date;
  /** The connector's session guard, signed in as the certificate's force-command (ADR 0053). */
  forceCommand?: string;
};

/** Records the certificate and signs it in one transaction: a certificate that exists has a row, so it can be revoked. */
export const issueSshCertificate = async (options: TIssueSshCertificate) =>
  db.$transaction(async (tx) => {
    const row = await tx.sshCertificate.create({
      data: {
        connectorId: options.connectorId,
        resourceKey: options.resourceKey,
        grantId: options.grantId,
        caPublicKey: options.caPublicKey,
        keyId: options.keyId,
        principals: options.principals,
        publicKey: options.publicKey.line,
        fingerprint: options.publicKey.fingerprint,
        validAfter: options.validAfter,
        validBefore: options.validBefore,
      },
      select: { id: true, serial: true },
    });
    const certificate = signUserCertificate({
      caPrivateKey: options.caPrivateKey,
      subjectKey: options.publicKey.key,
      principals: options.principals,
      keyId: options.keyId,
      serial: row.serial,
      validAfter: options.validAfter,
      validBefore: options.validBefore,
      forceCommand: options.forceCommand,
    });
    return { serial: row.serial, certificate };
  });

/** Certificates of the grant that are still inside their validity and not yet revoked. */
export const listLiveCertificates = (options: { connectorId: string; grantId?: string; now: Date }) =>
  db.sshCertificate.findMany({
    where: {
      connectorId: options.connectorId,
      ...(options.grantId === undefined ? {} : { grantId: options.grantId }),
      revokedAt: null,
      validBefore: { gt: options.now },
    },
    orderBy: { serial: "asc" },
  });

/** Marks the grant's still-valid certificates revoked; returns their serials (none on a repeat). */
export const revokeGrantCertificates = async (options: { connectorId: string; grantId: string; now: Date }) =>
  db.$transaction(async (tx) => {
    const live = await tx.sshCertificate.findMany({
      where: {
        connectorId: options.connectorId,
        grantId: options.grantId,
        revokedAt: null,
        validBefore: { gt: options.now },
      },
      select: { id: true, serial: true },
    });
    if (live.length > 0)
      await tx.sshCertificate.updateMany({
        where: { id: { in: live.map((row) => row.id) }, revokedAt: null },
        data: { revokedAt: options.now },
      });
    return live.map((row) => row.serial);
  });

/**
 * The KRL of a resource: every revoked serial whose certificate is still inside its validity,
 * grouped by signing CA (a resource may have had several SSH connectors, or a rotated CA).
 * Expired certificates drop out, since sshd refuses them by their validity alone, so the list
 * stays small. Null for a resource key that does not exist.
 */
export const buildKrl = async (options: { resourceKey: string; now: Date }): Promise<Buffer | null> => {
  const resource = await db.resource.findUnique({ where: { key: options.resourceKey }, select: { id: true } });
  if (!resource) return null;
  const revoked = await db.sshCertificate.findMany({
    where: { resourceKey: options.resourceKey, revokedAt: { not: null }, validBefore: { gt: options.now } },
    select: { serial: true, caPublicKey: true, revokedAt: true },
    orderBy: { serial: "asc" },
  });
  const byCa = new Map<string, bigint[]>();
  for (const row of revoked) byCa.set(row.caPublicKey, [...(byCa.get(row.caPublicKey) ?? []), row.serial]);
  // The newest revocation's instant: grows with every revocation, as krl_version must.
  const version = revoked.reduce((latest, row) => {
    const at = BigInt(row.revokedAt?.getTime() ?? 0);
    return at > latest ? at : latest;
  }, 0n);
  return encodeKrl({
    version,
    generatedAt: options.now,
    comment: `jit-access-portal ${options.resourceKey}`,
    certificates: [...byCa].map(([caPublicKey, serials]) => ({ caPublicKey, serials })),
  });
};

/**
 * Replaces the KRL file atomically (write beside it, then rename): sshd reads it at every
 * authentication and refuses every certificate when it cannot parse it, so a half-written file
 * must never be seen.
 */
export const writeKrlFile = async (krlPath: string, krl: Buffer): Promise<void> => {
  const temporary = path.join(path.dirname(krlPath), `.${path.basename(krlPath)}.${randomBytes(6).toString("hex")}`);
  await writeFile(temporary, krl, { mode: 0o644 });
  await rename(temporary, krlPath);
};
