/**
 * The authorization matrix (issue 7, docs/decisions/0018-authorization-matrix.md): every
 * page, route handler, server action and services-API route of the build, each with the
 * outcome every role must get. `authz.spec.ts` runs every cell against the running app and
 * fails on any route, action or API path the build has and this table lacks (and on any row
 * the build no longer has).
 *
 * Roles: the five people below (signed in once through the IdP), a signed-out visitor, a
 * person whose account was deactivated after they signed in (their old cookie), and one
 * service client per scope (their bearer token sent everywhere). On pages and actions the
 * four signed-out columns get the same answer (sign-in / "session has ended") unless a row
 * says otherwise; on the services API people's cookies count for nothing.
 *
 * Objects are the fixtures of `fixtures.ts`: "own" ones belong to the engineer, "other"
 * ones to Owen Other, a person none of the roles is.
 */
import type { db as Db } from "../../lib/db";
import type { TApiPath } from "../../api/routes";

export const ROLES = [
  "anonymous",
  "engineer",
  "approver",
  "security",
  "admin",
  "deactivated",
  "service:access:check",
  "service:grants:read",
] as const;
export type TRole = (typeof ROLES)[number];
export const PEOPLE = ["engineer", "approver", "security", "admin"] as const;
export type TPersonRole = (typeof PEOPLE)[number];
export type TServiceRole = Extract<TRole, `service:${string}`>;

/** Who signs in for each role (demo people, and an e2e-only person for deactivation). */
export const ROLE_PEOPLE: Record<TPersonRole | "deactivated", { name: string; email: string }> = {
  engineer: { name: "Alice Engineer", email: "alice@example.com" },
  approver: { name: "Bob Approver", email: "bob@example.com" },
  security: { name: "Sam Security", email: "sam@example.com" },
  admin: { name: "Ada Admin", email: "ada@example.com" },
  deactivated: { name: "Dexter Deactivated", email: "dexter@example.com" },
};

/** Pages: 200, a redirect to /signin, a redirect home (/signin when signed in), 403, 404, 500. */
export type TPageOutcome = "ok" | "signin" | "home" | "forbidden" | "not_found" | "server_error";
/**
 * Server actions, from their answer: `ok` (including a redirect to the result), or a refusal:
 * `unauthenticated` (session ended), `forbidden`, `not_found` (also for objects the caller may
 * not see), `invalid` (validation), `step_up` (authorized, but a passkey confirmation is
 * missing or wrong), `conflict` (authorized, but the object's state forbids it: these cells
 * run after the row's `ok` cells, e.g. a second revocation of one grant).
 */
export type TActionOutcome = "ok" | "unauthenticated" | "forbidden" | "not_found" | "invalid" | "step_up" | "conflict";

export type TFixtures = {
  resourceKey: string;
  policyId: string;
  /** A second resource and policy that the catalog rows edit, archive and delete. */
  spareResourceKey: string;
  sparePolicyId: string;
  /** A bundle engineers may request, and Owen's pending submission of it (db-approvers decide). */
  bundles: { bundleId: string; submissionId: string; submittedRequestId: string };
  /** An access review Owen started, Sam (security) its reviewer, Owen's eligibility its one item. */
  reviews: { reviewId: string; itemId: string };
  otherUserId: string;
  /** Nobody's role: the administrator deactivates this person. */
  spareUserId: string;
  requests: { otherPending: string; ownPending: string; approverOwnPending: string };
  grants: { otherActive: string; otherBreakGlass: string; ownToExtend: string; ownToRevoke: string };
  passkeys: { other: string; own: string };
  notifications: { other: string };
  services: { toRotate: string; toDisable: string };
  /** A directory connection (SCIM) and a token of it to revoke. */
  directory: { connectionId: string; toRevoke: string };
  /** A Shared Signals transmitter to disable. */
  signals: { transmitterId: string };
  webhookEndpointId: string;
  /** A PostgreSQL connector on the matrix's resource (the e2e database as its target). */
  connectorId: string;
  /** The catalog as exported, for a dry-run import that changes nothing. */
  catalogYaml: string;
};

type TCells<T> = Record<TRole, T>;
type TPeopleCells<T> = Record<TPersonRole, T>;

/** The people's columns as given; the signed-out columns (anonymous, deactivated, services) as `out`. */
const withSignedOut = <T>(out: T, people: TPeopleCells<T>, overrides: Partial<TCells<T>> = {}): TCells<T> => ({
  anonymous: out,
  deactivated: out,
  "service:access:check": out,
  "service:grants:read": out,
  ...people,
  ...overrides,
});
const pageCells = (people: TPeopleCells<TPageOutcome>): TCells<TPageOutcome> =>
  withSignedOut<TPageOutcome>("signin", people);
const actionCells = (people: TPeopleCells<TActionOutcome>): TCells<TActionOutcome> =>
  withSignedOut<TActionOutcome>("unauthenticated", people);
const everyone = <T>(outcome: T): TCells<T> =>
  withSignedOut(outcome, { engineer: outcome, approver: outcome, security: outcome, admin: outcome });
const allPeople = <T>(outcome: T): TPeopleCells<T> => ({
  engineer: outcome,
  approver: outcome,
  security: outcome,
  admin: outcome,
});

type TProbe = (fx: TFixtures, db: typeof Db) => Promise<unknown>;

export type TPageRow = {
  kind: "page";
  /** The build's route (app-paths-manifest without route groups and the trailing /page). */
  route: string;
  name: string;
  path: (fx: TFixtures) => string;
  cells: TCells<TPageOutcome>;
  /** For the people the page answers `ok`: text it must show, and text it must not. */
  content?: (role: TPersonRole) => { shows: string[]; hides: string[] };
};

export type TRouteRow = {
  kind: "route";
  route: string;
  name: string;
  method: "GET";
  path: (fx: TFixtures) => string;
  cells: TCells<number>;
};

export type TActionRow = {
  kind: "action";
  /** `file#export`, as e2e/support/server-actions.ts names it. */
  action: string;
  name: string;
  args: (fx: TFixtures) => unknown[];
  cells: TCells<TActionOutcome>;
  /** Read before and after the refused cells: a refusal must change none of it. */
  unchanged?: TProbe;
  /** Checked after every cell (e.g. another person's object is still as it was). */
  after?: (fx: TFixtures, db: typeof Db) => Promise<void>;
  /** Refusals of objects by id are audited as `authz.denied`, not_found ones included. */
  auditsNotFound?: boolean;
  /**
   * A passkey confirmation made for this cell: the spec calls `action` (step one) as the role,
   * signs the options it answers with the role's passkey, and puts the assertion in
   * `args[0][field]`. Roles without a passkey, or refused at step one, send one signed by nobody.
   */
  confirmWith?: { action: string; args: (fx: TFixtures) => unknown[]; field: string };
};

export type TApiRow = {
  kind: "api";
  route: TApiPath;
  name: string;
  method: "GET" | "POST";
  path: (fx: TFixtures) => string;
  body?: (fx: TFixtures) => unknown;
  /** The token endpoint authenticates with the client's own id and secret, not a token. */
  clientCredentials?: boolean;
  cells: TCells<number>;
};

export type TRow = TPageRow | TRouteRow | TActionRow | TApiRow;

const form = (fields: Record<string, string | string[]>): { form: Record<string, string | string[]> } => ({
  form: fields,
});
/** A FormData argument, built in the spec (FormData is not declarative). */
export type TFormArg = ReturnType<typeof form>;
export const isFormArg = (value: unknown): value is TFormArg =>
  typeof value === "object" && value !== null && "form" in value && Object.keys(value).length === 1;

/** Shaped like a browser's assertion, signed by nobody: passes validation, fails verification. */
const FAKE_ASSERTION = {
  id: "bm90LWEtcmVhbC1jcmVkZW50aWFs",
  rawId: "bm90LWEtcmVhbC1jcmVkZW50aWFs",
  type: "public-key",
  clientExtensionResults: {},
  response: { clientDataJSON: "e30", authenticatorData: "AAAA", signature: "AAAA" },
};
const FAKE_REGISTRATION = {
  id: "bm90LWEtcmVhbC1jcmVkZW50aWFs",
  rawId: "bm90LWEtcmVhbC1jcmVkZW50aWFs",
  type: "public-key",
  clientExtensionResults: {},
  response: { clientDataJSON: "e30", attestationObject: "AAAA" },
};
const JUSTIFICATION = "Authorization matrix: exercising this form end to end.";
const requestStatus =
  (id: string): TProbe =>
  async (_fx, db) =>
    (await db.accessRequest.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;
const decisionState: TProbe = async (fx, db) => [
  await requestStatus(fx.requests.otherPending)(fx, db),
  await db.approval.count({ where: { requestId: fx.requests.otherPending } }),
];
/** A self-decision leaves the request pending, with no approval and no challenge issued for it. */
const selfDecisionState: TProbe = async (fx, db) => [
  await requestStatus(fx.requests.approverOwnPending)(fx, db),
  await db.approval.count({ where: { requestId: fx.requests.approverOwnPending } }),
  await db.webAuthnChallenge.count({ where: { targetId: fx.requests.approverOwnPending } }),
  await db.grant.count({ where: { requestId: fx.requests.approverOwnPending } }),
];
const grantState: (pick: (fx: TFixtures) => string) => TProbe = (pick) => async (fx, db) =>
  db.grant.findUniqueOrThrow({
    where: { id: pick(fx) },
    select: { revokedAt: true, expiresAt: true, reviewedAt: true },
  });

const PAGES: TPageRow[] = [
  { kind: "page", route: "/", name: "My access", path: () => "/", cells: pageCells(allPeople("ok")) },
  {
    kind: "page",
    route: "/request",
    name: "requestable resources",
    path: () => "/request",
    cells: pageCells(allPeople("ok")),
  },
  {
    kind: "page",
    route: "/request/[resourceKey]",
    name: "the request form of a resource engineers may request",
    path: (fx) => `/request/${fx.resourceKey}`,
    // Only people the resource's policies let request see it; to others it does not exist.
    cells: pageCells({ engineer: "ok", approver: "ok", security: "not_found", admin: "not_found" }),
  },
  {
    kind: "page",
    route: "/requests/[id]",
    name: "the engineer's own request",
    path: (fx) => `/requests/${fx.requests.ownPending}`,
    // Requester, the policy's approver groups and security reviewers read a request.
    cells: pageCells({ engineer: "ok", approver: "ok", security: "ok", admin: "not_found" }),
  },
  {
    kind: "page",
    route: "/requests/[id]",
    name: "another person's request",
    path: (fx) => `/requests/${fx.requests.otherPending}`,
    cells: pageCells({ engineer: "not_found", approver: "ok", security: "ok", admin: "not_found" }),
  },
  {
    kind: "page",
    route: "/requests/[id]",
    name: "a request id that does not exist",
    path: () => "/requests/01900000-0000-7000-8000-000000000000",
    cells: pageCells(allPeople("not_found")),
  },
  {
    kind: "page",
    route: "/bundles/[id]",
    name: "the request form of a bundle engineers may request",
    path: (fx) => `/bundles/${fx.bundles.bundleId}`,
    // Only people eligible for every item see it; to others it does not exist.
    cells: pageCells({ engineer: "ok", approver: "ok", security: "not_found", admin: "not_found" }),
  },
  {
    kind: "page",
    route: "/submissions/[id]",
    name: "another person's bundle request",
    path: (fx) => `/submissions/${fx.bundles.submissionId}`,
    // Its requester, the approver groups of any of its items and security reviewers.
    cells: pageCells({ engineer: "not_found", approver: "ok", security: "ok", admin: "not_found" }),
  },
  {
    kind: "page",
    route: "/grants/[id]/extend",
    name: "the engineer's own grant",
    path: (fx) => `/grants/${fx.grants.ownToExtend}/extend`,
    cells: pageCells({ engineer: "ok", approver: "not_found", security: "not_found", admin: "not_found" }),
  },
  // The grant page (provisioning timeline): its subject, security reviewers, administrators.
  {
    kind: "page",
    route: "/grants/[id]",
    name: "the engineer's own grant",
    path: (fx) => `/grants/${fx.grants.ownToExtend}`,
    cells: pageCells({ engineer: "ok", approver: "not_found", security: "ok", admin: "ok" }),
  },
  {
    kind: "page",
    route: "/grants/[id]",
    name: "another person's grant",
    path: (fx) => `/grants/${fx.grants.otherActive}`,
    cells: pageCells({ engineer: "not_found", approver: "not_found", security: "ok", admin: "ok" }),
  },
  {
    kind: "page",
    route: "/grants/[id]/extend",
    name: "another person's grant",
    path: (fx) => `/grants/${fx.grants.otherActive}/extend`,
    cells: pageCells(allPeople("not_found")),
  },
  {
    kind: "page",
    route: "/approvals",
    name: "approvals inbox",
    path: () => "/approvals",
    cells: pageCells({ engineer: "forbidden", approver: "ok", security: "forbidden", admin: "forbidden" }),
  },
  {
    kind: "page",
    route: "/passkeys",
    name: "one's own passkeys",
    path: () => "/passkeys",
    cells: pageCells(allPeople("ok")),
  },
  {
    kind: "page",
    route: "/device",
    name: "confirm a CLI's device code",
    path: () => "/device?code=BCDF-GHJK",
    cells: pageCells(allPeople("ok")),
  },
  {
    kind: "page",
    route: "/devices",
    name: "one's own CLI devices",
    path: () => "/devices",
    cells: pageCells(allPeople("ok")),
  },
  {
    kind: "page",
    route: "/delegations",
    name: "one's own approval delegations",
    path: () => "/delegations",
    cells: pageCells(allPeople("ok")),
  },
  {
    kind: "page",
    route: "/reviews",
    name: "access reviews one may see, and the form to start one",
    path: () => "/reviews",
    cells: pageCells(allPeople("ok")),
  },
  {
    kind: "page",
    route: "/reviews/[id]",
    name: "an access review: its reviewers, its starter, security and administrators",
    path: (fx) => `/reviews/${fx.reviews.reviewId}`,
    cells: pageCells({ engineer: "not_found", approver: "not_found", security: "ok", admin: "ok" }),
  },
  {
    kind: "page",
    route: "/notifications",
    name: "one's own notifications, and nobody else's",
    path: () => "/notifications",
    cells: pageCells(allPeople("ok")),
    content: (role) => ({ shows: [`For the ${role} only.`], hides: ["For Owen only."] }),
  },
  {
    kind: "page",
    route: "/api-docs",
    name: "services API documentation",
    path: () => "/api-docs",
    cells: pageCells(allPeople("ok")),
  },
  ...(
    [
      "/security",
      "/security/events",
      "/security/charts",
      "/security/break-glass",
      "/security/findings",
      "/security/signals",
    ] as const
  ).map((route): TPageRow => ({
    kind: "page",
    route,
    name: "security area",
    path: () => route,
    cells: pageCells({ engineer: "forbidden", approver: "forbidden", security: "ok", admin: "ok" }),
  })),
  {
    kind: "page",
    route: "/security/people/[id]",
    name: "what a person held",
    path: (fx) => `/security/people/${fx.otherUserId}`,
    cells: pageCells({ engineer: "forbidden", approver: "forbidden", security: "ok", admin: "ok" }),
  },
  {
    kind: "page",
    route: "/security/resources/[key]",
    name: "who held a resource",
    path: (fx) => `/security/resources/${fx.resourceKey}`,
    cells: pageCells({ engineer: "forbidden", approver: "forbidden", security: "ok", admin: "ok" }),
  },
  ...(
    [
      "/admin",
      "/admin/jobs",
      "/admin/policies",
      "/admin/resources",
      "/admin/bundles",
      "/admin/services",
      "/admin/directory",
    ] as const
  ).map((route): TPageRow => ({
    kind: "page",
    route,
    name: "administration",
    path: () => route,
    cells: pageCells({ engineer: "forbidden", approver: "forbidden", security: "forbidden", admin: "ok" }),
  })),
  {
    kind: "page",
    route: "/admin/resources/[key]",
    name: "a resource's settings",
    path: (fx) => `/admin/resources/${fx.resourceKey}`,
    cells: pageCells({ engineer: "forbidden", approver: "forbidden", security: "forbidden", admin: "ok" }),
  },
  {
    kind: "page",
    route: "/admin/resources/[key]/provisioning",
    name: "a resource's provisioning connectors",
    path: (fx) => `/admin/resources/${fx.resourceKey}/provisioning`,
    cells: pageCells({ engineer: "forbidden", approver: "forbidden", security: "forbidden", admin: "ok" }),
  },
  {
    kind: "page",
    route: "/admin/resources/[key]/webhooks",
    name: "a resource's webhooks",
    path: (fx) => `/admin/resources/${fx.resourceKey}/webhooks`,
    cells: pageCells({ engineer: "forbidden", approver: "forbidden", security: "forbidden", admin: "ok" }),
  },
  // Public by nature; people already signed in are sent home.
  {
    kind: "page",
    route: "/signin",
    name: "sign-in",
    path: () => "/signin",
    cells: withSignedOut<TPageOutcome>("ok", allPeople("home")),
  },
  // The development mailbox does not exist in production, for anyone.
  {
    kind: "page",
    route: "/dev/mail",
    name: "development mailbox (production build)",
    path: () => "/dev/mail",
    cells: everyone<TPageOutcome>("not_found"),
  },
  {
    kind: "page",
    route: "/_not-found",
    name: "an unknown path",
    path: () => "/no-such-page-authz-matrix",
    cells: everyone<TPageOutcome>("not_found"),
  },
  // Next's error boundary, requested directly: an unknown path for everyone (proxy.ts), not a 500.
  {
    kind: "page",
    route: "/_global-error",
    name: "the global error boundary, requested directly",
    path: () => "/_global-error",
    cells: everyone<TPageOutcome>("not_found"),
  },
];

const ROUTES: TRouteRow[] = [
  {
    kind: "route",
    route: "/api/health",
    name: "health (says nothing about users)",
    method: "GET",
    path: () => "/api/health",
    cells: everyone(200),
  },
  // Without METRICS_TOKEN (as in the e2e run) the endpoint does not exist.
  {
    kind: "route",
    route: "/api/metrics",
    name: "metrics, not configured",
    method: "GET",
    path: () => "/api/metrics",
    cells: everyone(404),
  },
  // Public by design (ADR 0037): a KRL holds serials only, and hosts fetch it without credentials.
  {
    kind: "route",
    route: "/api/ssh/krl/[resourceKey]",
    name: "SSH key revocation list",
    method: "GET",
    path: (fx) => `/api/ssh/krl/${fx.resourceKey}`,
    cells: everyone(200),
  },
  {
    kind: "route",
    route: "/api/ssh/krl/[resourceKey]",
    name: "SSH key revocation list, unknown resource",
    method: "GET",
    path: () => "/api/ssh/krl/no-such-resource",
    cells: everyone(404),
  },
  // Slack's interactivity Request URL answers POSTs signed by Slack only (lib/chat, its tests
  // try unsigned, stale, replayed and forged ones); nobody can GET it.
  {
    kind: "route",
    route: "/api/slack/interactivity",
    name: "Slack interactivity (POST only)",
    method: "GET",
    path: () => "/api/slack/interactivity",
    cells: everyone(405),
  },
  {
    kind: "route",
    route: "/api/auth/[...nextauth]",
    name: "next-auth: providers",
    method: "GET",
    path: () => "/api/auth/providers",
    cells: everyone(200),
  },
  // SCIM answers only a directory token: a person's session or a service's token is no credential.
  ...(
    [
      "/scim/v2/Users",
      "/scim/v2/Groups",
      "/scim/v2/ServiceProviderConfig",
      "/scim/v2/ResourceTypes",
      "/scim/v2/Schemas",
    ] as const
  ).map((route): TRouteRow => ({
    kind: "route",
    route,
    name: "SCIM, without a directory token",
    method: "GET",
    path: () => route,
    cells: everyone(401),
  })),
  ...(["/scim/v2/Users/[id]", "/scim/v2/Groups/[id]"] as const).map((route): TRouteRow => ({
    kind: "route",
    route,
    name: "a SCIM resource, without a directory token",
    method: "GET",
    path: (fx) => route.replace("[id]", fx.otherUserId),
    cells: everyone(401),
  })),
  // The Shared Signals receiver answers only a signed SET: a session or a service token is no
  // credential (ADR 0040). A GET is no push (405); POSTs are refused in its integration test.
  {
    kind: "route",
    route: "/api/ssf/events/[transmitterId]",
    name: "Shared Signals receiver (POST of a signed SET only)",
    method: "GET",
    path: (fx) => `/api/ssf/events/${fx.signals.transmitterId}`,
    cells: everyone(405),
  },
  {
    kind: "route",
    route: "/admin/policies/export",
    name: "catalog export",
    method: "GET",
    path: () => "/admin/policies/export?format=json",
    cells: withSignedOut(401, { engineer: 403, approver: 403, security: 403, admin: 200 }),
  },
  {
    kind: "route",
    route: "/reviews/[id]/export",
    name: "an access review's CSV export",
    method: "GET",
    path: (fx) => `/reviews/${fx.reviews.reviewId}/export`,
    cells: withSignedOut(401, { engineer: 404, approver: 404, security: 200, admin: 200 }),
  },
  {
    kind: "route",
    route: "/security/export",
    name: "grant history export",
    method: "GET",
    path: () => "/security/export?format=jsonl",
    cells: withSignedOut(401, { engineer: 403, approver: 403, security: 200, admin: 200 }),
  },
];

const A = (file: string, exportName: string): string => `app/${file}#${exportName}`;
/** Administration: administrators only; everyone else is told no (and it is audited). */
const ADMIN_ONLY = actionCells({ engineer: "forbidden", approver: "forbidden", security: "forbidden", admin: "ok" });

const ACTIONS: TActionRow[] = [
  // Requests
  {
    kind: "action",
    action: A("(portal)/request/[resourceKey]/actions.ts", "requestAccessAction"),
    name: "request access",
    args: (fx) => [
      null,
      form({ policyId: fx.policyId, permissions: "admin", durationMinutes: "30", justification: JUSTIFICATION }),
    ],
    // Engineers (Alice; Bob is one too) may; the others are not in the policy's requester groups.
    cells: actionCells({ engineer: "ok", approver: "ok", security: "forbidden", admin: "forbidden" }),
  },
  {
    kind: "action",
    action: A("(portal)/bundles/[id]/actions.ts", "requestBundleAction"),
    name: "request a bundle",
    args: (fx) => [null, form({ bundleId: fx.bundles.bundleId, durationMinutes: "30", justification: JUSTIFICATION })],
    // Engineers (Alice; Bob is one too) may; the others are not in its item's requester groups.
    cells: actionCells({ engineer: "ok", approver: "ok", security: "forbidden", admin: "forbidden" }),
  },
  {
    kind: "action",
    action: A("(portal)/submissions/[id]/actions.ts", "startBundleDecisionAction"),
    name: "start deciding another person's bundle request",
    args: (fx) => [
      {
        submissionId: fx.bundles.submissionId,
        items: [{ requestId: fx.bundles.submittedRequestId, decision: "APPROVE" }],
      },
    ],
    cells: actionCells({ engineer: "not_found", approver: "ok", security: "forbidden", admin: "not_found" }),
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/submissions/[id]/actions.ts", "decideBundleAction"),
    name: "decide another person's bundle request (assertion signed by nobody)",
    args: (fx) => [
      {
        submissionId: fx.bundles.submissionId,
        items: [{ requestId: fx.bundles.submittedRequestId, decision: "APPROVE" }],
        assertion: FAKE_ASSERTION,
      },
    ],
    // The approver is authorized; the passkey confirmation is what is missing.
    cells: actionCells({ engineer: "not_found", approver: "step_up", security: "forbidden", admin: "not_found" }),
    unchanged: async (fx, db) => [
      await requestStatus(fx.bundles.submittedRequestId)(fx, db),
      await db.approval.count({ where: { requestId: fx.bundles.submittedRequestId } }),
    ],
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/requests/[id]/actions.ts", "cancelRequestAction"),
    name: "cancel another person's request",
    args: (fx) => [fx.requests.otherPending],
    cells: actionCells({ engineer: "not_found", approver: "forbidden", security: "forbidden", admin: "not_found" }),
    unchanged: (fx, db) => requestStatus(fx.requests.otherPending)(fx, db),
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/requests/[id]/actions.ts", "startDecisionAction"),
    name: "start deciding one's own request",
    args: (fx) => [fx.requests.ownPending, "APPROVE"],
    // Only the policy's approver groups decide, and never their own request.
    cells: actionCells({ engineer: "forbidden", approver: "ok", security: "forbidden", admin: "not_found" }),
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/requests/[id]/actions.ts", "startDecisionAction"),
    name: "start deciding a request one made oneself, as an approver of its policy",
    args: (fx) => [fx.requests.approverOwnPending, "APPROVE"],
    // The approver's groups approve this policy; the request is his own: refused, no challenge issued.
    cells: actionCells({ engineer: "not_found", approver: "forbidden", security: "forbidden", admin: "not_found" }),
    unchanged: selfDecisionState,
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/requests/[id]/actions.ts", "decideRequestAction"),
    name: "approve a request one made oneself, as an approver of its policy, with one's passkey",
    args: (fx) => [{ requestId: fx.requests.approverOwnPending, decision: "APPROVE", assertion: FAKE_ASSERTION }],
    confirmWith: {
      action: A("(portal)/requests/[id]/actions.ts", "startDecisionAction"),
      args: (fx) => [fx.requests.approverOwnPending, "APPROVE"],
      field: "assertion",
    },
    cells: actionCells({ engineer: "not_found", approver: "forbidden", security: "forbidden", admin: "not_found" }),
    unchanged: selfDecisionState,
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/requests/[id]/actions.ts", "startDecisionAction"),
    name: "start deciding another person's request",
    args: (fx) => [fx.requests.otherPending, "APPROVE"],
    cells: actionCells({ engineer: "not_found", approver: "ok", security: "forbidden", admin: "not_found" }),
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/requests/[id]/actions.ts", "decideRequestAction"),
    name: "decide another person's request (assertion signed by nobody)",
    args: (fx) => [{ requestId: fx.requests.otherPending, decision: "APPROVE", assertion: FAKE_ASSERTION }],
    // The approver is authorized; the passkey confirmation is what is missing.
    cells: actionCells({ engineer: "not_found", approver: "step_up", security: "forbidden", admin: "not_found" }),
    unchanged: decisionState,
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/requests/[id]/actions.ts", "decideRequestAction"),
    name: "approve another person's request, confirmed with one's passkey",
    args: (fx) => [{ requestId: fx.requests.otherPending, decision: "APPROVE", assertion: FAKE_ASSERTION }],
    confirmWith: {
      action: A("(portal)/requests/[id]/actions.ts", "startDecisionAction"),
      args: (fx) => [fx.requests.otherPending, "APPROVE"],
      field: "assertion",
    },
    cells: actionCells({ engineer: "not_found", approver: "ok", security: "forbidden", admin: "not_found" }),
    unchanged: decisionState,
    auditsNotFound: true,
  },
  // Acknowledging (ADR 0057) is only for the person a teammate filed the request for.
  {
    kind: "action",
    action: A("(portal)/requests/[id]/actions.ts", "acknowledgeRequestAction"),
    name: "acknowledge another person's request, which nobody filed for one",
    args: (fx) => [fx.requests.otherPending],
    cells: actionCells({ engineer: "not_found", approver: "forbidden", security: "forbidden", admin: "not_found" }),
    unchanged: (fx, db) => requestStatus(fx.requests.otherPending)(fx, db),
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/requests/[id]/actions.ts", "cancelRequestAction"),
    name: "cancel one's own request",
    args: (fx) => [fx.requests.ownPending],
    cells: actionCells({ engineer: "ok", approver: "forbidden", security: "forbidden", admin: "not_found" }),
    unchanged: (fx, db) => requestStatus(fx.requests.ownPending)(fx, db),
    auditsNotFound: true,
  },
  // Break-glass
  {
    kind: "action",
    action: A("(portal)/request/[resourceKey]/break-glass-actions.ts", "startBreakGlassAction"),
    name: "start break-glass",
    args: (fx) => [{ policyId: fx.policyId, permissions: ["admin"] }],
    // The policy's requester groups (engineers: Alice, and Bob who is one too).
    cells: actionCells({ engineer: "ok", approver: "ok", security: "forbidden", admin: "forbidden" }),
  },
  {
    kind: "action",
    action: A("(portal)/request/[resourceKey]/break-glass-actions.ts", "takeBreakGlassAction"),
    name: "take break-glass (assertion signed by nobody)",
    args: (fx) => [
      {
        policyId: fx.policyId,
        permissions: ["admin"],
        durationMinutes: 15,
        justification: JUSTIFICATION,
        assertion: FAKE_ASSERTION,
      },
    ],
    cells: actionCells({ engineer: "step_up", approver: "step_up", security: "forbidden", admin: "forbidden" }),
    unchanged: async (_fx, db) => db.grant.count({ where: { breakGlass: true } }),
  },
  {
    kind: "action",
    action: A("(portal)/request/[resourceKey]/break-glass-actions.ts", "takeBreakGlassAction"),
    name: "take break-glass, confirmed with one's passkey",
    args: (fx) => [
      {
        policyId: fx.policyId,
        permissions: ["admin"],
        durationMinutes: 15,
        justification: JUSTIFICATION,
        assertion: FAKE_ASSERTION,
      },
    ],
    confirmWith: {
      action: A("(portal)/request/[resourceKey]/break-glass-actions.ts", "startBreakGlassAction"),
      args: (fx) => [{ policyId: fx.policyId, permissions: ["admin"] }],
      field: "assertion",
    },
    cells: actionCells({ engineer: "ok", approver: "ok", security: "forbidden", admin: "forbidden" }),
    unchanged: async (_fx, db) => db.grant.count({ where: { breakGlass: true } }),
  },
  // Grants
  {
    kind: "action",
    action: A("(portal)/grants/[id]/extend/actions.ts", "requestExtensionAction"),
    name: "extend another person's grant",
    args: (fx) => [null, form({ grantId: fx.grants.otherActive, minutes: "30", justification: JUSTIFICATION })],
    cells: actionCells(allPeople("not_found")),
    unchanged: async (fx, db) => db.accessRequest.count({ where: { extendsGrantId: fx.grants.otherActive } }),
  },
  {
    kind: "action",
    action: A("(portal)/grants/[id]/extend/actions.ts", "requestExtensionAction"),
    name: "extend one's own grant",
    args: (fx) => [null, form({ grantId: fx.grants.ownToExtend, minutes: "30", justification: JUSTIFICATION })],
    cells: actionCells({ engineer: "ok", approver: "not_found", security: "not_found", admin: "not_found" }),
    unchanged: async (fx, db) => db.accessRequest.count({ where: { extendsGrantId: fx.grants.ownToExtend } }),
  },
  {
    kind: "action",
    action: A("components/revoke-actions.ts", "startRevocationAction"),
    name: "start revoking another person's grant",
    args: (fx) => [fx.grants.otherActive],
    // Security reviewers and administrators may revoke any grant (confirmed with a passkey).
    cells: actionCells({ engineer: "not_found", approver: "not_found", security: "ok", admin: "ok" }),
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("components/revoke-actions.ts", "revokeGrantAction"),
    name: "revoke another person's grant (no passkey)",
    args: (fx) => [{ grantId: fx.grants.otherActive, reason: "Authorization matrix" }],
    cells: actionCells({ engineer: "not_found", approver: "not_found", security: "step_up", admin: "step_up" }),
    unchanged: grantState((fx) => fx.grants.otherActive),
    after: async (fx, db) => {
      if ((await db.grant.findUniqueOrThrow({ where: { id: fx.grants.otherActive } })).revokedAt)
        throw new Error("another person's grant was revoked without a passkey");
    },
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("components/revoke-actions.ts", "revokeGrantAction"),
    name: "revoke another person's grant, confirmed with one's passkey",
    args: (fx) => [{ grantId: fx.grants.otherActive, reason: "Authorization matrix", assertion: FAKE_ASSERTION }],
    confirmWith: {
      action: A("components/revoke-actions.ts", "startRevocationAction"),
      args: (fx) => [fx.grants.otherActive],
      field: "assertion",
    },
    // The security reviewer's revocation lands; the administrator, as entitled, finds it ended.
    cells: actionCells({ engineer: "not_found", approver: "not_found", security: "ok", admin: "conflict" }),
    unchanged: grantState((fx) => fx.grants.otherActive),
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("components/revoke-actions.ts", "startRevocationAction"),
    name: "start revoking one's own grant",
    args: (fx) => [fx.grants.ownToRevoke],
    cells: actionCells({ engineer: "ok", approver: "not_found", security: "ok", admin: "ok" }),
  },
  {
    kind: "action",
    action: A("components/revoke-actions.ts", "revokeGrantAction"),
    name: "end one's own grant",
    args: (fx) => [{ grantId: fx.grants.ownToRevoke, reason: "Authorization matrix" }],
    cells: actionCells({ engineer: "ok", approver: "not_found", security: "step_up", admin: "step_up" }),
    unchanged: grantState((fx) => fx.grants.ownToRevoke),
    auditsNotFound: true,
  },
  // Passkeys
  {
    kind: "action",
    action: A("(portal)/passkeys/actions.ts", "startAddPasskeyAction"),
    name: "start adding a passkey",
    args: () => [],
    cells: actionCells(allPeople("ok")),
  },
  {
    kind: "action",
    action: A("(portal)/passkeys/actions.ts", "finishAddPasskeyAction"),
    name: "finish adding a passkey (attestation signed by nobody)",
    args: () => [{ name: "matrix key", response: FAKE_REGISTRATION }],
    cells: actionCells(allPeople("step_up")),
  },
  {
    kind: "action",
    action: A("(portal)/passkeys/actions.ts", "startPasskeyStepUpAction"),
    name: "start a passkey step-up",
    args: () => [],
    cells: actionCells(allPeople("ok")),
  },
  {
    kind: "action",
    action: A("(portal)/passkeys/actions.ts", "removePasskeyAction"),
    name: "remove another person's passkey",
    args: (fx) => [{ passkeyId: fx.passkeys.other }],
    cells: actionCells(allPeople("not_found")),
    unchanged: async (fx, db) => db.passkey.count({ where: { id: fx.passkeys.other } }),
    after: async (fx, db) => {
      if ((await db.passkey.count({ where: { id: fx.passkeys.other } })) !== 1)
        throw new Error("another person's passkey was removed");
    },
  },
  {
    kind: "action",
    action: A("(portal)/passkeys/actions.ts", "removePasskeyAction"),
    name: "remove one's own passkey",
    args: (fx) => [{ passkeyId: fx.passkeys.own }],
    cells: actionCells({ engineer: "ok", approver: "not_found", security: "not_found", admin: "not_found" }),
    unchanged: async (fx, db) => db.passkey.count({ where: { id: fx.passkeys.own } }),
  },
  // CLI devices: a code nobody started, a device nobody has.
  {
    kind: "action",
    action: A("(portal)/device/actions.ts", "confirmDeviceAction"),
    name: "confirm a device code that no CLI started",
    args: () => [null, form({ userCode: "BCDF-GHJK", deviceName: "matrix laptop", decision: "approve" })],
    cells: actionCells(allPeople("not_found")),
  },
  {
    kind: "action",
    action: A("(portal)/devices/actions.ts", "revokeDeviceAction"),
    name: "sign out a device that is not one's own",
    args: () => ["0197a000-0000-7000-8000-000000000000"],
    cells: actionCells(allPeople("not_found")),
  },
  {
    kind: "action",
    action: A("(portal)/devices/actions.ts", "signOutEverywhereAction"),
    name: "sign out everywhere without the button's confirmation",
    args: () => ["yes"],
    cells: actionCells(allPeople("invalid")),
  },
  // Approval delegation (ADR 0056): only approvers delegate; a delegation is ended by its
  // delegator, security or an administrator, and an id nobody may see is a missing one.
  {
    kind: "action",
    action: A("(portal)/delegations/actions.ts", "createDelegationAction"),
    name: "delegate one's approvals to someone who never signed in",
    args: () => [
      null,
      form({
        delegateEmail: "nobody@example.com",
        endsAt: "2099-01-01T10:00",
        reason: "Out of office",
        tzOffsetMinutes: "0",
      }),
    ],
    cells: actionCells({ engineer: "forbidden", approver: "invalid", security: "forbidden", admin: "forbidden" }),
  },
  {
    kind: "action",
    action: A("(portal)/delegations/actions.ts", "endDelegationAction"),
    name: "end a delegation that does not exist",
    args: () => ["0197a000-0000-7000-8000-000000000000"],
    cells: actionCells(allPeople("not_found")),
  },
  // Access reviews (ADR 0058): security, administrators and a policy's approvers start them;
  // only a review's reviewers decide; a review nobody may see is a missing one.
  {
    kind: "action",
    action: A("(portal)/reviews/actions.ts", "startReviewAction"),
    name: "start a review with a reviewer who never signed in",
    args: (fx) => [
      null,
      form({
        name: "Matrix review",
        policyIds: fx.policyId,
        reviewerEmails: "nobody@example.com",
        deadline: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 16),
        usageDays: "30",
        tzOffsetMinutes: "0",
      }),
    ],
    // Bob approves the matrix's policy, so he may review it.
    cells: actionCells({ engineer: "forbidden", approver: "invalid", security: "invalid", admin: "invalid" }),
  },
  {
    kind: "action",
    action: A("(portal)/reviews/actions.ts", "startReviewDecisionAction"),
    name: "start recording a verdict in a review",
    args: (fx) => [{ reviewId: fx.reviews.reviewId, items: [{ itemId: fx.reviews.itemId, verdict: "CERTIFY" }] }],
    // Administrators read it, but only its reviewer decides.
    cells: actionCells({ engineer: "not_found", approver: "not_found", security: "ok", admin: "forbidden" }),
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/reviews/actions.ts", "decideReviewAction"),
    name: "record a verdict in a review (assertion signed by nobody)",
    args: (fx) => [
      {
        reviewId: fx.reviews.reviewId,
        items: [{ itemId: fx.reviews.itemId, verdict: "CERTIFY" }],
        assertion: FAKE_ASSERTION,
      },
    ],
    // The reviewer is authorized; the passkey confirmation is what is missing.
    cells: actionCells({ engineer: "not_found", approver: "not_found", security: "step_up", admin: "forbidden" }),
    unchanged: async (fx, db) =>
      (await db.accessReviewItem.findUniqueOrThrow({ where: { id: fx.reviews.itemId } })).verdict,
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/reviews/actions.ts", "closeReviewAction"),
    name: "close a review that does not exist",
    args: () => ["0197a000-0000-7000-8000-000000000000"],
    cells: actionCells(allPeople("not_found")),
  },
  // The Slack link (ADR 0046): a code goes only to a member id Slack knows; codes are one's own.
  {
    kind: "action",
    action: A("(portal)/notifications/actions.ts", "startSlackLinkAction"),
    name: "ask for a Slack link code to a member id that is not in the workspace",
    args: () => [null, form({ slackUserId: "U0NOBODY99" })],
    cells: actionCells(allPeople("invalid")),
  },
  {
    kind: "action",
    action: A("(portal)/notifications/actions.ts", "confirmSlackLinkAction"),
    name: "confirm a Slack link code nobody sent to one",
    args: () => [null, form({ code: "123456" })],
    cells: actionCells(allPeople("conflict")),
  },
  {
    kind: "action",
    action: A("(portal)/notifications/actions.ts", "unlinkSlackAction"),
    name: "unlink a Slack member one never linked",
    args: () => [],
    cells: actionCells(allPeople("not_found")),
  },
  // Notifications: the only action marks one's own as read, never anyone else's.
  {
    kind: "action",
    action: A("(portal)/notifications/actions.ts", "markAllReadAction"),
    name: "mark all of one's notifications read",
    args: () => [],
    cells: actionCells(allPeople("ok")),
    after: async (fx, db) => {
      if ((await db.notification.findUniqueOrThrow({ where: { id: fx.notifications.other } })).readAt)
        throw new Error("another person's notification was marked read");
    },
  },
  // Security
  {
    kind: "action",
    action: A("(portal)/security/actions.ts", "verifyChainAction"),
    name: "verify the audit chain",
    args: () => [{ status: "idle" }, form({})],
    cells: actionCells({ engineer: "forbidden", approver: "forbidden", security: "ok", admin: "ok" }),
  },
  {
    kind: "action",
    action: A("(portal)/security/break-glass/actions.ts", "signOffBreakGlassAction"),
    name: "sign off another person's break-glass grant",
    args: (fx) => [{ grantId: fx.grants.otherBreakGlass, comment: "Reviewed by the authorization matrix." }],
    // Security reviewers only (administrators are not reviewers).
    cells: actionCells({ engineer: "forbidden", approver: "forbidden", security: "ok", admin: "forbidden" }),
    unchanged: grantState((fx) => fx.grants.otherBreakGlass),
  },
  // Administration
  {
    kind: "action",
    action: A("(portal)/admin/actions.ts", "setUserActiveAction"),
    name: "reactivate a person (already active)",
    args: (fx) => [null, form({ userId: fx.otherUserId, active: "true" })],
    cells: ADMIN_ONLY,
  },
  {
    kind: "action",
    action: A("(portal)/admin/actions.ts", "setUserActiveAction"),
    name: "deactivate a person",
    args: (fx) => [null, form({ userId: fx.spareUserId, active: "false" })],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) => (await db.user.findUniqueOrThrow({ where: { id: fx.spareUserId } })).deactivatedAt,
  },
  {
    kind: "action",
    action: A("(portal)/admin/jobs/actions.ts", "failedJobAction"),
    name: "discard a failed job (none with that id)",
    args: () => [null, form({ queue: "notify", jobId: "authz-matrix-no-such-job", intent: "discard" })],
    cells: actionCells({ engineer: "forbidden", approver: "forbidden", security: "forbidden", admin: "not_found" }),
  },
  // Bundles (ADR 0054): administrators only; an item the catalog does not offer is refused.
  {
    kind: "action",
    action: A("(portal)/admin/bundles/actions.ts", "saveBundleAction"),
    name: "create a bundle naming a resource that does not exist",
    args: () => [null, form({ name: "authz matrix bundle", description: "", items: "no-such-resource all read" })],
    cells: actionCells({ engineer: "forbidden", approver: "forbidden", security: "forbidden", admin: "invalid" }),
    unchanged: async (_fx, db) => db.bundle.count(),
  },
  {
    kind: "action",
    action: A("(portal)/admin/bundles/actions.ts", "deleteBundleAction"),
    name: "delete a bundle that does not exist",
    args: () => ["0197a000-0000-7000-8000-000000000000"],
    cells: actionCells({ engineer: "forbidden", approver: "forbidden", security: "forbidden", admin: "not_found" }),
  },
  {
    kind: "action",
    action: A("(portal)/admin/services/actions.ts", "createServiceClientAction"),
    name: "create a service client",
    args: () => [null, form({ name: `authz-matrix-created-${Date.now()}`, scopes: "access:check", resourceKeys: "" })],
    cells: ADMIN_ONLY,
    unchanged: async (_fx, db) => db.serviceClient.count(),
  },
  {
    kind: "action",
    action: A("(portal)/admin/services/actions.ts", "rotateServiceClientAction"),
    name: "rotate a service client's secret",
    args: (fx) => [null, form({ clientId: fx.services.toRotate })],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) => db.serviceClientSecret.count({ where: { clientId: fx.services.toRotate } }),
  },
  {
    kind: "action",
    action: A("(portal)/admin/services/actions.ts", "disableServiceClientAction"),
    name: "disable a service client",
    args: (fx) => [null, form({ clientId: fx.services.toDisable })],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) =>
      (await db.serviceClient.findUniqueOrThrow({ where: { id: fx.services.toDisable } })).disabledAt,
  },
  {
    kind: "action",
    action: A("(portal)/admin/directory/actions.ts", "createDirectoryConnectionAction"),
    name: "create a directory connection",
    args: () => [null, form({ name: "authz matrix", issuer: `https://authz-matrix-${Date.now()}.example.com` })],
    cells: ADMIN_ONLY,
    unchanged: async (_fx, db) => db.directoryConnection.count(),
  },
  {
    kind: "action",
    action: A("(portal)/admin/directory/actions.ts", "createDirectoryTokenAction"),
    name: "create a directory token",
    args: (fx) => [null, form({ connectionId: fx.directory.connectionId })],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) => db.directoryToken.count({ where: { connectionId: fx.directory.connectionId } }),
  },
  {
    kind: "action",
    action: A("(portal)/admin/directory/actions.ts", "revokeDirectoryTokenAction"),
    name: "revoke a directory token",
    args: (fx) => [null, form({ tokenId: fx.directory.toRevoke })],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) =>
      (await db.directoryToken.findUniqueOrThrow({ where: { id: fx.directory.toRevoke } })).revokedAt,
  },
  {
    kind: "action",
    action: A("(portal)/admin/directory/actions.ts", "createSignalTransmitterAction"),
    name: "add a Shared Signals transmitter",
    args: () => [
      null,
      form({
        name: "authz matrix transmitter",
        issuer: `https://authz-ssf-${Date.now()}.example.com`,
        jwksUrl: "https://jwks.authz-matrix.invalid/keys",
        audience: "https://portal.example.com",
      }),
    ],
    cells: ADMIN_ONLY,
    unchanged: async (_fx, db) => db.signalTransmitter.count(),
  },
  {
    kind: "action",
    action: A("(portal)/admin/directory/actions.ts", "disableSignalTransmitterAction"),
    name: "disable a Shared Signals transmitter",
    args: (fx) => [null, form({ transmitterId: fx.signals.transmitterId })],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) =>
      (await db.signalTransmitter.findUniqueOrThrow({ where: { id: fx.signals.transmitterId } })).disabledAt,
  },
  {
    kind: "action",
    action: A("(portal)/admin/policies/actions.ts", "importCatalogAction"),
    name: "import the catalog (dry run of the current catalog)",
    args: (fx) => [null, form({ mode: "dry-run", format: "yaml", source: fx.catalogYaml, fileName: "catalog.yaml" })],
    cells: ADMIN_ONLY,
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/actions.ts", "createResourceAction"),
    name: "create a resource",
    args: () => [
      null,
      form({
        key: `authz-matrix-${Date.now()}`,
        name: "Authz matrix resource",
        description: "",
        environment: "staging",
        permissions: "read",
      }),
    ],
    cells: ADMIN_ONLY,
    unchanged: async (_fx, db) => db.resource.count(),
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/actions.ts", "updateResourceAction"),
    name: "update a resource",
    args: (fx) => [
      null,
      form({
        resourceKey: fx.spareResourceKey,
        name: "Authz matrix spare",
        description: "Edited by the matrix.",
        environment: "staging",
        permissions: "read, write",
      }),
    ],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) => db.resource.findUniqueOrThrow({ where: { key: fx.spareResourceKey } }),
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/actions.ts", "createPolicyAction"),
    name: "add a policy",
    args: (fx) => [
      null,
      form({
        resourceKey: fx.spareResourceKey,
        name: `matrix ${Date.now()}`,
        permissions: "read",
        requesterGroups: "engineers",
        approverGroups: "db-approvers",
        defaultDurationMinutes: "30",
        maxDurationMinutes: "60",
      }),
    ],
    cells: ADMIN_ONLY,
    unchanged: async (_fx, db) => db.accessPolicy.count(),
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/actions.ts", "updatePolicyAction"),
    name: "update a policy",
    args: (fx) => [
      null,
      form({
        policyId: fx.sparePolicyId,
        name: "spare policy",
        permissions: "read",
        requesterGroups: "engineers",
        approverGroups: "db-approvers",
        defaultDurationMinutes: "30",
        maxDurationMinutes: "90",
      }),
    ],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) => db.accessPolicy.findUniqueOrThrow({ where: { id: fx.sparePolicyId } }),
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/actions.ts", "deletePolicyAction"),
    name: "delete a policy",
    args: (fx) => [null, form({ policyId: fx.sparePolicyId })],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) => db.accessPolicy.count({ where: { id: fx.sparePolicyId } }),
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/[key]/webhooks/actions.ts", "createEndpointAction"),
    name: "add a webhook endpoint",
    args: (fx) => [
      null,
      form({
        resourceKey: fx.spareResourceKey,
        url: "https://hooks.example.com/authz-matrix",
        events: "grant.activated",
      }),
    ],
    cells: ADMIN_ONLY,
    unchanged: async (_fx, db) => db.webhookEndpoint.count(),
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/[key]/webhooks/actions.ts", "disableEndpointAction"),
    name: "disable a webhook endpoint",
    args: (fx) => [null, form({ resourceKey: fx.resourceKey, endpointId: fx.webhookEndpointId })],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) => db.webhookEndpoint.findUniqueOrThrow({ where: { id: fx.webhookEndpointId } }),
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/[key]/provisioning/actions.ts", "attachConnectorAction"),
    name: "attach a provisioning connector",
    args: (fx) => [
      null,
      form({
        resourceKey: fx.spareResourceKey,
        kind: "webhook",
        name: "authz-matrix",
        settings: JSON.stringify({ url: "https://hooks.example.com/authz-matrix" }),
        credential: "whsec_YXV0aHotbWF0cml4LXNlY3JldC1rZXk=",
      }),
    ],
    cells: ADMIN_ONLY,
    unchanged: async (_fx, db) => db.connector.count(),
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/[key]/provisioning/actions.ts", "testConnectorAction"),
    name: "test a connector's connection",
    args: (fx) => [null, form({ resourceKey: fx.resourceKey, connectorId: fx.connectorId })],
    cells: ADMIN_ONLY,
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/[key]/provisioning/actions.ts", "disableConnectorAction"),
    name: "disable a connector",
    args: (fx) => [null, form({ resourceKey: fx.resourceKey, connectorId: fx.connectorId })],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) => db.connector.findUniqueOrThrow({ where: { id: fx.connectorId } }),
  },
  // A grant's credential: its subject only; for anyone else the grant does not exist.
  {
    kind: "action",
    action: A("(portal)/grants/[id]/actions.ts", "revealCredentialAction"),
    name: "see another person's grant credential",
    args: (fx) => [{ grantId: fx.grants.otherActive, connectorId: fx.connectorId }],
    cells: actionCells(allPeople("not_found")),
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/grants/[id]/actions.ts", "issueCredentialAction"),
    name: "have a credential issued on another person's grant",
    args: (fx) => [{ grantId: fx.grants.otherActive, connectorId: fx.connectorId, input: "ssh-ed25519 AAAA" }],
    cells: actionCells(allPeople("not_found")),
    auditsNotFound: true,
  },
  {
    kind: "action",
    action: A("(portal)/admin/resources/actions.ts", "archiveResourceAction"),
    name: "archive a resource",
    args: (fx) => [null, form({ resourceKey: fx.spareResourceKey })],
    cells: ADMIN_ONLY,
    unchanged: async (fx, db) => db.resource.findUniqueOrThrow({ where: { key: fx.spareResourceKey } }),
  },
];

/** People's cookies mean nothing to the services API: 401 like no token at all. */
const apiCells = (services: Record<TServiceRole, number>, signedOut = 401): TCells<number> => ({
  ...everyone(signedOut),
  ...services,
});

const API: TApiRow[] = [
  {
    kind: "api",
    route: "/api/v1/access/check",
    name: "access check",
    method: "POST",
    path: () => "/api/v1/access/check",
    body: (fx) => ({ subject: "alice@example.com", resource: fx.resourceKey, permission: "read" }),
    cells: apiCells({ "service:access:check": 200, "service:grants:read": 403 }),
  },
  {
    kind: "api",
    route: "/api/v1/grants",
    name: "grant listing",
    method: "GET",
    path: (fx) => `/api/v1/grants?resource=${fx.resourceKey}`,
    cells: apiCells({ "service:access:check": 403, "service:grants:read": 200 }),
  },
  {
    kind: "api",
    route: "/api/v1/signals",
    name: "usage signals (scope signals:write, which neither matrix client holds)",
    method: "POST",
    path: () => "/api/v1/signals",
    body: (fx) => ({ subject: "alice@example.com", resource: fx.resourceKey, event: "bulk_export", severity: "low" }),
    cells: apiCells({ "service:access:check": 403, "service:grants:read": 403 }),
  },
  {
    kind: "api",
    route: "/api/v1/oauth/token",
    name: "token (each client with its own id and secret; people with none)",
    method: "POST",
    path: () => "/api/v1/oauth/token",
    clientCredentials: true,
    cells: apiCells({ "service:access:check": 200, "service:grants:read": 200 }),
  },
  {
    kind: "api",
    route: "/api/v1/oauth/device_authorization",
    name: "device authorization (RFC 8628: anyone may start one; this call has no client_id)",
    method: "POST",
    path: () => "/api/v1/oauth/device_authorization",
    cells: everyone(400),
  },
  {
    kind: "api",
    route: "/api/v1/openapi.json",
    name: "OpenAPI document (any client)",
    method: "GET",
    path: () => "/api/v1/openapi.json",
    cells: apiCells({ "service:access:check": 200, "service:grants:read": 200 }),
  },
  {
    kind: "api",
    route: "/.well-known/jwks.json",
    name: "public signing keys",
    method: "GET",
    path: () => "/.well-known/jwks.json",
    cells: everyone(200),
  },
  { kind: "api", route: "/healthz", name: "API liveness", method: "GET", path: () => "/healthz", cells: everyone(200) },
];

export const MATRIX: readonly TRow[] = [...PAGES, ...ROUTES, ...ACTIONS, ...API];
