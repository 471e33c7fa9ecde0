/**
 * Service clients (machine identities): create, list, rotate the secret with an overlap,
 * disable. Each mutation is one transaction with its audit event; the secret is returned once
 * and stored only as a hash. Administrators act in the portal, the CLI as the system actor.
 */
import { z } from "zod";
import { appendAuditEvent } from "../audit";
import { actorId, can, type TActor } from "../authz";
import { type TAuditContext } from "../authz/enforce";
import { recordAuditEvent } from "../audit";
import { getConfig } from "../config";
import { db } from "../db";
import { AppError } from "../errors";
import { announceReplicaChange } from "./feed";
import { SCOPES } from "./scopes";
import { generateClientSecret, hashClientSecret } from "./secrets";

export const ZCreateServiceClient = z
  .object({
    name: z
      .string()
      .trim()
      .min(2, "at least 2 characters")
      .max(80)
      .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, "letters, digits, space, '.', '_' and '-'"),
    ownerEmail: z.string().trim().max(320).optional(),
    scopes: z.array(z.enum(SCOPES)).min(1, "at least one scope").max(SCOPES.length),
    resourceKeys: z.array(z.string().trim().min(1).max(100)).max(200).default([]),
  })
  .strict();
export type TCreateServiceClient = z.input<typeof ZCreateServiceClient>;

export type TServiceClientSummary = {
  id: string;
  name: string;
  owner: { id: string; email: string | null } | null;
  scopes: string[];
  resourceKeys: string[];
  createdAt: Date;
  disabledAt: Date | null;
  secrets: Array<{ id: string; createdAt: Date; expiresAt: Date | null }>;
};

const auditActor = (actor: TActor) =>
  actor.kind === "user"
    ? { actorType: "USER" as const, actorId: actor.userId }
    : { actorType: "SYSTEM" as const, actorId: actorId(actor) };

const assertManage = async (actor: TActor, context: TAuditContext): Promise<void> => {
  if (can(actor, "services.manage")) return;
  await recordAuditEvent({
    ...auditActor(actor),
    action: "authz.denied",
    outcome: "DENIED",
    reason: "not allowed: services.manage",
    details: { permission: "services.manage" },
    ip: context.ip ?? null,
    userAgent: context.userAgent ?? null,
    requestId: context.requestId ?? null,
  });
  throw new AppError("FORBIDDEN", "You are not allowed to manage service clients.");
};

const contextFields = (context: TAuditContext) => ({
  ip: context.ip ?? null,
  userAgent: context.userAgent ?? null,
  requestId: context.requestId ?? null,
});

/** Creates a client and its first secret; the secret is in the result and nowhere else. */
export const createServiceClient = async (options: {
  actor: TActor;
  input: TCreateServiceClient;
  context?: TAuditContext;
}) => {
  const { actor, context = {} } = options;
  await assertManage(actor, context);
  const parsed = ZCreateServiceClient.safeParse(options.input);
  if (!parsed.success) {
    const fields = Object.fromEntries(
      parsed.error.issues.map((issue) => [issue.path.join(".") || "input", issue.message]),
    );
    throw new AppError(
      "INVALID_INPUT",
      `Invalid service client: ${Object.entries(fields)
        .map(([field, message]) => `${field}: ${message}`)
        .join("; ")}`,
      fields,
    );
  }
  const input = parsed.data;
  const secret = generateClientSecret();
  const hash = await hashClientSecret(secret);
  const client = await db.$transaction(async (tx) => {
    if (await tx.serviceClient.findUnique({ where: { name: input.name }, select: { id: true } })) {
      throw new AppError("CONFLICT", `A service client named "${input.name}" exists already.`, {
        name: "already taken",
      });
    }
    let ownerId: string | null = null;
    if (input.ownerEmail) {
      const owner = await tx.user.findFirst({
        where: { email: { equals: input.ownerEmail, mode: "insensitive" } },
        select: { id: true },
      });
      if (!owner)
        throw new AppError("INVALID_INPUT", `No user with e-mail ${input.ownerEmail}.`, { ownerEmail: "no such user" });
      ownerId = owner.id;
    }
    const resourceKeys = [...new Set(input.resourceKeys)];
    if (resourceKeys.length > 0) {
      const known = await tx.resource.findMany({ where: { key: { in: resourceKeys } }, select: { key: true } });
      const missing = resourceKeys.filter((key) => !known.some((resource) => resource.key === key));
      if (missing.length > 0)
        throw new AppError("INVALID_INPUT", `Unknown resources: ${missing.join(", ")}.`, {
          resourceKeys: "unknown resource",
        });
    }
    const created = await tx.serviceClient.create({
      data: {
        name: input.name,
        ownerId,
        scopes: [...new Set(input.scopes)],
        resourceKeys,
        secrets: { create: { hash } },
      },
    });
    await appendAuditEvent(tx, {
      ...auditActor(actor),
      ...contextFields(context),
      action: "service_client.create",
      targetType: "service_client",
      targetId: created.id,
      outcome: "ALLOWED",
      details: { name: created.name, scopes: created.scopes, resourceKeys: created.resourceKeys, ownerId },
    });
    return created;
  });
  await announceReplicaChange();
  return {
    clientId: client.id,
    name: client.name,
    scopes: client.scopes,
    resourceKeys: client.resourceKeys,
    clientSecret: secret,
  };
};

export const listServiceClients = async (options: { actor: TActor }): Promise<TServiceClientSummary[]> => {
  if (!can(options.actor, "services.manage"))
    throw new AppError("FORBIDDEN", "You are not allowed to manage service clients.");
  const now = new Date();
  const clients = await db.serviceClient.findMany({
    orderBy: { createdAt: "asc" },
    include: {
      owner: { select: { id: true, email: true } },
      secrets: {
        where: { OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
        orderBy: { createdAt: "asc" },
        select: { id: true, createdAt: true, expiresAt: true },
      },
    },
  });
  return clients.map((client) => ({
    id: client.id,
    name: client.name,
    owner: client.owner,
    scopes: client.scopes,
    resourceKeys: client.resourceKeys,
    createdAt: client.createdAt,
    disabledAt: client.disabledAt,
    secrets: client.secrets,
  }));
};

const ZClientRef = z.string().trim().min(1).max(100);

/** By id or by name, for the CLI's convenience. */
const findClient = (ref: string) => db.serviceClient.findFirst({ where: { OR: [{ id: ref }, { name: ref }] } });

/**
 * A new secret; every secret still valid now keeps working until now + overlap, then retires.
 * An overlap of 0 retires them at once (a leaked secret).
 */
export const rotateServiceClientSecret = async (options: {
  actor: TActor;
  client: string;
  overlapMs?: number;
  context?: TAuditContext;
  now?: Date;
}) => {
  const { actor, context = {} } = options;
  await assertManage(actor, context);
  const ref = ZClientRef.safeParse(options.client);
  if (!ref.success) throw new AppError("INVALID_INPUT", "Name a service client.");
  const overlapMs = options.overlapMs ?? getConfig().serviceSecretOverlapMs;
  if (!Number.isInteger(overlapMs) || overlapMs < 0 || overlapMs > 30 * 86_400_000)
    throw new AppError("INVALID_INPUT", "The overlap must be between 0 and 30 days.");
  const client = await findClient(ref.data);
  if (!client) throw new AppError("NOT_FOUND", "No such service client.");
  if (client.disabledAt) throw new AppError("CONFLICT", "This service client is disabled.");
  const secret = generateClientSecret();
  const hash = await hashClientSecret(secret);
  const now = options.now ?? new Date();
  const retiresAt = new Date(now.getTime() + overlapMs);
  await db.$transaction(async (tx) => {
    await tx.$queryRaw`select id from "ServiceClient" where id = ${client.id} for update`;
    const retired = await tx.serviceClientSecret.updateMany({
      where: { clientId: client.id, OR: [{ expiresAt: null }, { expiresAt: { gt: retiresAt } }] },
      data: { expiresAt: retiresAt },
    });
    const created = await tx.serviceClientSecret.create({ data: { clientId: client.id, hash } });
    await appendAuditEvent(tx, {
      ...auditActor(actor),
      ...contextFields(context),
      action: "service_client.rotate_secret",
      targetType: "service_client",
      targetId: client.id,
      outcome: "ALLOWED",
      details: {
        secretId: created.id,
        previousSecretsRetireAt: retiresAt.toISOString(),
        previousSecrets: retired.count,
      },
    });
  });
  return { clientId: client.id, name: client.name, clientSecret: secret, previousSecretsRetireAt: retiresAt };
};

/** Takes effect at once: tokens already issued stop working on the next call. */
export const disableServiceClient = async (options: { actor: TActor; client: string; context?: TAuditContext }) => {
  const { actor, context = {} } = options;
  await assertManage(actor, context);
  const ref = ZClientRef.safeParse(options.client);
  if (!ref.success) throw new AppError("INVALID_INPUT", "Name a service client.");
  const client = await findClient(ref.data);
  if (!client) throw new AppError("NOT_FOUND", "No such service client.");
  if (client.disabledAt) throw new AppError("CONFLICT", "This service client is disabled already.");
  await db.$transaction(async (tx) => {
    await tx.serviceClient.update({ where: { id: client.id }, data: { disabledAt: new Date() } });
    await appendAuditEvent(tx, {
      ...auditActor(actor),
      ...contextFields(context),
      action: "service_client.disable",
      targetType: "service_client",
      targetId: client.id,
      outcome: "ALLOWED",
      details: { name: client.name },
    });
  });
  await announceReplicaChange();
  return { clientId: client.id, name: client.name };
};
