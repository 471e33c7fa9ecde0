/** The IdP for the e2e suite: the demo users plus people only the tests use. */
import { DEMO_USERS } from "../../lib/dev-idp/demo-users";
import { startDevIdp } from "../../lib/dev-idp/server";
import { APP_URL, CLIENT_ID, CLIENT_SECRET, HOSTILE_NAME, IDP_PORT } from "./env";

export const E2E_USERS = [
  ...DEMO_USERS,
  {
    sub: "e2e-dave",
    email: "dave@example.com",
    name: "Dave Departing",
    groups: ["engineers"],
    description: "Deactivated by the tests.",
  },
  {
    sub: "e2e-erin",
    email: "erin@example.com",
    name: "Erin Signout",
    groups: ["engineers"],
    description: "Signs out in the tests.",
  },
  {
    sub: "e2e-frank",
    email: "frank@example.com",
    name: "Frank Fleeting",
    groups: ["engineers"],
    description: "Holds a grant that ends during the tests.",
  },
  {
    sub: "e2e-hugo",
    email: "hugo@example.com",
    name: "Hugo Hostile",
    groups: ["engineers"],
    description: "Sends hostile input in the tests.",
  },
  {
    sub: "e2e-mallory",
    email: "mallory@example.com",
    name: HOSTILE_NAME,
    groups: ["engineers"],
    description: "Her name is a stored-text attack.",
  },
  {
    sub: "e2e-olga",
    email: "olga@example.com",
    name: "Olga Outage",
    groups: ["engineers", "oncall"],
    description: "Takes break-glass access in the tests.",
  },
  {
    sub: "e2e-dexter",
    email: "dexter@example.com",
    name: "Dexter Deactivated",
    groups: ["engineers"],
    description: "Deactivated by the authorization matrix (e2e/authz).",
  },
  {
    sub: "e2e-lena",
    email: "lena@example.com",
    name: "Lena Lockout",
    groups: ["engineers"],
    description: "Past her sign-in limit in the tests.",
  },
  {
    sub: "e2e-pia",
    email: "pia@example.com",
    name: "Pia Provisioned",
    groups: ["engineers"],
    description: "Gets a real PostgreSQL login through a connector in the tests.",
  },
  {
    sub: "e2e-dmitri",
    email: "dmitri@example.com",
    name: "Dmitri Dbapprover",
    groups: ["db-approvers"],
    description: "Approves the provisioning journey with his own passkey.",
  },
  {
    sub: "e2e-dora",
    email: "dora@example.com",
    name: "Dora Deactivated",
    groups: ["engineers"],
    description: "Deactivated before she ever signs in, in the tests.",
  },
  {
    sub: "e2e-sasha",
    email: "sasha@example.com",
    name: "Sasha Shell",
    groups: ["engineers"],
    description: "Logs in to a real sshd with a portal certificate, in the tests.",
  },
  {
    sub: "e2e-petra",
    email: "petra@example.com",
    name: "Petra Pager",
    groups: ["ssh-approvers"],
    description: "Approves SSH access, in the tests.",
  },
];

const idp = await startDevIdp({
  port: IDP_PORT,
  clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${APP_URL}/api/auth/callback/oidc`] }],
  users: E2E_USERS,
});
console.log(`e2e IdP at ${idp.issuer}`);
const stop = () => void idp.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
