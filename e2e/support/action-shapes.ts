/**
 * What each server action takes, field by field, for the hostile-input suite (ADR 0030): a
 * pool of values that pass the action's validation (boundaries and hostile text that is legal
 * included, so a call reaches the domain) and a pool that the action must refuse (empty where
 * required, past a maximum, out of range, of the wrong type, not in the list). A generated call
 * takes at least one field from the refused pool, so it is always a call the portal must refuse:
 * an action that accepts it is a finding, whatever it answers.
 *
 * Refused pools hold only values the schema is known to refuse; a value whose fate is unsure
 * goes in the valid pool (it then only makes the call reach further). Actions that take no
 * input at all are listed with the tables their legitimate call changes.
 *
 * A server action without an entry here fails the suite: add its shape with its schema.
 */
import fc from "fast-check";
import { hostileString } from "../../lib/testing/hostile";

type TField = {
  name: string;
  valid: fc.Arbitrary<unknown>;
  /** Values the action must refuse; null when no value of this field is surely refused. */
  invalid: fc.Arbitrary<unknown> | null;
  /** May be left out of a valid call. */
  optional?: boolean;
};

export type TNoInputEffects = {
  /** Tables a legitimate call may change (new rows or updated ones). */
  tables: string[];
  /** Audit actions a legitimate call may write, beside denials. */
  auditActions: string[];
};

export type TActionShape =
  | { kind: "none"; effects: TNoInputEffects }
  | {
      kind: "form" | "object" | "positional";
      fields: TField[];
      /** Every field optional: a call without any is legitimate, and does this. */
      withoutInput?: TNoInputEffects;
    };

const noNul = (value: string) => !value.includes("\u0000");

/** Legal text: boundaries and hostile strings that fit, trimmed non-empty when `min` > 0. */
const text = (min: number, max: number, options: { refuseTooLong?: boolean } = {}): Omit<TField, "name"> => {
  const fits = (value: string) => noNul(value) && value.length <= max && value.trim().length >= min;
  const refused: string[] = [];
  if (min > 0) refused.push("", "   ");
  if (options.refuseTooLong !== false) refused.push("y".repeat(max + 1));
  return {
    valid: fc.oneof(
      fc.constantFrom(...["a".repeat(Math.max(min, 1)), "z".repeat(max)].filter(fits)),
      hostileString().filter(fits),
    ),
    invalid: refused.length > 0 ? fc.constantFrom(...refused) : null,
  };
};

/** An id: any legal string names no row of the caller's (the domain answers NOT_FOUND). */
const id = (max = 64): Omit<TField, "name"> => ({
  valid: fc.oneof(
    fc.stringMatching(/^c[a-z0-9]{24}$/),
    fc.constant("x".repeat(max)),
    hostileString().filter((value) => noNul(value) && value.length > 0 && value.length <= max),
  ),
  invalid: fc.constantFrom(""),
});

const choice = (values: readonly string[]): Omit<TField, "name"> => ({
  valid: fc.constantFrom(...values),
  invalid: fc.constantFrom("", "?", `${values[0]}?`, ` ${values[0]}`),
});

const wholeNumber = (min: number, max: number): Omit<TField, "name"> => ({
  valid: fc.oneof(fc.constantFrom(String(min), String(max)), fc.integer({ min, max }).map(String)),
  invalid: fc.constantFrom(String(min - 1), "1.5", "abc", "1e999"),
});

const oneOrMore = (values: readonly string[]): Omit<TField, "name"> => ({
  valid: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: values.length }),
  invalid: fc.constant([]),
});

/** Dates as the Security area's verify form sends them (`YYYY-MM-DD`, or empty for open). */
const day: Omit<TField, "name"> = {
  valid: fc.constantFrom("", "2026-01-01", "2030-12-31"),
  invalid: fc.constantFrom("yesterday", "2026-13-45", "31/12/2026"),
};

const base64url = fc.base64String({ minLength: 4, maxLength: 64 }).map((value) => value.replace(/[+/=]/g, "A"));

/** A WebAuthn assertion of the right shape whose bytes verify nothing. */
const assertion: Omit<TField, "name"> = {
  valid: fc.record(
    {
      id: base64url,
      rawId: base64url,
      type: fc.constant("public-key"),
      response: fc.record(
        { clientDataJSON: base64url, authenticatorData: base64url, signature: base64url },
        { noNullPrototype: true },
      ),
      clientExtensionResults: fc.constant({}),
    },
    { noNullPrototype: true },
  ),
  invalid: fc.constantFrom("x", null, {}, { type: "public-key" }),
};

const registration: Omit<TField, "name"> = {
  valid: fc.record(
    {
      id: base64url,
      rawId: base64url,
      type: fc.constant("public-key"),
      response: fc.record({ clientDataJSON: base64url, attestationObject: base64url }, { noNullPrototype: true }),
      clientExtensionResults: fc.constant({}),
    },
    { noNullPrototype: true },
  ),
  invalid: fc.constantFrom("x", null, {}),
};

/** In an object argument a value of the wrong type is refused too. */
const typed = (field: Omit<TField, "name">): Omit<TField, "name"> => ({
  ...field,
  invalid: fc.oneof(field.invalid ?? fc.constant(42), fc.constantFrom(42, true, [], { nested: 1 })),
});

const PERMISSIONS = ["read", "write", "admin"] as const;
const RESOURCE_KEY = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}$/);
const resourceKey: Omit<TField, "name"> = { valid: RESOURCE_KEY, invalid: fc.constantFrom("", "Bad Key", "a") };

const field = (name: string, spec: Omit<TField, "name">, optional = false): TField => ({ name, ...spec, optional });

/** The name of a directory connection or a Shared Signals transmitter (2 to 100 characters). */
const connectionName = field("name", {
  valid: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{2,40}$/),
  invalid: fc.constantFrom("", "a", "y".repeat(101)),
});

const policyFields = [
  field("name", text(1, 100)),
  field("permissions", { valid: fc.uniqueArray(fc.constantFrom(...PERMISSIONS), { maxLength: 3 }), invalid: null }),
  field("requesterGroups", { valid: fc.constantFrom("engineers", "engineers, oncall", ""), invalid: null }),
  field("approverGroups", { valid: fc.constantFrom("approvers", ""), invalid: null }),
  field("approvalsRequired", { valid: fc.constantFrom("1", "2", ""), invalid: fc.constantFrom("abc", "1.5") }),
  field("defaultDurationMinutes", { valid: fc.constantFrom("30", "60"), invalid: fc.constantFrom("abc", "") }),
  field("maxDurationMinutes", { valid: fc.constantFrom("60", "120"), invalid: fc.constantFrom("abc", "") }),
];

const resourceFields = [
  field("name", text(1, 100)),
  field("description", text(0, 1000)),
  field("environment", text(1, 50)),
  field("permissions", { valid: fc.constantFrom("read", "read, write"), invalid: fc.constantFrom("", "Bad Perm!") }),
  field("slackChannel", {
    valid: fc.constantFrom("", "C0123456789"),
    invalid: fc.constantFrom("#approvals", "c0lower"),
  }),
];

const decision = choice(["APPROVE", "DENY"]);

/** A bundle decision's (request, decision) pairs: one to ten, each request once. */
const decisionSet: Omit<TField, "name"> = {
  valid: fc.uniqueArray(
    fc.record(
      { requestId: fc.stringMatching(/^c[a-z0-9]{24}$/), decision: fc.constantFrom("APPROVE", "DENY") },
      { noNullPrototype: true },
    ),
    { minLength: 1, maxLength: 10, selector: (item) => item.requestId },
  ),
  invalid: fc.constantFrom([], "x", [{ requestId: "", decision: "APPROVE" }], [{ requestId: "a", decision: "MAYBE" }]),
};

/** An access review's verdicts (ADR 0058): a removal carries its reason. */
const reviewVerdicts: Omit<TField, "name"> = {
  valid: fc.uniqueArray(
    fc.record(
      {
        itemId: fc.stringMatching(/^c[a-z0-9]{24}$/),
        verdict: fc.constantFrom("CERTIFY", "REMOVE"),
        reason: fc.constantFrom("Left the team in May", "Still on call for it"),
      },
      { noNullPrototype: true },
    ),
    { minLength: 1, maxLength: 10, selector: (item) => item.itemId },
  ),
  invalid: fc.constantFrom(
    [],
    "x",
    [{ itemId: "", verdict: "CERTIFY" }],
    [{ itemId: "a", verdict: "MAYBE" }],
    [{ itemId: "a", verdict: "REMOVE", reason: "" }],
  ),
};

/** Connectors are named by UUID: any other string is refused by the schema. */
const connectorId: Omit<TField, "name"> = { valid: fc.uuid(), invalid: fc.constantFrom("", "x", "not-a-uuid") };

/** Keyed `file#export` as the build's manifest names them (e2e/support/server-actions.ts). */
export const ACTION_SHAPES: Record<string, TActionShape> = {
  "app/components/revoke-actions.ts#startRevocationAction": {
    kind: "positional",
    fields: [field("grantId", typed(id()))],
  },
  "app/components/revoke-actions.ts#revokeGrantAction": {
    kind: "object",
    fields: [
      field("grantId", typed(id())),
      field("reason", typed(text(0, 2000)), true),
      field("assertion", assertion, true),
    ],
  },
  "app/(portal)/admin/jobs/actions.ts#failedJobAction": {
    kind: "form",
    fields: [field("queue", text(1, 64)), field("jobId", text(1, 200)), field("intent", choice(["retry", "discard"]))],
  },
  "app/(portal)/admin/actions.ts#setUserActiveAction": {
    kind: "form",
    fields: [field("userId", id()), field("active", choice(["true", "false"]))],
  },
  "app/(portal)/admin/services/actions.ts#createServiceClientAction": {
    kind: "form",
    fields: [
      field("name", {
        valid: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{1,40}$/),
        invalid: fc.constantFrom("", "a", "y".repeat(81), "bad/name"),
      }),
      field("ownerEmail", { valid: fc.constantFrom("owner@example.com", ""), invalid: null }, true),
      field("scopes", {
        valid: fc.uniqueArray(fc.constantFrom("access:check", "grants:read"), { minLength: 1 }),
        invalid: fc.constantFrom([], ["root"]),
      }),
      field("resourceKeys", { valid: fc.constant(""), invalid: fc.constant("y".repeat(101)) }),
    ],
  },
  "app/(portal)/admin/services/actions.ts#rotateServiceClientAction": {
    kind: "form",
    fields: [field("clientId", id())],
  },
  "app/(portal)/admin/services/actions.ts#disableServiceClientAction": {
    kind: "form",
    fields: [field("clientId", id())],
  },
  "app/(portal)/admin/directory/actions.ts#createDirectoryConnectionAction": {
    kind: "form",
    fields: [
      connectionName,
      field("issuer", {
        valid: fc.stringMatching(/^[a-z]{3,20}$/).map((host) => `https://${host}.example.com`),
        invalid: fc.constantFrom("", "not a url", "https://idp.example.com#frag", "ftp://idp.example.com"),
      }),
      field(
        "linkClaim",
        { valid: fc.constantFrom("", "sub", "oid"), invalid: fc.constantFrom("1x", "a b", "y".repeat(65)) },
        true,
      ),
    ],
  },
  "app/(portal)/admin/directory/actions.ts#createDirectoryTokenAction": {
    kind: "form",
    fields: [field("connectionId", id())],
  },
  "app/(portal)/admin/directory/actions.ts#revokeDirectoryTokenAction": {
    kind: "form",
    fields: [field("tokenId", id())],
  },
  "app/(portal)/admin/directory/actions.ts#createSignalTransmitterAction": {
    kind: "form",
    fields: [
      connectionName,
      field("issuer", {
        valid: fc.stringMatching(/^[a-z]{3,20}$/).map((host) => `https://${host}.example.com`),
        invalid: fc.constantFrom("", "   ", "y".repeat(501)),
      }),
      field("jwksUrl", {
        valid: fc.stringMatching(/^[a-z]{3,20}$/).map((host) => `https://${host}.invalid/keys`),
        invalid: fc.constantFrom("", "not a url", "https://idp.example.com/keys#frag", "ftp://idp.example.com/keys"),
      }),
      field("audience", {
        valid: fc.constantFrom("https://portal.example.com", "jit-portal"),
        invalid: fc.constantFrom("", "y".repeat(501)),
      }),
      field("subjectIssuer", { valid: fc.constantFrom("", "https://idp.example.com"), invalid: null }, true),
      field(
        "onDeviceNonCompliant",
        { valid: fc.constantFrom("", "suspend", "audit"), invalid: fc.constantFrom("delete", "x") },
        true,
      ),
    ],
  },
  "app/(portal)/admin/directory/actions.ts#disableSignalTransmitterAction": {
    kind: "form",
    fields: [field("transmitterId", id())],
  },
  "app/(portal)/admin/policies/actions.ts#importCatalogAction": {
    kind: "form",
    fields: [
      field("mode", choice(["dry-run", "apply"])),
      field("format", { valid: fc.constantFrom("", "yaml", "json"), invalid: fc.constantFrom("xml", "?") }),
      field("source", { valid: hostileString(), invalid: fc.constantFrom("{", "resources: [") }),
      field("fileName", { valid: fc.constantFrom("catalog.yaml", ""), invalid: null }),
    ],
  },
  "app/(portal)/admin/bundles/actions.ts#saveBundleAction": {
    kind: "form",
    fields: [
      // Always an id no bundle has: generated calls reach the update's NOT_FOUND, never a create
      // (an empty id means "create", which a valid name and items would do).
      field("id", { valid: id().valid, invalid: null }),
      field("name", text(1, 100)),
      field("description", text(0, 500), true),
      field("items", {
        valid: fc.constantFrom("prod-postgres read read", "prod-postgres read read\nk8s-prod view-exec view"),
        invalid: fc.constantFrom("", "prod-postgres read", "no-such-resource all read"),
      }),
    ],
  },
  "app/(portal)/admin/bundles/actions.ts#deleteBundleAction": {
    kind: "positional",
    fields: [field("id", typed(id()))],
  },
  "app/(portal)/admin/resources/actions.ts#createResourceAction": {
    kind: "form",
    fields: [field("key", resourceKey), ...resourceFields],
  },
  "app/(portal)/admin/resources/actions.ts#updateResourceAction": {
    kind: "form",
    fields: [field("resourceKey", resourceKey), ...resourceFields],
  },
  "app/(portal)/admin/resources/actions.ts#archiveResourceAction": {
    kind: "form",
    fields: [field("resourceKey", resourceKey)],
  },
  "app/(portal)/admin/resources/actions.ts#createPolicyAction": {
    kind: "form",
    fields: [field("resourceKey", resourceKey), ...policyFields],
  },
  "app/(portal)/admin/resources/actions.ts#updatePolicyAction": {
    kind: "form",
    fields: [field("policyId", id()), ...policyFields],
  },
  "app/(portal)/admin/resources/actions.ts#deletePolicyAction": {
    kind: "form",
    fields: [field("policyId", id())],
  },
  "app/(portal)/admin/resources/[key]/provisioning/actions.ts#attachConnectorAction": {
    kind: "form",
    fields: [
      field("resourceKey", resourceKey),
      field("kind", choice(["postgres", "ssh", "webhook"])),
      field("name", text(1, 64)),
      field("settings", { valid: fc.constantFrom("", "{}"), invalid: fc.constantFrom("not json", "[]") }),
      field("credential", text(0, 8192), true),
      field("map.read", { valid: fc.constantFrom("app_readonly", ""), invalid: null }, true),
    ],
  },
  "app/(portal)/admin/resources/[key]/provisioning/actions.ts#testConnectorAction": {
    kind: "form",
    fields: [field("connectorId", id()), field("resourceKey", resourceKey)],
  },
  "app/(portal)/admin/resources/[key]/provisioning/actions.ts#disableConnectorAction": {
    kind: "form",
    fields: [field("connectorId", id()), field("resourceKey", resourceKey)],
  },
  "app/(portal)/grants/[id]/actions.ts#revealCredentialAction": {
    kind: "object",
    fields: [field("grantId", typed(id())), field("connectorId", typed(connectorId))],
  },
  "app/(portal)/grants/[id]/actions.ts#issueCredentialAction": {
    kind: "object",
    fields: [
      field("grantId", typed(id())),
      field("connectorId", typed(connectorId)),
      field("input", { valid: hostileString(), invalid: null }),
    ],
  },
  "app/(portal)/admin/resources/[key]/webhooks/actions.ts#createEndpointAction": {
    kind: "form",
    fields: [
      field("resourceKey", resourceKey),
      field("url", {
        valid: fc.constantFrom("https://hooks.example.com/jit"),
        invalid: fc.constantFrom("", "not a url"),
      }),
      field("events", { valid: fc.constant(["grant.started"]), invalid: null }),
    ],
  },
  "app/(portal)/admin/resources/[key]/webhooks/actions.ts#disableEndpointAction": {
    kind: "form",
    fields: [field("resourceKey", resourceKey), field("endpointId", id())],
  },
  "app/(portal)/request/[resourceKey]/actions.ts#requestAccessAction": {
    kind: "form",
    fields: [
      field("policyId", id()),
      field("permissions", oneOrMore(PERMISSIONS)),
      field("durationMinutes", wholeNumber(1, 480)),
      field("startAt", { valid: fc.constantFrom("", "2031-01-01T10:00"), invalid: fc.constantFrom("tomorrow") }, true),
      field("tzOffsetMinutes", { valid: fc.constantFrom("0", "-60", "330"), invalid: null }, true),
      field("justification", text(0, 2000)),
      field("ticket", text(0, 64), true),
      field("onBehalfOfEmail", text(0, 320), true),
    ],
  },
  "app/(portal)/request/[resourceKey]/break-glass-actions.ts#startBreakGlassAction": {
    kind: "object",
    fields: [field("policyId", typed(id())), field("permissions", typed(oneOrMore(PERMISSIONS)))],
  },
  "app/(portal)/request/[resourceKey]/break-glass-actions.ts#takeBreakGlassAction": {
    kind: "object",
    fields: [
      field("policyId", typed(id())),
      field("permissions", typed(oneOrMore(PERMISSIONS))),
      // Not `typed`: the schema coerces, so true or "42" would pass.
      field("durationMinutes", {
        valid: fc.integer({ min: 1, max: 120 }),
        invalid: fc.constantFrom(0, -5, 1.5, "abc"),
      }),
      field("justification", typed(text(0, 2000))),
      field("ticket", typed(text(0, 64)), true),
      field("assertion", assertion),
    ],
  },
  "app/(portal)/grants/[id]/extend/actions.ts#requestExtensionAction": {
    kind: "form",
    fields: [field("grantId", id()), field("minutes", wholeNumber(5, 480)), field("justification", text(0, 2000))],
  },
  "app/(portal)/passkeys/actions.ts#startAddPasskeyAction": {
    kind: "none",
    effects: { tables: ["WebAuthnChallenge"], auditActions: [] },
  },
  "app/(portal)/passkeys/actions.ts#finishAddPasskeyAction": {
    kind: "object",
    fields: [field("name", typed(text(0, 200))), field("response", registration), field("stepUp", assertion, true)],
  },
  "app/(portal)/passkeys/actions.ts#startPasskeyStepUpAction": {
    kind: "none",
    effects: { tables: ["WebAuthnChallenge"], auditActions: [] },
  },
  "app/(portal)/passkeys/actions.ts#removePasskeyAction": {
    kind: "object",
    fields: [field("passkeyId", typed(id())), field("stepUp", assertion, true)],
  },
  "app/(portal)/device/actions.ts#confirmDeviceAction": {
    kind: "form",
    fields: [
      field("userCode", {
        valid: fc.constantFrom("BCDF-GHJK", "bcdfghjk"),
        invalid: fc.constantFrom("", "AEIO-UAEI", "1234"),
      }),
      field("deviceName", text(1, 80)),
      field("decision", choice(["approve", "deny"])),
    ],
  },
  "app/(portal)/delegations/actions.ts#createDelegationAction": {
    kind: "form",
    fields: [
      field("delegateEmail", text(3, 320)),
      field("startsAt", { valid: fc.constantFrom("", "2031-01-01T10:00"), invalid: fc.constantFrom("tomorrow") }, true),
      field("endsAt", { valid: fc.constantFrom("2031-01-02T10:00"), invalid: fc.constantFrom("", "tomorrow") }),
      field("tzOffsetMinutes", { valid: fc.constantFrom("0", "-60", "330"), invalid: null }, true),
      field("reason", text(5, 500)),
    ],
  },
  "app/(portal)/delegations/actions.ts#endDelegationAction": {
    kind: "positional",
    fields: [field("delegationId", typed(id()))],
  },
  "app/(portal)/reviews/actions.ts#startReviewAction": {
    kind: "form",
    fields: [
      field("name", text(3, 120)),
      field("policyIds", id()),
      field("reviewerEmails", text(3, 320)),
      field("deadline", { valid: fc.constantFrom("2031-01-02T10:00"), invalid: fc.constantFrom("", "tomorrow") }),
      field("usageDays", wholeNumber(1, 365), true),
      field("tzOffsetMinutes", { valid: fc.constantFrom("0", "-60", "330"), invalid: null }, true),
    ],
  },
  "app/(portal)/reviews/actions.ts#startReviewDecisionAction": {
    kind: "object",
    fields: [field("reviewId", typed(id())), field("items", reviewVerdicts)],
  },
  "app/(portal)/reviews/actions.ts#decideReviewAction": {
    kind: "object",
    fields: [field("reviewId", typed(id())), field("items", reviewVerdicts), field("assertion", assertion)],
  },
  "app/(portal)/reviews/actions.ts#closeReviewAction": {
    kind: "positional",
    fields: [field("reviewId", typed(id()))],
  },
  "app/(portal)/devices/actions.ts#revokeDeviceAction": {
    kind: "positional",
    fields: [field("deviceId", typed(id()))],
  },
  "app/(portal)/devices/actions.ts#signOutEverywhereAction": {
    kind: "positional",
    fields: [field("confirm", { valid: fc.constant("everywhere"), invalid: fc.constantFrom("", "yes", "Everywhere") })],
  },
  "app/(portal)/notifications/actions.ts#startSlackLinkAction": {
    kind: "form",
    fields: [
      field("slackUserId", {
        valid: fc.constantFrom("U0NOBODY99", "W0NOBODY99"),
        invalid: fc.constantFrom("", "C0123ABCD", "u0123abcd", "U"),
      }),
    ],
  },
  "app/(portal)/notifications/actions.ts#confirmSlackLinkAction": {
    kind: "form",
    fields: [
      field("code", { valid: fc.constantFrom("123456", "000000"), invalid: fc.constantFrom("", "12345", "abcdef") }),
    ],
  },
  "app/(portal)/notifications/actions.ts#unlinkSlackAction": {
    kind: "none",
    effects: { tables: ["SlackUserLink", "SlackLinkCode"], auditActions: ["chat.slack_link.remove"] },
  },
  "app/(portal)/notifications/actions.ts#markAllReadAction": {
    kind: "none",
    effects: { tables: ["Notification"], auditActions: [] },
  },
  "app/(portal)/requests/[id]/actions.ts#acknowledgeRequestAction": {
    kind: "positional",
    fields: [field("requestId", typed(id()))],
  },
  "app/(portal)/requests/[id]/actions.ts#cancelRequestAction": {
    kind: "positional",
    fields: [field("requestId", typed(id()))],
  },
  "app/(portal)/requests/[id]/actions.ts#startDecisionAction": {
    kind: "positional",
    fields: [field("requestId", typed(id())), field("decision", typed(decision))],
  },
  "app/(portal)/requests/[id]/actions.ts#decideRequestAction": {
    kind: "object",
    fields: [
      field("requestId", typed(id())),
      field("decision", typed(decision)),
      field("comment", typed(text(0, 2000)), true),
      field("assertion", assertion),
    ],
  },
  "app/(portal)/bundles/[id]/actions.ts#requestBundleAction": {
    kind: "form",
    fields: [
      field("bundleId", id()),
      field("durationMinutes", wholeNumber(1, 480)),
      field("justification", text(0, 2000)),
      field("ticket", text(0, 64), true),
    ],
  },
  "app/(portal)/submissions/[id]/actions.ts#startBundleDecisionAction": {
    kind: "object",
    fields: [field("submissionId", typed(id())), field("items", decisionSet)],
  },
  "app/(portal)/submissions/[id]/actions.ts#decideBundleAction": {
    kind: "object",
    fields: [
      field("submissionId", typed(id())),
      field("items", decisionSet),
      field("comment", typed(text(0, 2000)), true),
      field("assertion", assertion),
    ],
  },
  "app/(portal)/security/actions.ts#verifyChainAction": {
    kind: "form",
    fields: [field("from", day, true), field("to", day, true)],
    // Both dates optional: any form without them verifies the whole chain (reviewers only).
    withoutInput: { tables: [], auditActions: ["audit.verify"] },
  },
  "app/(portal)/security/break-glass/actions.ts#signOffBreakGlassAction": {
    kind: "object",
    fields: [field("grantId", typed(id())), field("comment", typed(text(10, 2000, { refuseTooLong: false })))],
  },
};

const toForm = (entries: ReadonlyArray<[string, unknown]>): FormData => {
  const form = new FormData();
  for (const [name, value] of entries) {
    for (const item of Array.isArray(value) ? value : [value]) form.append(name, String(item));
  }
  return form;
};

/**
 * Arguments for one call the action must refuse: one field (at least) from its refused pool,
 * the others valid, refused or (when optional) left out. Null for an action that takes none.
 */
export const refusedCallArgs = (shape: TActionShape): fc.Arbitrary<unknown[]> | null => {
  if (shape.kind === "none") return null;
  const refusable = shape.fields.flatMap((candidate, index) => (candidate.invalid ? [index] : []));
  if (refusable.length === 0) throw new Error("an action shape needs a field with refused values");
  return fc.constantFrom(...refusable).chain((forced) =>
    fc
      .tuple(
        ...shape.fields.map((candidate, index): fc.Arbitrary<[string, unknown] | null> => {
          const refused = candidate.invalid;
          if (index === forced && refused) return refused.map((value) => [candidate.name, value]);
          const options: Array<fc.WeightedArbitrary<[string, unknown] | null>> = [
            { weight: 4, arbitrary: candidate.valid.map((value): [string, unknown] => [candidate.name, value]) },
          ];
          if (refused) options.push({ weight: 1, arbitrary: refused.map((value) => [candidate.name, value]) });
          if (candidate.optional) options.push({ weight: 1, arbitrary: fc.constant(null) });
          return fc.oneof(...options);
        }),
      )
      .map((entries) => {
        const present = entries.filter((entry): entry is [string, unknown] => entry !== null);
        if (shape.kind === "form") return [null, toForm(present)];
        if (shape.kind === "object") return [Object.fromEntries(present)];
        return present.map(([, value]) => value);
      }),
  );
};
