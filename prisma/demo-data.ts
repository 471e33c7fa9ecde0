/**
 * Demo resources and policies, matched to the development IdP's demo identities
 * (lib/dev-idp/demo-users.ts): engineers request, db-approvers approve database access,
 * sre approves cluster access, on-call gets read access at once.
 */
export type TDemoResource = {
  key: string;
  name: string;
  description: string;
  environment: string;
  permissions: string[];
  policies: Array<{
    name: string;
    permissions: string[];
    requesterGroups: string[];
    approverGroups: string[];
    approvalsRequired: number;
    defaultDurationMinutes: number;
    maxDurationMinutes: number;
    minJustificationLength: number;
    ticketRequired: boolean;
    ticketPattern: string | null;
    decisionWindowMinutes: number;
    autoApproveGroups: string[];
    autoApprovePermissions: string[];
    breakGlassAllowed: boolean;
    breakGlassMaxMinutes: number | null;
    riskThreshold: number | null;
    riskExtraApprovals: number;
    riskBlocksAutoApproval: boolean;
    usageCeilings: Record<string, number>;
    usageResponse: "alert" | "revoke" | "extra_approval";
  }>;
};

const base = {
  minJustificationLength: 10,
  ticketRequired: false,
  ticketPattern: null,
  decisionWindowMinutes: 240,
  autoApproveGroups: [],
  autoApprovePermissions: [],
  breakGlassAllowed: false,
  breakGlassMaxMinutes: null,
  riskThreshold: null,
  riskExtraApprovals: 0,
  riskBlocksAutoApproval: false,
  usageCeilings: {},
  usageResponse: "alert" as const,
};

export const DEMO_RESOURCES: TDemoResource[] = [
  {
    key: "prod-postgres",
    name: "Production PostgreSQL",
    description: "The primary customer database.",
    environment: "production",
    permissions: ["read", "write", "admin"],
    policies: [
      {
        ...base,
        name: "read",
        permissions: ["read"],
        requesterGroups: ["engineers", "sre"],
        approverGroups: ["db-approvers"],
        approvalsRequired: 1,
        defaultDurationMinutes: 60,
        maxDurationMinutes: 240,
        autoApproveGroups: ["oncall"],
        autoApprovePermissions: ["read"],
        // A risky read (say, at an unusual hour from a new network) waits for a person.
        riskThreshold: 3,
        riskBlocksAutoApproval: true,
      },
      {
        ...base,
        name: "write",
        permissions: ["write"],
        requesterGroups: ["engineers", "sre"],
        approverGroups: ["db-approvers"],
        approvalsRequired: 2,
        defaultDurationMinutes: 30,
        maxDurationMinutes: 120,
        minJustificationLength: 20,
        ticketRequired: true,
        ticketPattern: "^(INC|CHG)-\\d+$",
      },
      {
        ...base,
        name: "admin",
        permissions: ["admin"],
        requesterGroups: ["sre", "oncall"],
        approverGroups: ["db-approvers"],
        approvalsRequired: 2,
        defaultDurationMinutes: 15,
        maxDurationMinutes: 60,
        minJustificationLength: 20,
        ticketRequired: true,
        ticketPattern: "^(INC|CHG)-\\d+$",
        decisionWindowMinutes: 60,
        breakGlassAllowed: true,
        breakGlassMaxMinutes: 30,
      },
    ],
  },
  {
    key: "staging-postgres",
    name: "Staging PostgreSQL",
    description: "Staging copy of the customer database, refreshed nightly.",
    environment: "staging",
    permissions: ["read", "write"],
    policies: [
      {
        ...base,
        name: "read-write",
        permissions: ["read", "write"],
        requesterGroups: ["engineers", "sre"],
        approverGroups: ["db-approvers"],
        approvalsRequired: 1,
        defaultDurationMinutes: 120,
        maxDurationMinutes: 480,
        decisionWindowMinutes: 1440,
      },
    ],
  },
  {
    key: "k8s-prod",
    name: "Kubernetes production cluster",
    description: "kubectl access to the production cluster.",
    environment: "production",
    permissions: ["view", "exec", "admin"],
    policies: [
      {
        ...base,
        name: "view-exec",
        permissions: ["view", "exec"],
        requesterGroups: ["engineers", "sre"],
        approverGroups: ["sre", "db-approvers"],
        approvalsRequired: 1,
        defaultDurationMinutes: 60,
        maxDurationMinutes: 240,
        ticketRequired: true,
        ticketPattern: "^(INC|CHG)-\\d+$",
      },
    ],
  },
];

/** Demo bundles: items by resource key, permission and policy name (as in the catalog document). */
export const DEMO_BUNDLES: Array<{
  name: string;
  description: string;
  items: Array<{ resource: string; permission: string; policy: string }>;
}> = [
  {
    name: "Incident responder",
    description: "Read the production database and look at the production cluster during an incident.",
    items: [
      { resource: "prod-postgres", permission: "read", policy: "read" },
      { resource: "k8s-prod", permission: "view", policy: "view-exec" },
    ],
  },
];
