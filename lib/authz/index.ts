/**
 * The one place that decides who may do what. Closed list of actions, deny by default.
 * Pages, server actions, route handlers and domain functions all ask `can`; nothing else
 * grants. Roles come from IdP groups through configuration (ADMIN_GROUPS, SECURITY_GROUPS),
 * re-derived on every request, never stored.
 */
import { getConfig } from "../config";

/** `approver`: named as an approver group by at least one access policy (derived per request). */
export type TRole = "admin" | "security" | "approver";

export type TUserActor = {
  kind: "user";
  userId: string;
  sessionId: string;
  /** Verified by the IdP, or null (lib/auth/claims.ts). */
  email: string | null;
  name: string;
  groups: string[];
  roles: TRole[];
  /**
   * Approvals other people delegated to this person, running now (ADR 0056). Loaded only where
   * requests are read and decided (lib/delegation withDelegations); absent means none.
   */
  delegations?: TDelegatedAuthority[];
};

/** One running delegation as the rules see it: the delegator's groups as they are now. */
export type TDelegatedAuthority = {
  delegationId: string;
  delegatorId: string;
  delegatorName: string;
  groups: string[];
};

export type TSystemActor = { kind: "system"; name: string };

export type TActor = TUserActor | TSystemActor;

export const ACTIONS = [
  "portal.use",
  "admin.view",
  "users.read",
  "users.deactivate",
  "users.reactivate",
  "workers.read",
  "jobs.manage",
  "security.view",
  "audit.read",
  "approvals.view",
  "catalog.manage",
  "passkeys.manage",
  "request.create",
  "request.read",
  "request.cancel",
  "request.decide",
  "submission.read",
  "grant.revoke",
  "grant.read",
  "grant.credential",
  "breakglass.review",
  "services.manage",
  "directory.manage",
  "delegation.create",
  "delegation.end",
  "request.acknowledge",
  "review.start",
  "review.read",
  "review.decide",
  "review.close",
] as const;
export type TAction = (typeof ACTIONS)[number];

/**
 * What an action is about, with the attributes the rule needs (loaded by the caller from the
 * database). A request carries its requester and the approver groups of its policy.
 */
export type TTarget =
  | { type: "user"; id: string }
  /**
   * approverGroups: every group of the request's chain (they may read it); decidableGroups: who
   * may decide it now (lib/access/stages.ts decidableGroups, ADR 0055). filedById: the teammate
   * who filed it for the requester (ADR 0057), or null.
   */
  | {
      type: "request";
      id: string;
      requesterId: string;
      filedById: string | null;
      approverGroups: string[];
      decidableGroups: string[];
    }
  /** A bundle's submission: its requester and the approver groups of all its items' policies. */
  | { type: "submission"; id: string; requesterId: string; approverGroups: string[] }
  | { type: "grant"; id: string; subjectId: string }
  | { type: "delegation"; id: string; delegatorId: string }
  /** An access review campaign (ADR 0058): who started it and who reviews it. */
  | { type: "review"; id: string; createdById: string; reviewerIds: string[] }
  /** The policies a review would cover, by their approver groups (one list per policy). */
  | { type: "review-scope"; approverGroups: string[][] }
  | undefined;

export const rolesForGroups = (groups: readonly string[]): TRole[] => {
  const config = getConfig();
  const roles: TRole[] = [];
  if (groups.some((group) => config.adminGroups.includes(group))) roles.push("admin");
  if (groups.some((group) => config.securityGroups.includes(group))) roles.push("security");
  return roles;
};

const hasRole = (actor: TActor, role: TRole): boolean => actor.kind === "user" && actor.roles.includes(role);

type TRule = (actor: TActor, target: TTarget) => boolean;
type TRequestTarget = Extract<TTarget, { type: "request" | "submission" }>;

/** The person the request is for, or the teammate who filed it for them (ADR 0057). */
const isRequester = (actor: TActor, target: TRequestTarget): boolean =>
  actor.kind === "user" &&
  (actor.userId === target.requesterId || ("filedById" in target && actor.userId === target.filedById));
const inApproverGroups = (actor: TActor, target: TRequestTarget): boolean =>
  actor.kind === "user" &&
  [actor.groups, ...(actor.delegations ?? []).map((delegation) => delegation.groups)].some((groups) =>
    groups.some((group) => target.approverGroups.includes(group)),
  );

/** Whose authority a person decides a request with (ADR 0056). */
export type TDecisionAuthority = { kind: "own" } | { kind: "delegated"; delegation: TDelegatedAuthority };

/**
 * Every authority with which this person may decide this request now, their own first: their
 * own groups, then each running delegation whose delegator could decide it. Never on the
 * requester's own request, neither the delegate's nor the delegator's: a delegation carries
 * no more than its delegator holds. Who already decided is checked with the request locked
 * (lib/access/record-decision.ts), which picks the first authority not yet used.
 */
export const decisionAuthorities = (
  actor: TActor,
  target: Extract<TTarget, { type: "request" }>,
): TDecisionAuthority[] => {
  // Neither the person the request is for nor the teammate who filed it (ADR 0057).
  const parties = [target.requesterId, target.filedById];
  if (actor.kind !== "user" || parties.includes(actor.userId)) return [];
  const decides = (groups: string[]) => groups.some((group) => target.decidableGroups.includes(group));
  const authorities: TDecisionAuthority[] = decides(actor.groups) ? [{ kind: "own" }] : [];
  for (const delegation of actor.delegations ?? [])
    if (
      !parties.includes(delegation.delegatorId) &&
      delegation.delegatorId !== actor.userId &&
      decides(delegation.groups)
    )
      authorities.push({ kind: "delegated", delegation });
  return authorities;
};

const RULES: Record<TAction, TRule> = {
  // Service clients (machine identities): create, rotate, disable. The CLI acts as the system.
  "services.manage": (actor) => hasRole(actor, "admin") || actor.kind === "system",
  // Directory sync (SCIM): connections and their bearer tokens.
  "directory.manage": (actor) => hasRole(actor, "admin"),
  "portal.use": (actor) => actor.kind === "user",
  "admin.view": (actor) => hasRole(actor, "admin"),
  "users.read": (actor) => hasRole(actor, "admin"),
  // An administrator cannot lock themselves out; another administrator must do it.
  "users.deactivate": (actor, target) =>
    hasRole(actor, "admin") && target?.type === "user" && actor.kind === "user" && target.id !== actor.userId,
  "users.reactivate": (actor, target) => hasRole(actor, "admin") && target?.type === "user",
  "workers.read": (actor) => hasRole(actor, "admin"),
  // The dead-letter view: see failed background jobs (payloads included), retry or discard them.
  "jobs.manage": (actor) => hasRole(actor, "admin"),
  // The Security area (audit trail, grant history, exports, charts, chain verification):
  // security reviewers and administrators (docs/decisions/0010-security-area.md).
  "security.view": (actor) => hasRole(actor, "security") || hasRole(actor, "admin"),
  "audit.read": (actor) => hasRole(actor, "security") || hasRole(actor, "admin"),
  "approvals.view": (actor) => hasRole(actor, "approver"),
  "catalog.manage": (actor) => hasRole(actor, "admin"),
  // Each person manages their own passkeys; nobody else's, administrators included.
  "passkeys.manage": (actor, target) => actor.kind === "user" && target?.type === "user" && target.id === actor.userId,
  // Eligibility for a resource is decided by its policies (lib/access/eligibility.ts).
  "request.create": (actor) => actor.kind === "user",
  "request.read": (actor, target) =>
    target?.type === "request" &&
    (isRequester(actor, target) || inApproverGroups(actor, target) || hasRole(actor, "security")),
  // A bundle's submission as a whole (ADR 0054): whoever may read one of its requests sees all
  // of it, so an approver sees the whole bundle; deciding stays per request (request.decide).
  "submission.read": (actor, target) =>
    target?.type === "submission" &&
    (isRequester(actor, target) || inApproverGroups(actor, target) || hasRole(actor, "security")),
  // The person it is for, or the teammate who filed it for them.
  "request.cancel": (actor, target) => target?.type === "request" && isRequester(actor, target),
  // A request filed for someone: only that someone acknowledges it (ADR 0057).
  "request.acknowledge": (actor, target) =>
    target?.type === "request" &&
    target.filedById !== null &&
    actor.kind === "user" &&
    actor.userId === target.requesterId &&
    actor.userId !== target.filedById,
  // Never one's own request, whatever one's roles, groups or delegations. Only the groups of
  // the stage open now (plus its escalation groups once it escalated), one's own or those of
  // a person who delegated their approvals to one (ADR 0056).
  "request.decide": (actor, target) => target?.type === "request" && decisionAuthorities(actor, target).length > 0,
  // Delegating one's approvals: only someone who has approvals to give.
  "delegation.create": (actor) => hasRole(actor, "approver"),
  // Ending a delegation early: its delegator, or security and administrators (an incident).
  "delegation.end": (actor, target) =>
    target?.type === "delegation" &&
    ((actor.kind === "user" && actor.userId === target.delegatorId) ||
      hasRole(actor, "admin") ||
      hasRole(actor, "security")),
  // The subject may end their own grant early; administrators and security reviewers any.
  "grant.revoke": (actor, target) =>
    target?.type === "grant" &&
    ((actor.kind === "user" && actor.userId === target.subjectId) ||
      hasRole(actor, "admin") ||
      hasRole(actor, "security")),
  // A grant's page (its provisioning timeline): its subject, security reviewers, administrators.
  "grant.read": (actor, target) =>
    target?.type === "grant" &&
    ((actor.kind === "user" && actor.userId === target.subjectId) ||
      hasRole(actor, "admin") ||
      hasRole(actor, "security")),
  // A grant's one-time credential (see it, or have one issued): its subject only, nobody else,
  // administrators included (docs/connectors.md).
  "grant.credential": (actor, target) =>
    target?.type === "grant" && actor.kind === "user" && actor.userId === target.subjectId,
  // Access reviews (ADR 0058): security and administrators review any policies; an approver,
  // as the policies' owner, only policies they approve (each chosen policy names one of their groups).
  "review.start": (actor, target) =>
    target?.type === "review-scope" &&
    (hasRole(actor, "security") ||
      hasRole(actor, "admin") ||
      (actor.kind === "user" &&
        target.approverGroups.length > 0 &&
        target.approverGroups.every((groups) => groups.some((group) => actor.groups.includes(group))))),
  "review.read": (actor, target) =>
    target?.type === "review" &&
    (hasRole(actor, "security") ||
      hasRole(actor, "admin") ||
      (actor.kind === "user" && (actor.userId === target.createdById || target.reviewerIds.includes(actor.userId)))),
  // Only its reviewers, whatever their roles; never one's own eligibility (checked per item).
  "review.decide": (actor, target) =>
    target?.type === "review" && actor.kind === "user" && target.reviewerIds.includes(actor.userId),
  "review.close": (actor, target) =>
    target?.type === "review" &&
    (hasRole(actor, "security") ||
      hasRole(actor, "admin") ||
      (actor.kind === "user" && actor.userId === target.createdById)),
  // Post-incident sign-off of a break-glass grant: security reviewers, never for their own.
  "breakglass.review": (actor, target) =>
    target?.type === "grant" &&
    hasRole(actor, "security") &&
    actor.kind === "user" &&
    actor.userId !== target.subjectId,
};

export const can = (actor: TActor | null, action: TAction, target?: TTarget): boolean => {
  if (!actor) return false;
  const rule = RULES[action] as TRule | undefined;
  return rule ? rule(actor, target) : false;
};

export const actorId = (actor: TActor): string => (actor.kind === "user" ? actor.userId : `system:${actor.name}`);
