/**
 * The people the development IdP can sign in as. Each one exists to exercise a role the
 * portal derives from IdP groups, so a developer can walk every journey (request, approve,
 * review, administer, break-glass) without a company directory.
 *
 * `sub` values are stable so that portal rows created in one session (requests, approvals,
 * passkeys) still belong to the same person after the IdP restarts.
 */
export type DemoUser = {
  sub: string;
  email: string;
  name: string;
  groups: string[];
  description: string;
};

export const DEMO_USERS: readonly DemoUser[] = [
  {
    sub: "demo-alice",
    email: "alice@example.com",
    name: "Alice Engineer",
    groups: ["engineers"],
    description: "Engineer: requests access, approves nothing.",
  },
  {
    sub: "demo-bob",
    email: "bob@example.com",
    name: "Bob Approver",
    groups: ["engineers", "db-approvers"],
    description: "Engineer and database approver: can approve other people's database requests.",
  },
  {
    sub: "demo-carol",
    email: "carol@example.com",
    name: "Carol Approver",
    groups: ["sre", "db-approvers"],
    description: "SRE and database approver: the second approver for two-person rules.",
  },
  {
    sub: "demo-sam",
    email: "sam@example.com",
    name: "Sam Security",
    groups: ["security-reviewers"],
    description: "Security reviewer: reads the audit log and reviews break-glass use.",
  },
  {
    sub: "demo-ada",
    email: "ada@example.com",
    name: "Ada Admin",
    groups: ["portal-admins"],
    description: "Portal administrator: manages users (and, next, resources and policies).",
  },
  {
    sub: "demo-oscar",
    email: "oscar@example.com",
    name: "Oscar On-call",
    groups: ["engineers", "oncall"],
    description: "On-call engineer: may use break-glass access during an incident.",
  },
];
