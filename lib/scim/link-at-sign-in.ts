/**
 * Linking a person the directory created to their first sign-in (ADR 0039). With the
 * connection's linkClaim `sub` (Okta, Keycloak) nothing is needed: the SCIM externalId is the
 * subject the person was created with, and sign-in finds them by (issuer, sub). With another
 * claim (Entra ID: `oid`, because its `sub` is pairwise), the first sign-in whose claim equals
 * a not-yet-signed-in person's externalId re-keys that person to the token's `sub`, once,
 * audited. Never by e-mail: an address alone links nobody.
 */
import { appendAuditEvent } from "../audit";
import type { TRequestContext } from "../auth/sign-in";
import { db } from "../db";

type TLinkOptions = { issuer: string; subject: string; claims: Record<string, unknown>; context?: TRequestContext };

export const linkDirectoryUserAtSignIn = async ({ issuer, subject, claims, context = {} }: TLinkOptions) => {
  const connection = await db.directoryConnection.findUnique({
    where: { issuer },
    select: { id: true, name: true, linkClaim: true },
  });
  if (!connection || connection.linkClaim === "sub") return null;
  const value = claims[connection.linkClaim];
  if (typeof value !== "string" || value.length === 0 || value.length > 256) return null;
  return db.$transaction(async (tx) => {
    const known = await tx.user.findUnique({ where: { issuer_subject: { issuer, subject } }, select: { id: true } });
    if (known) return null;
    const [pending] = await tx.$queryRaw<Array<{ id: string }>>`
      select id from "User"
       where "directoryId" = ${connection.id} and "scimExternalId" = ${value} and "lastSignInAt" is null
       for update`;
    if (!pending) return null;
    await tx.user.update({ where: { id: pending.id }, data: { subject } });
    await appendAuditEvent(tx, {
      actorType: "DIRECTORY",
      actorId: connection.id,
      action: "directory.user.link",
      targetType: "user",
      targetId: pending.id,
      outcome: "ALLOWED",
      details: { directory: connection.name, issuer, subject, linkClaim: connection.linkClaim, externalId: value },
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      requestId: context.requestId ?? null,
    });
    return { userId: pending.id };
  });
};
