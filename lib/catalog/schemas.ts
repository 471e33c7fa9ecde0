/**
 * The catalog's input rules, shared by the admin forms, the domain functions and the
 * import document, so a resource or policy is valid in exactly one sense wherever it comes
 * from. Every message names what is wrong and what is allowed; paths point at the field.
 *
 * Cross-field rules run even when another field of the same object is malformed
 * (`when: always`), re-parsing the fields they need, so a document reports all of its
 * problems at once rather than one layer at a time.
 */
import { z } from "zod";
import { ZStages } from "../access/stages";
import { ZConnectorMapping } from "../provisioning/internal";
import { connectorOf } from "../provisioning/registry";
import { SIGNAL_NAME_PATTERN, USAGE_RESPONSES } from "../signals/schemas";

export const MAX_DURATION_MINUTES = 7 * 24 * 60;
export const MAX_TICKET_PATTERN_LENGTH = 200;
export const MAX_APPROVALS = 10;
export const MAX_RISK_THRESHOLD = 100;

export const RESOURCE_KEY_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const PERMISSION_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/** "is required" for a missing field, `message` for anything else of the wrong type. */
const typeError = (message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? "is required" : message),
});

const always = { when: () => true };

/** Present, trimmed, non-empty text of at most `max` characters. */
const text = (max: number) =>
  z.string(typeError("must be text")).trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

const wholeNumber = (min: number, max: number) =>
  z
    .number(typeError("must be a whole number"))
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const flag = z.boolean(typeError("must be true or false"));

/** A list without repeats; each repeat is reported at its own index. */
const uniqueList = <T extends z.ZodType<string>>(item: T, options: { min: number; max: number; what: string }) =>
  z
    .array(item, typeError(`must be a list of ${options.what}`))
    .min(options.min, `must list at least one ${options.what.replace(/s$/, "")}`)
    .max(options.max, `must list at most ${options.max} ${options.what}`)
    .superRefine((list, ctx) => {
      list.forEach((value, index) => {
        if (list.indexOf(value) !== index)
          ctx.addIssue({ code: "custom", path: [index], message: `"${value}" is listed twice` });
      });
    });

export const ZResourceKey = z
  .string(typeError("must be text"))
  .regex(
    RESOURCE_KEY_PATTERN,
    "must be 2 to 63 characters: lowercase letters, digits and hyphens, starting with a letter or digit",
  );

export const ZPermission = z
  .string(typeError("must be text"))
  .regex(PERMISSION_PATTERN, "must be 1 to 32 characters: lowercase letters, digits, _ and -, starting with a letter");

/**
 * An IdP group name, exactly as the groups claim carries it. Commas are refused because
 * the admin forms take groups as comma-separated text.
 */
export const ZGroupName = text(200).refine(
  (value) => !/[,\p{Cc}]/u.test(value),
  "must not contain commas or control characters",
);

const permissionList = (min: number) => uniqueList(ZPermission, { min, max: 50, what: "permissions" });
const groupList = (min: number) => uniqueList(ZGroupName, { min, max: 100, what: "groups" });

export const resourceFields = {
  key: ZResourceKey,
  name: text(100),
  description: z.string(typeError("must be text")).trim().max(1000, "must be at most 1000 characters").default(""),
  environment: text(50),
  permissions: permissionList(1),
  /** Where Slack shows this resource's waiting requests (docs/chat.md); empty: the default channel. */
  slackChannel: z.preprocess(
    (value) =>
      typeof value === "string" && value.trim() === "" ? null : typeof value === "string" ? value.trim() : value,
    z
      .string(typeError("must be text"))
      .regex(/^[CG][A-Z0-9]{2,20}$/, "must be a Slack channel id (C…), not its name")
      .nullable()
      .default(null),
  ),
};

export const ZResourceInput = z.strictObject(resourceFields);
export type TResourceInput = z.input<typeof ZResourceInput>;
export type TResource = z.output<typeof ZResourceInput>;

/** The key is fixed once created: grants, service clients and exported documents name it. */
export const ZResourceUpdate = ZResourceInput.omit({ key: true });
export type TResourceUpdateInput = z.input<typeof ZResourceUpdate>;
export type TResourceUpdate = z.output<typeof ZResourceUpdate>;

/**
 * A quantified group that itself contains a quantifier or an alternation, e.g. `(a+)+`,
 * `(\\d*)*`, `(a|aa)+`: the shapes that make a backtracking regex engine take exponential time
 * on a crafted ticket. Ticket formats never need them.
 */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*(?:[+*}|]|\?\))(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})/;

export const isRiskyPattern = (pattern: string): boolean => NESTED_QUANTIFIER.test(pattern);

/** A pattern the request form will compile with `new RegExp(pattern)`; "" means none. */
export const ZTicketPattern = z.preprocess(
  (value) => (value === "" ? null : value),
  z
    .string(typeError("must be text or null"))
    .max(MAX_TICKET_PATTERN_LENGTH, `must be at most ${MAX_TICKET_PATTERN_LENGTH} characters`)
    .superRefine((pattern, ctx) => {
      try {
        new RegExp(pattern);
      } catch (error) {
        const reason =
          error instanceof Error ? error.message.replace(/^Invalid regular expression: /, "") : String(error);
        ctx.addIssue({ code: "custom", message: `is not a valid regular expression: ${reason}` });
        return;
      }
      if (isRiskyPattern(pattern)) {
        ctx.addIssue({
          code: "custom",
          message: "must not repeat a group that itself repeats or alternates, e.g. (a+)+ (slow to match)",
        });
      }
    })
    .nullable()
    .default(null),
);

export const policyFields = {
  name: text(100),
  permissions: permissionList(1),
  requesterGroups: groupList(1),
  approverGroups: groupList(1),
  approvalsRequired: wholeNumber(1, MAX_APPROVALS).default(1),
  defaultDurationMinutes: wholeNumber(1, MAX_DURATION_MINUTES),
  maxDurationMinutes: wholeNumber(1, MAX_DURATION_MINUTES),
  minJustificationLength: wholeNumber(0, 1000).default(10),
  ticketRequired: flag.default(false),
  ticketPattern: ZTicketPattern,
  decisionWindowMinutes: wholeNumber(5, MAX_DURATION_MINUTES).default(1440),
  autoApproveGroups: groupList(0).default([]),
  autoApprovePermissions: permissionList(0).default([]),
  breakGlassAllowed: flag.default(false),
  breakGlassMaxMinutes: wholeNumber(1, MAX_DURATION_MINUTES).nullable().default(null),
  /** Risk score (lib/risk) at which the two rules below apply; null: none. */
  riskThreshold: wholeNumber(1, MAX_RISK_THRESHOLD).nullable().default(null),
  riskExtraApprovals: wholeNumber(0, MAX_APPROVALS - 1).default(0),
  riskBlocksAutoApproval: flag.default(false),
  /** What a flagged usage signal from a service does (ADR 0042). */
  usageResponse: z.enum(USAGE_RESPONSES, { error: `must be one of ${USAGE_RESPONSES.join(", ")}` }).default("alert"),
  /** Per metric, the most per minute a report may show before it flags at once. */
  usageCeilings: z
    .record(
      z
        .string()
        .regex(SIGNAL_NAME_PATTERN, "metric names must be lowercase letters, digits, _ . -, starting with a letter"),
      z.number(typeError("must be a number")).positive("must be above 0").max(1e15, "must be at most 1e15"),
      typeError("must be a map of metric names to ceilings per minute"),
    )
    .refine((value) => Object.keys(value).length <= 50, "must name at most 50 metrics")
    .default({}),
  /** Ordered approval stages (ADR 0055); []: one stage of approverGroups and approvalsRequired. */
  stages: ZStages.default([]),
  /** Told, and allowed to decide, when a stage is still open escalationAfterMinutes after it opened. */
  escalationGroups: groupList(0).default([]),
  escalationAfterMinutes: wholeNumber(1, MAX_DURATION_MINUTES).nullable().default(null),
  /** Requests filed for another person in the requester groups, who acknowledges (ADR 0057). */
  onBehalfOfAllowed: flag.default(false),
};

/** The field's value if that field alone is valid, else undefined (for cross-field rules). */
const valid = <K extends keyof typeof policyFields>(
  key: K,
  value: unknown,
): z.output<(typeof policyFields)[K]> | undefined => {
  const result = policyFields[key].safeParse(value);
  return result.success ? (result.data as z.output<(typeof policyFields)[K]>) : undefined;
};

/** The well-formed permission names of a list, with their indexes; undefined if not a list. */
const wellFormedPermissions = (value: unknown): Array<{ index: number; permission: string }> | undefined =>
  Array.isArray(value)
    ? value.flatMap((permission: unknown, index) =>
        typeof permission === "string" && PERMISSION_PATTERN.test(permission) ? [{ index, permission }] : [],
      )
    : undefined;

/**
 * With stages, approverGroups is exactly the union of the stages' groups (who may read the
 * request, and who has the approver role), and escalation needs both its groups and its delay.
 */
const stageRules = (raw: Record<string, unknown>, ctx: z.RefinementCtx) => {
  const stages = valid("stages", raw.stages);
  const approverGroups = valid("approverGroups", raw.approverGroups);
  if (stages && stages.length > 0 && approverGroups) {
    const union = [...new Set(stages.flatMap((stage) => stage.approverGroups))];
    const same =
      union.length === new Set(approverGroups).size && union.every((group) => approverGroups.includes(group));
    if (!same)
      ctx.addIssue({
        code: "custom",
        path: ["approverGroups"],
        message: `must be the stages' approver groups (${union.join(", ")}) when stages are set`,
      });
  }
  const escalationGroups = valid("escalationGroups", raw.escalationGroups);
  const escalationAfter = valid("escalationAfterMinutes", raw.escalationAfterMinutes);
  if (escalationGroups && escalationGroups.length > 0 && escalationAfter === null)
    ctx.addIssue({
      code: "custom",
      path: ["escalationAfterMinutes"],
      message: "is required when escalationGroups is set",
    });
  if (escalationGroups && escalationGroups.length === 0 && typeof escalationAfter === "number")
    ctx.addIssue({
      code: "custom",
      path: ["escalationGroups"],
      message: "is required when escalationAfterMinutes is set",
    });
};

const policyRules = (raw: Record<string, unknown>, ctx: z.RefinementCtx) => {
  const defaultDuration = valid("defaultDurationMinutes", raw.defaultDurationMinutes);
  const maxDuration = valid("maxDurationMinutes", raw.maxDurationMinutes);
  const ticketRequired = valid("ticketRequired", raw.ticketRequired);
  const ticketPattern = valid("ticketPattern", raw.ticketPattern);
  const autoGroups = valid("autoApproveGroups", raw.autoApproveGroups);
  const autoPermissions = valid("autoApprovePermissions", raw.autoApprovePermissions);
  const breakGlass = valid("breakGlassAllowed", raw.breakGlassAllowed);
  const breakGlassMax = valid("breakGlassMaxMinutes", raw.breakGlassMaxMinutes);
  const approvals = valid("approvalsRequired", raw.approvalsRequired);
  const riskThreshold = valid("riskThreshold", raw.riskThreshold);
  const riskExtra = valid("riskExtraApprovals", raw.riskExtraApprovals);
  const riskBlocks = valid("riskBlocksAutoApproval", raw.riskBlocksAutoApproval);
  stageRules(raw, ctx);

  if (defaultDuration !== undefined && maxDuration !== undefined && defaultDuration > maxDuration) {
    ctx.addIssue({
      code: "custom",
      path: ["defaultDurationMinutes"],
      message: `must not exceed maxDurationMinutes (${maxDuration})`,
    });
  }
  if (ticketRequired === true && ticketPattern === null) {
    ctx.addIssue({ code: "custom", path: ["ticketPattern"], message: "is required when ticketRequired is true" });
  }
  // Leniently: a repeat elsewhere in either list is its own issue, not a reason to skip this one.
  const offered = wellFormedPermissions(raw.permissions);
  if (offered) {
    for (const { index, permission } of wellFormedPermissions(raw.autoApprovePermissions) ?? []) {
      if (!offered.some((entry) => entry.permission === permission)) {
        ctx.addIssue({
          code: "custom",
          path: ["autoApprovePermissions", index],
          message: `"${permission}" is not one of this policy's permissions (${offered.map((entry) => entry.permission).join(", ")})`,
        });
      }
    }
  }
  // One without the other is a policy that auto-approves nothing: almost surely a mistake.
  if (autoGroups && autoPermissions) {
    if (autoGroups.length > 0 && autoPermissions.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["autoApprovePermissions"],
        message: "must list the permissions to auto-approve when autoApproveGroups is set",
      });
    }
    if (autoPermissions.length > 0 && autoGroups.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["autoApproveGroups"],
        message: "must list the groups to auto-approve when autoApprovePermissions is set",
      });
    }
  }
  if (breakGlass === true && breakGlassMax === null) {
    ctx.addIssue({
      code: "custom",
      path: ["breakGlassMaxMinutes"],
      message: "is required when breakGlassAllowed is true",
    });
  }
  if (breakGlass === false && typeof breakGlassMax === "number") {
    ctx.addIssue({
      code: "custom",
      path: ["breakGlassMaxMinutes"],
      message: "must be empty unless breakGlassAllowed is true",
    });
  }
  if (
    breakGlass === true &&
    typeof breakGlassMax === "number" &&
    maxDuration !== undefined &&
    breakGlassMax > maxDuration
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["breakGlassMaxMinutes"],
      message: `must not exceed maxDurationMinutes (${maxDuration})`,
    });
  }
  // A threshold without a rule, or a rule without a threshold, does nothing: almost surely a mistake.
  const riskRule = (riskExtra !== undefined && riskExtra > 0) || riskBlocks === true;
  if (riskThreshold === null && riskRule) {
    ctx.addIssue({
      code: "custom",
      path: ["riskThreshold"],
      message: "is required when riskExtraApprovals is above 0 or riskBlocksAutoApproval is true",
    });
  }
  if (typeof riskThreshold === "number" && riskExtra !== undefined && riskBlocks !== undefined && !riskRule) {
    ctx.addIssue({
      code: "custom",
      path: ["riskThreshold"],
      message: "has no effect unless riskExtraApprovals is above 0 or riskBlocksAutoApproval is true",
    });
  }
  if (approvals !== undefined && riskExtra !== undefined && approvals + riskExtra > MAX_APPROVALS) {
    ctx.addIssue({
      code: "custom",
      path: ["riskExtraApprovals"],
      message: `together with approvalsRequired (${approvals}) must be at most ${MAX_APPROVALS}`,
    });
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A policy on its own. That its permissions belong to its resource is checked against the
 * resource (`policyPermissionIssues`), which this schema does not know.
 */
export const ZPolicyInput = z.strictObject(policyFields).superRefine((value, ctx) => {
  if (isRecord(value)) policyRules(value, ctx);
}, always);
export type TPolicyInput = z.input<typeof ZPolicyInput>;
export type TPolicy = z.output<typeof ZPolicyInput>;

export type TIssue = { path: Array<string | number>; message: string };

/** A policy may only offer what its resource offers. */
const notOffered = (permission: string, resource: { key: string; permissions: string[] }) =>
  `"${permission}" is not a permission of resource "${resource.key}" (${resource.permissions.join(", ")})`;

export const policyPermissionIssues = (
  policy: { permissions: string[] },
  resource: { key: string; permissions: string[] },
): TIssue[] =>
  policy.permissions.flatMap((permission, index) =>
    resource.permissions.includes(permission)
      ? []
      : [{ path: ["permissions", index], message: notOffered(permission, resource) }],
  );

/**
 * A provisioning connector as policy-as-code carries it: kind, name, settings, mapping, and the
 * drift switch; never its credential (set in the admin area, kept there across imports).
 */
const ZDocumentConnector = z
  .strictObject({
    kind: z.string().min(1).max(40),
    name: z.string().trim().min(1).max(64),
    settings: z.record(z.string().max(100), z.unknown()),
    mapping: ZConnectorMapping,
    autoRemoveDrift: z.boolean().default(false),
  })
  .superRefine((value, ctx) => {
    const connector = connectorOf(value.kind);
    if (!connector) {
      ctx.addIssue({ code: "custom", path: ["kind"], message: `unknown connector kind "${value.kind}"` });
      return;
    }
    const settings = connector.settingsSchema.safeParse(value.settings);
    if (!settings.success)
      for (const issue of settings.error.issues)
        ctx.addIssue({ code: "custom", path: ["settings", ...issue.path.map(String)], message: issue.message });
  });
export type TDocumentConnector = z.output<typeof ZDocumentConnector>;

const ZDocumentResource = z
  .strictObject({
    ...resourceFields,
    policies: z.array(ZPolicyInput, typeError("must be a list of policies")).default([]),
    connectors: z.array(ZDocumentConnector, typeError("must be a list of connectors")).default([]),
  })
  .superRefine((value, ctx) => {
    if (!isRecord(value)) return;
    const key = ZResourceKey.safeParse(value.key);
    const permissions = wellFormedPermissions(value.permissions);
    if (!Array.isArray(value.policies)) return;
    const seen = new Set<string>();
    value.policies.forEach((policy: unknown, index: number) => {
      if (!isRecord(policy)) return;
      const name = policyFields.name.safeParse(policy.name);
      if (name.success) {
        if (seen.has(name.data))
          ctx.addIssue({
            code: "custom",
            path: ["policies", index, "name"],
            message: `"${name.data}" is used by an earlier policy of this resource`,
          });
        seen.add(name.data);
      }
      if (!key.success || !permissions || permissions.length === 0) return;
      const offered = permissions.map((entry) => entry.permission);
      for (const { index: at, permission } of wellFormedPermissions(policy.permissions) ?? []) {
        if (!offered.includes(permission))
          ctx.addIssue({
            code: "custom",
            path: ["policies", index, "permissions", at],
            message: notOffered(permission, { key: key.data, permissions: offered }),
          });
      }
    });
    if (!Array.isArray(value.connectors) || !key.success || !permissions) return;
    const offered = permissions.map((entry) => entry.permission);
    const names = new Set<string>();
    value.connectors.forEach((connector: unknown, index: number) => {
      if (!isRecord(connector)) return;
      if (typeof connector.name === "string") {
        if (names.has(connector.name))
          ctx.addIssue({
            code: "custom",
            path: ["connectors", index, "name"],
            message: "is used by an earlier connector",
          });
        names.add(connector.name);
      }
      if (!isRecord(connector.mapping)) return;
      for (const permission of Object.keys(connector.mapping))
        if (!offered.includes(permission))
          ctx.addIssue({
            code: "custom",
            path: ["connectors", index, "mapping", permission],
            message: notOffered(permission, { key: key.data, permissions: offered }),
          });
    });
  }, always);

/** A bundle's item: a permission under a named policy of a resource (ADR 0054). */
const ZDocumentBundleItem = z.strictObject({
  resource: ZResourceKey,
  permission: z.string(typeError("must be text")).min(1, "is required").max(32, "at most 32 characters"),
  policy: z.string(typeError("must be text")).min(1, "is required").max(100, "at most 100 characters"),
});

export const ZDocumentBundle = z
  .strictObject({
    name: z.string(typeError("must be text")).trim().min(1, "is required").max(100, "at most 100 characters"),
    description: z.string(typeError("must be text")).max(500, "at most 500 characters").default(""),
    items: z
      .array(ZDocumentBundleItem, typeError("must be a list of items"))
      .min(1, "a bundle needs at least one item")
      .max(10, "a bundle holds at most 10 items"),
  })
  .superRefine((bundle, ctx) => {
    const seen = new Set<string>();
    bundle.items.forEach((item, index) => {
      const key = `${item.resource} ${item.permission}`;
      if (seen.has(key))
        ctx.addIssue({ code: "custom", path: ["items", index], message: `"${key}" is already an item of this bundle` });
      seen.add(key);
    });
  });
export type TDocumentBundle = z.output<typeof ZDocumentBundle>;

export const CATALOG_DOCUMENT_VERSION = 1;

/**
 * The export/import document: every resource with its policies. A resource's `policies`
 * is its complete list: on import, a policy missing from it is deleted.
 */
export const ZCatalogDocument = z
  .strictObject(
    {
      version: z.literal(CATALOG_DOCUMENT_VERSION, {
        error: (issue) => (issue.input === undefined ? "is required" : `must be ${CATALOG_DOCUMENT_VERSION}`),
      }),
      resources: z.array(ZDocumentResource, typeError("must be a list of resources")),
      // Optional: absent leaves the bundles as they are; present, it is their complete list.
      bundles: z.array(ZDocumentBundle, typeError("must be a list of bundles")).optional(),
    },
    {
      error: (issue) =>
        issue.code === "invalid_type" ? "the document must be a mapping with version and resources" : undefined,
    },
  )
  .superRefine((value, ctx) => {
    if (!isRecord(value) || !Array.isArray(value.resources)) return;
    const names = new Set<string>();
    const bundles: unknown = value.bundles;
    (Array.isArray(bundles) ? bundles : []).forEach((bundle: unknown, index: number) => {
      if (!isRecord(bundle) || typeof bundle.name !== "string") return;
      if (names.has(bundle.name))
        ctx.addIssue({
          code: "custom",
          path: ["bundles", index, "name"],
          message: `"${bundle.name}" is used by an earlier bundle`,
        });
      names.add(bundle.name);
    });
    const seen = new Set<string>();
    value.resources.forEach((resource: unknown, index: number) => {
      if (!isRecord(resource)) return;
      const key = ZResourceKey.safeParse(resource.key);
      if (!key.success) return;
      if (seen.has(key.data))
        ctx.addIssue({
          code: "custom",
          path: ["resources", index, "key"],
          message: `"${key.data}" is used by an earlier resource`,
        });
      seen.add(key.data);
    });
  }, always);
export type TCatalogDocument = z.output<typeof ZCatalogDocument>;
export type TDocumentResource = TCatalogDocument["resources"][number];

/** `["resources", 1, "policies", 0, "name"]` → `resources[1].policies[0].name`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((out, part) => {
    if (typeof part === "number") return `${out}[${part}]`;
    const name = String(part);
    if (/^[A-Za-z_$][\w$]*$/.test(name)) return out ? `${out}.${name}` : name;
    return `${out}[${JSON.stringify(name)}]`;
  }, "");

/**
 * Zod's issues as `{ path, message }`, one per unknown field (zod reports them together
 * on the object), with "is required" for missing fields.
 */
export const zodIssues = (error: z.ZodError): TIssue[] =>
  error.issues.flatMap((issue): TIssue[] => {
    const path = issue.path.map((part) => (typeof part === "symbol" ? String(part) : part));
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((key) => ({ path: [...path, key], message: "is not a known field" }));
    return [{ path, message: issue.message }];
  });

/** Parse with the catalog's messages; `issues` is empty exactly when `data` is set. */
export const parseWith = <S extends z.ZodType>(
  schema: S,
  input: unknown,
): { data: z.output<S>; issues: [] } | { data: undefined; issues: TIssue[] } => {
  const result = schema.safeParse(input, {
    error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined),
  });
  return result.success ? { data: result.data, issues: [] } : { data: undefined, issues: zodIssues(result.error) };
};
