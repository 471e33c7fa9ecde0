import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEMO_RESOURCES } from "../../prisma/demo-data";
import {
  formatPath,
  parseWith,
  policyPermissionIssues,
  type TPolicyInput,
  ZCatalogDocument,
  ZPolicyInput,
  ZResourceInput,
  ZResourceUpdate,
} from "./schemas";

/** `{ "path": "message" }` for every issue, so a test names the exact path it expects. */
const problems = (schema: Parameters<typeof parseWith>[0], input: unknown): Record<string, string> =>
  Object.fromEntries(parseWith(schema, input).issues.map((issue) => [formatPath(issue.path), issue.message]));

const resource = {
  key: "prod-postgres",
  name: "Production PostgreSQL",
  description: "Primary.",
  environment: "production",
  permissions: ["read", "write", "admin"],
};

const policy: TPolicyInput = {
  name: "write",
  permissions: ["write"],
  requesterGroups: ["engineers"],
  approverGroups: ["db-approvers"],
  approvalsRequired: 2,
  defaultDurationMinutes: 30,
  maxDurationMinutes: 120,
};

const policyProblems = (changes: Record<string, unknown>) => problems(ZPolicyInput, { ...policy, ...changes });

describe("resource input", () => {
  it("accepts a resource, trimming text and defaulting the description", () => {
    const parsed = parseWith(ZResourceInput, {
      ...resource,
      name: "  Prod  ",
      environment: " staging ",
      description: undefined,
    });
    assert.deepEqual(parsed.issues, []);
    assert.equal(parsed.data?.name, "Prod");
    assert.equal(parsed.data?.environment, "staging");
    assert.equal(parsed.data?.description, "");
  });

  it("requires a key of 2 to 63 lowercase letters, digits and hyphens, not starting with a hyphen", () => {
    for (const key of ["a", "-db", "Prod", "prod_db", "a".repeat(64), "db prod"]) {
      assert.match(problems(ZResourceInput, { ...resource, key }).key ?? "", /2 to 63 characters/, key);
    }
    for (const key of ["db", "0-db", "a".repeat(63)])
      assert.deepEqual(problems(ZResourceInput, { ...resource, key }), {}, key);
  });

  it("requires a name and an environment, and says which field is missing", () => {
    assert.deepEqual(problems(ZResourceInput, { ...resource, name: "   ", environment: undefined }), {
      name: "must not be empty",
      environment: "is required",
    });
  });

  it("requires a non-empty list of distinct, well-formed permissions, pointing at the bad entry", () => {
    assert.deepEqual(problems(ZResourceInput, { ...resource, permissions: [] }), {
      permissions: "must list at least one permission",
    });
    assert.deepEqual(problems(ZResourceInput, { ...resource, permissions: ["read", "Write", "read"] }), {
      "permissions[1]": "must be 1 to 32 characters: lowercase letters, digits, _ and -, starting with a letter",
      "permissions[2]": '"read" is listed twice',
    });
    assert.equal(
      problems(ZResourceInput, { ...resource, permissions: ["a".repeat(33)] })["permissions[0]"]?.startsWith(
        "must be 1 to 32",
      ),
      true,
    );
  });

  it("refuses unknown fields by name, and a key in an update (keys are fixed)", () => {
    assert.deepEqual(problems(ZResourceInput, { ...resource, owner: "x" }), { owner: "is not a known field" });
    const { key: _key, ...update } = resource;
    assert.deepEqual(problems(ZResourceUpdate, update), {});
    assert.deepEqual(problems(ZResourceUpdate, resource), { key: "is not a known field" });
  });
});

describe("policy input", () => {
  it("accepts a policy and fills in the schema's defaults", () => {
    const parsed = parseWith(ZPolicyInput, policy);
    assert.deepEqual(parsed.issues, []);
    assert.deepEqual(parsed.data, {
      ...policy,
      minJustificationLength: 10,
      ticketRequired: false,
      ticketPattern: null,
      decisionWindowMinutes: 1440,
      autoApproveGroups: [],
      autoApprovePermissions: [],
      breakGlassAllowed: false,
      breakGlassMaxMinutes: null,
      riskThreshold: null,
      riskExtraApprovals: 0,
      riskBlocksAutoApproval: false,
      usageResponse: "alert",
      usageCeilings: {},
      stages: [],
      escalationGroups: [],
      escalationAfterMinutes: null,
      onBehalfOfAllowed: false,
    });
  });

  it("usage rules: a response from the closed list and ceilings per metric above 0, each refusal named", () => {
    assert.deepEqual(policyProblems({ usageResponse: "revoke", usageCeilings: { rows_read: 50_000 } }), {});
    assert.deepEqual(policyProblems({ usageResponse: "extra_approval" }), {});
    assert.deepEqual(policyProblems({ usageResponse: "delete_everything" }), {
      usageResponse: "must be one of alert, revoke, extra_approval",
    });
    assert.deepEqual(policyProblems({ usageCeilings: { rows_read: 0 } }), {
      "usageCeilings.rows_read": "must be above 0",
    });
    assert.deepEqual(policyProblems({ usageCeilings: { rows_read: Number.NaN } }), {
      "usageCeilings.rows_read": "must be a number",
    });
    assert.equal(Object.keys(policyProblems({ usageCeilings: { "Rows Read": 5 } })).length, 1);
  });

  it("requires permissions, requester groups and approver groups", () => {
    assert.deepEqual(policyProblems({ permissions: [], requesterGroups: [], approverGroups: [] }), {
      permissions: "must list at least one permission",
      requesterGroups: "must list at least one group",
      approverGroups: "must list at least one group",
    });
    assert.deepEqual(policyProblems({ approverGroups: undefined }), { approverGroups: "is required" });
  });

  it("refuses group names with commas, blanks and repeats, at their index", () => {
    assert.deepEqual(policyProblems({ requesterGroups: ["sre", "a,b", "  ", "sre"] }), {
      "requesterGroups[1]": "must not contain commas or control characters",
      "requesterGroups[2]": "must not be empty",
      "requesterGroups[3]": '"sre" is listed twice',
    });
  });

  it("needs 1 to 10 approvals, as a whole number", () => {
    assert.deepEqual(policyProblems({ approvalsRequired: 0 }), { approvalsRequired: "must be at least 1" });
    assert.deepEqual(policyProblems({ approvalsRequired: 11 }), { approvalsRequired: "must be at most 10" });
    assert.deepEqual(policyProblems({ approvalsRequired: 1.5 }), { approvalsRequired: "must be a whole number" });
    assert.deepEqual(policyProblems({ approvalsRequired: "2" }), { approvalsRequired: "must be a whole number" });
  });

  it("keeps the default duration within the maximum, and the maximum within 7 days", () => {
    assert.deepEqual(policyProblems({ defaultDurationMinutes: 121 }), {
      defaultDurationMinutes: "must not exceed maxDurationMinutes (120)",
    });
    assert.deepEqual(policyProblems({ maxDurationMinutes: 10_081, defaultDurationMinutes: 60 }), {
      maxDurationMinutes: "must be at most 10080",
    });
    assert.deepEqual(policyProblems({ maxDurationMinutes: 10_080, defaultDurationMinutes: 10_080 }), {});
    assert.deepEqual(policyProblems({ defaultDurationMinutes: 0 }), { defaultDurationMinutes: "must be at least 1" });
  });

  it("keeps the minimum justification length between 0 and 1000", () => {
    assert.deepEqual(policyProblems({ minJustificationLength: -1 }), { minJustificationLength: "must be at least 0" });
    assert.deepEqual(policyProblems({ minJustificationLength: 1001 }), {
      minJustificationLength: "must be at most 1000",
    });
    assert.deepEqual(policyProblems({ minJustificationLength: 0 }), {});
  });

  it("requires a ticket pattern when a ticket is required, and treats an empty one as none", () => {
    assert.deepEqual(policyProblems({ ticketRequired: true }), {
      ticketPattern: "is required when ticketRequired is true",
    });
    assert.deepEqual(policyProblems({ ticketRequired: true, ticketPattern: "" }), {
      ticketPattern: "is required when ticketRequired is true",
    });
    assert.equal(parseWith(ZPolicyInput, { ...policy, ticketPattern: "" }).data?.ticketPattern, null);
    assert.deepEqual(policyProblems({ ticketRequired: true, ticketPattern: "^(INC|CHG)-\\d+$" }), {});
  });

  it("refuses a ticket pattern that is not a JavaScript regular expression, or longer than 200 characters", () => {
    assert.match(
      policyProblems({ ticketPattern: "^(INC" }).ticketPattern ?? "",
      /^is not a valid regular expression: .*Unterminated group/,
    );
    assert.deepEqual(policyProblems({ ticketPattern: "a".repeat(201) }), {
      ticketPattern: "must be at most 200 characters",
    });
    assert.deepEqual(policyProblems({ ticketPattern: "a".repeat(200) }), {});
  });

  it("keeps the decision window between 5 minutes and 7 days", () => {
    assert.deepEqual(policyProblems({ decisionWindowMinutes: 4 }), { decisionWindowMinutes: "must be at least 5" });
    assert.deepEqual(policyProblems({ decisionWindowMinutes: 10_081 }), {
      decisionWindowMinutes: "must be at most 10080",
    });
  });

  it("auto-approves only the policy's own permissions, and needs both groups and permissions for it", () => {
    assert.deepEqual(policyProblems({ autoApproveGroups: ["oncall"], autoApprovePermissions: ["write", "read"] }), {
      "autoApprovePermissions[1]": `"read" is not one of this policy's permissions (write)`,
    });
    assert.deepEqual(policyProblems({ autoApproveGroups: ["oncall"] }), {
      autoApprovePermissions: "must list the permissions to auto-approve when autoApproveGroups is set",
    });
    assert.deepEqual(policyProblems({ autoApprovePermissions: ["write"] }), {
      autoApproveGroups: "must list the groups to auto-approve when autoApprovePermissions is set",
    });
  });

  it("requires a break-glass maximum when break-glass is allowed, within the maximum duration, and none otherwise", () => {
    assert.deepEqual(policyProblems({ breakGlassAllowed: true }), {
      breakGlassMaxMinutes: "is required when breakGlassAllowed is true",
    });
    assert.deepEqual(policyProblems({ breakGlassAllowed: true, breakGlassMaxMinutes: 121 }), {
      breakGlassMaxMinutes: "must not exceed maxDurationMinutes (120)",
    });
    assert.deepEqual(policyProblems({ breakGlassAllowed: false, breakGlassMaxMinutes: 30 }), {
      breakGlassMaxMinutes: "must be empty unless breakGlassAllowed is true",
    });
    assert.deepEqual(policyProblems({ breakGlassAllowed: true, breakGlassMaxMinutes: 30 }), {});
  });

  it("risk rules: a threshold needs a rule and a rule needs a threshold; approvals stay at most 10 in all", () => {
    assert.deepEqual(policyProblems({ riskThreshold: 3, riskExtraApprovals: 1 }), {});
    assert.deepEqual(policyProblems({ riskThreshold: 3, riskBlocksAutoApproval: true }), {});
    assert.deepEqual(policyProblems({ riskThreshold: 3 }), {
      riskThreshold: "has no effect unless riskExtraApprovals is above 0 or riskBlocksAutoApproval is true",
    });
    assert.deepEqual(policyProblems({ riskExtraApprovals: 1 }), {
      riskThreshold: "is required when riskExtraApprovals is above 0 or riskBlocksAutoApproval is true",
    });
    assert.deepEqual(policyProblems({ riskBlocksAutoApproval: true }), {
      riskThreshold: "is required when riskExtraApprovals is above 0 or riskBlocksAutoApproval is true",
    });
    assert.deepEqual(policyProblems({ riskThreshold: 0, riskExtraApprovals: 10 }), {
      riskThreshold: "must be at least 1",
      riskExtraApprovals: "must be at most 9",
    });
    assert.deepEqual(policyProblems({ approvalsRequired: 8, riskThreshold: 2, riskExtraApprovals: 3 }), {
      riskExtraApprovals: "together with approvalsRequired (8) must be at most 10",
    });
  });

  it("reports type errors and cross-field rules together, not one layer at a time", () => {
    assert.deepEqual(
      policyProblems({ approvalsRequired: "two", defaultDurationMinutes: 500, ticketRequired: true, colour: "red" }),
      {
        approvalsRequired: "must be a whole number",
        colour: "is not a known field",
        defaultDurationMinutes: "must not exceed maxDurationMinutes (120)",
        ticketPattern: "is required when ticketRequired is true",
      },
    );
  });

  it("offers only the resource's permissions", () => {
    assert.deepEqual(policyPermissionIssues({ permissions: ["read", "drop"] }, resource), [
      {
        path: ["permissions", 1],
        message: `"drop" is not a permission of resource "prod-postgres" (read, write, admin)`,
      },
    ]);
  });
});

describe("catalog document", () => {
  const demo = () =>
    structuredClone({ version: 1, resources: DEMO_RESOURCES }) as {
      version: number;
      resources: Array<Record<string, unknown> & { policies: Array<Record<string, unknown>> }>;
    };

  it("accepts the demo catalog", () => {
    assert.deepEqual(problems(ZCatalogDocument, demo()), {});
  });

  it("names the exact path of each problem, deep in the document", () => {
    const document = demo();
    document.resources[1]!.policies[0]!.ticketPattern = "([";
    document.resources[0]!.policies[2]!.permissions = ["admin", "drop"];
    document.resources[2]!.key = "K8S";
    assert.deepEqual(Object.keys(problems(ZCatalogDocument, document)).sort(), [
      "resources[0].policies[2].permissions[1]",
      "resources[1].policies[0].ticketPattern",
      "resources[2].key",
    ]);
    assert.equal(
      problems(ZCatalogDocument, document)["resources[0].policies[2].permissions[1]"],
      `"drop" is not a permission of resource "prod-postgres" (read, write, admin)`,
    );
  });

  it("refuses a repeated resource key and a repeated policy name within a resource", () => {
    const document = demo();
    document.resources.push({ ...document.resources[0]!, policies: [] });
    document.resources[1]!.policies.push({ ...document.resources[1]!.policies[0]!, name: " read-write " });
    assert.deepEqual(problems(ZCatalogDocument, document), {
      "resources[3].key": `"prod-postgres" is used by an earlier resource`,
      "resources[1].policies[1].name": `"read-write" is used by an earlier policy of this resource`,
    });
  });

  it("requires version 1 and a list of resources, and refuses unknown top-level fields", () => {
    assert.deepEqual(problems(ZCatalogDocument, { version: 2, resources: [], extra: true }), {
      version: "must be 1",
      extra: "is not a known field",
    });
    assert.deepEqual(problems(ZCatalogDocument, { version: 1 }), { resources: "is required" });
    assert.deepEqual(problems(ZCatalogDocument, [1]), {
      "": "the document must be a mapping with version and resources",
    });
  });

  it("formats paths the way an editor would search for them", () => {
    assert.equal(
      formatPath(["resources", 1, "policies", 0, "ticketPattern"]),
      "resources[1].policies[0].ticketPattern",
    );
    assert.equal(formatPath(["resources", 0, "odd key"]), 'resources[0]["odd key"]');
    assert.equal(formatPath([]), "");
  });
});
