/**
 * Admin -> Directory sync: directory connections (one per IdP issuer) and their bearer tokens.
 * A token is shown once, kept as a hash, revocable; every change is audited with the admin as
 * actor. Callers are administrators (`directory.manage`).
 */
import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db, Prisma } from "../db";
import { AppError } from "../errors";
import { storableText } from "../storable-text";
import { generateDirectoryToken, hashDirectoryToken } from "./token";

type TAdminOptions<TInput> = { actor: TUserActor; input: TInput; context?: TAuditContext };

const auditOf = (context: TAuditContext = {}) => ({
  ip: context.ip ?? null,
  userAgent: context.userAgent ?? null,
  requestId: context.requestId ?? null,
});

export const ZCreateDirectoryConnection = z
  .object({
    name: z.string().trim().min(2).max(100).transform(storableText),
    issuer: z
      .string()
      .trim()
      .max(500)
      .url()
      .refine((value) => /^https?:\/\//i.test(value) && !value.includes("#"), "An OpenID issuer URL, without #."),
    /** The ID token claim the IdP sends as externalId: `sub`, or `oid` for Entra ID. */
    linkClaim: z
      .string()
      .trim()
      .max(64)
      .optional()
      .transform((value) => value || "sub")
      .pipe(z.string().regex(/^[A-Za-z][\w.-]{0,63}$/, "A claim name, e.g. sub or oid.")),
  })
  .strict();

/** A connection, and its first token (shown once). */
export const createDirectoryConnection = async ({
  actor,
  input,
  context,
}: TAdminOptions<z.input<typeof ZCreateDirectoryConnection>>) => {
  await assertCan(actor, "directory.manage", undefined, context);
  const parsed = ZCreateDirectoryConnection.safeParse(input);
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join("."), issue.message]));
    throw new AppError("INVALID_INPUT", "Check the connection's name and issuer.", fields);
  }
  const { name, issuer, linkClaim } = parsed.data;
  const token = generateDirectoryToken();
  try {
    return await db.$transaction(async (tx) => {
      const connection = await tx.directoryConnection.create({
        data: { name, issuer, linkClaim, createdById: actor.userId },
        select: { id: true },
      });
      const created = await tx.directoryToken.create({
        data: {
          connectionId: connection.id,
          hash: hashDirectoryToken(token),
          hint: token.slice(-4),
          createdById: actor.userId,
        },
        select: { id: true },
      });
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "directory.connection.create",
        targetType: "directory_connection",
        targetId: connection.id,
        outcome: "ALLOWED",
        details: { name, issuer, linkClaim, tokenId: created.id },
        ...auditOf(context),
      });
      return { connectionId: connection.id, tokenId: created.id, token };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
      throw new AppError("CONFLICT", "A directory connection for that issuer exists already.", {
        issuer: "Already connected.",
      });
    throw error;
  }
};

const ZId = z.string().min(1).max(64);

const idOf = (value: unknown, field: string): string => {
  const parsed = ZId.safeParse(value);
  if (!parsed.success) throw new AppError("INVALID_INPUT", `Choose a ${field}.`, { [field]: "Missing or too long." });
  return parsed.data;
};

/** Another token for a connection (rotation: create the new one, switch the IdP, revoke the old). */
export const createDirectoryToken = async ({ actor, input, context }: TAdminOptions<{ connectionId: string }>) => {
  await assertCan(actor, "directory.manage", undefined, context);
  const connectionId = idOf(input.connectionId, "connectionId");
  const token = generateDirectoryToken();
  return db.$transaction(async (tx) => {
    const connection = await tx.directoryConnection.findUnique({ where: { id: connectionId }, select: { id: true } });
    if (!connection) throw new AppError("NOT_FOUND", "No such directory connection.");
    const created = await tx.directoryToken.create({
      data: { connectionId, hash: hashDirectoryToken(token), hint: token.slice(-4), createdById: actor.userId },
      select: { id: true },
    });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "directory.token.create",
      targetType: "directory_connection",
      targetId: connectionId,
      outcome: "ALLOWED",
      details: { tokenId: created.id },
      ...auditOf(context),
    });
    return { connectionId, tokenId: created.id, token };
  });
};

/** Revokes a token: the next SCIM request with it is refused. */
export const revokeDirectoryToken = async ({ actor, input, context }: TAdminOptions<{ tokenId: string }>) => {
  await assertCan(actor, "directory.manage", undefined, context);
  const tokenId = idOf(input.tokenId, "tokenId");
  await db.$transaction(async (tx) => {
    const revoked = await tx.directoryToken.updateManyAndReturn({
      where: { id: tokenId, revokedAt: null },
      data: { revokedAt: new Date() },
      select: { connectionId: true },
    });
    const [row] = revoked;
    if (!row) throw new AppError("NOT_FOUND", "No such token, or it is revoked already.");
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "directory.token.revoke",
      targetType: "directory_connection",
      targetId: row.connectionId,
      outcome: "ALLOWED",
      details: { tokenId },
      ...auditOf(context),
    });
  });
};

export const listDirectoryConnections = async ({ actor, context }: { actor: TUserActor; context?: TAuditContext }) => {
  await assertCan(actor, "directory.manage", undefined, context);
  return db.directoryConnection.findMany({
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      name: true,
      issuer: true,
      linkClaim: true,
      createdAt: true,
      _count: { select: { users: true, groups: true } },
      tokens: {
        orderBy: { createdAt: "asc" },
        select: { id: true, hint: true, createdAt: true, lastUsedAt: true, revokedAt: true },
      },
    },
  });
};
