/** Helpers shared by the catalog's domain functions; not part of the public surface. */
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { type Db, Prisma } from "../db";
import { AppError } from "../errors";
import { formatPath, type TIssue, type TPolicy, type TResourceUpdate } from "./schemas";

// Every catalog write takes this transaction-scoped lock first, so an import plans and
// applies against a catalog no other admin change can alter in between. (The audit chain
// uses 7_311_001; this lock is always taken before that one, never after.)
const CATALOG_LOCK_KEY = 7_311_002;

export const lockCatalog = async (tx: Db): Promise<void> => {
  await tx.$executeRaw`select pg_advisory_xact_lock(${CATALOG_LOCK_KEY})`;
};

export const auditContext = (context: TAuditContext = {}) => ({
  ip: context.ip ?? null,
  userAgent: context.userAgent ?? null,
  requestId: context.requestId ?? null,
});

/** INVALID_INPUT with each reason keyed by its field path (`permissions[1]`). */
export const invalidInput = (issues: TIssue[], message = "Some fields need attention."): AppError => {
  const fields: Record<string, string> = {};
  for (const issue of issues) fields[formatPath(issue.path)] ??= issue.message;
  return new AppError("INVALID_INPUT", message, fields);
};

const isKnownPrismaError = (error: unknown, code: string): boolean =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;

/**
 * Turns the database's refusals into the caller's words: a unique violation (a concurrent
 * create won the race past our own check) is a CONFLICT, as is a row still referenced by
 * requests (AccessRequest.policyId is ON DELETE RESTRICT). Anything else is a bug.
 */
export const mapDatabaseError = (error: unknown, messages: { unique?: string; referenced?: string }): unknown => {
  if (messages.unique && isKnownPrismaError(error, "P2002")) return new AppError("CONFLICT", messages.unique);
  if (messages.referenced && isKnownPrismaError(error, "P2003")) return new AppError("CONFLICT", messages.referenced);
  return error;
};

export const RESOURCE_FIELDS = [
  "name",
  "description",
  "environment",
  "permissions",
  "slackChannel",
] as const satisfies ReadonlyArray<keyof TResourceUpdate>;

/** Document and column order alike. */
export const POLICY_FIELDS = [
  "name",
  "permissions",
  "requesterGroups",
  "approverGroups",
  "approvalsRequired",
  "defaultDurationMinutes",
  "maxDurationMinutes",
  "minJustificationLength",
  "ticketRequired",
  "ticketPattern",
  "decisionWindowMinutes",
  "autoApproveGroups",
  "autoApprovePermissions",
  "breakGlassAllowed",
  "breakGlassMaxMinutes",
  "riskThreshold",
  "riskExtraApprovals",
  "riskBlocksAutoApproval",
  "usageCeilings",
  "usageResponse",
  "stages",
  "escalationGroups",
  "escalationAfterMinutes",
  "onBehalfOfAllowed",
] as const satisfies ReadonlyArray<keyof TPolicy>;

export type TFieldChange = { before: unknown; after: unknown };

/** Sorted keys, so two maps with the same entries compare equal whatever their order. */
const canonicalMap = (value: object): string =>
  JSON.stringify(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const sameValue = (a: unknown, b: unknown): boolean => {
  // Lists of names, or of stages (objects): compared as written, in order.
  if (Array.isArray(a) && Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  if (a && b && typeof a === "object" && typeof b === "object") return canonicalMap(a) === canonicalMap(b);
  return a === b;
};

/** The fields whose values differ, with both values; `{}` when nothing changes. */
export const diffFields = <F extends string>(
  fields: readonly F[],
  before: Readonly<Record<F, unknown>>,
  after: Readonly<Record<F, unknown>>,
): Record<string, TFieldChange> => {
  const changes: Record<string, TFieldChange> = {};
  for (const field of fields) {
    if (!sameValue(before[field], after[field])) changes[field] = { before: before[field], after: after[field] };
  }
  return changes;
};

/** Only the policy's own columns, in document order. */
export const policyValues = (policy: Readonly<Record<(typeof POLICY_FIELDS)[number], unknown>>): TPolicy =>
  Object.fromEntries(POLICY_FIELDS.map((field) => [field, policy[field]])) as TPolicy;

/** One ALLOWED event for a catalog change, in the change's own transaction. */
export const auditChange = (
  tx: Db,
  options: {
    actor: TUserActor;
    context?: TAuditContext;
    action: string;
    targetType: string;
    targetId: string | null;
    details: Record<string, unknown>;
  },
) =>
  appendAuditEvent(tx, {
    actorType: "USER",
    actorId: options.actor.userId,
    action: options.action,
    targetType: options.targetType,
    targetId: options.targetId,
    outcome: "ALLOWED",
    details: options.details,
    ...auditContext(options.context),
  });

/** A connector row as the catalog document carries it (no credential). */
export const connectorValues = (row: {
  kind: string;
  name: string;
  settings: unknown;
  mapping: unknown;
  autoRemoveDrift: boolean;
}) => ({
  kind: row.kind,
  name: row.name,
  settings: row.settings as Record<string, unknown>,
  mapping: row.mapping as Record<string, string[]>,
  autoRemoveDrift: row.autoRemoveDrift,
});

const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );

/** Whether a connector row and a document's connector say the same (key order aside). */
export const sameConnector = (a: ReturnType<typeof connectorValues>, b: ReturnType<typeof connectorValues>): boolean =>
  a.kind === b.kind &&
  a.autoRemoveDrift === b.autoRemoveDrift &&
  canonicalJson(a.settings) === canonicalJson(b.settings) &&
  canonicalJson(a.mapping) === canonicalJson(b.mapping);
