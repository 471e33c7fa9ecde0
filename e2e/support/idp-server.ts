/** The IdP for the e2e suite: the demo users plus people only the tests use. */
import { DEMO_USERS } from "../../lib/dev-idp/demo-users";
import { startDevIdp } from "../../lib/dev-idp/server";
import { APP_URL, CLIENT_ID, CLIENT_SECRET, HOSTILE_NAME, IDP_PORT, IDP_URL } from "./env";
import { startHostileIssuer } from "./hostile-issuer";

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
  // The chat journey's own people (e2e/chat-approval.spec.ts), so it changes no one else's passkeys.
  {
    sub: "e2e-rhea",
    email: "rhea@example.com",
    name: "Rhea Requester",
    groups: ["engineers"],
    description: "Asks for access in the chat journey.",
  },
  {
    sub: "e2e-pia-phone",
    email: "pia.phone@example.com",
    name: "Pia Phone",
    groups: ["engineers", "chat-approvers"],
    description: "Approves from a Slack DM on a phone.",
  },
  {
    sub: "e2e-quinn-chat",
    email: "quinn.chat@example.com",
    name: "Quinn Chat",
    groups: ["chat-approvers"],
    description: "The second approver, whose button goes stale.",
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
    sub: "e2e-penny",
    email: "penny@example.com",
    name: "Penny Preview",
    groups: ["engineers"],
    description: "Requests access for the README's screenshots (e2e/screenshots.spec.ts).",
  },
  {
    sub: "e2e-quinn",
    email: "quinn@example.com",
    name: "Quinn Quitter",
    groups: ["engineers", "oncall"],
    description: "Ends her own grant early in the tests.",
  },
  {
    sub: "e2e-tomo",
    email: "tomo@example.com",
    name: "Tomo Tokyo",
    groups: ["engineers", "oncall"],
    description: "Reads the portal's times from Tokyo, in the tests.",
  },
  {
    sub: "e2e-kim",
    email: "kim@example.com",
    name: "Kim Keyboard",
    groups: ["engineers"],
    description: "Requests access with the keyboard only, in the tests.",
  },
  {
    sub: "e2e-rita",
    email: "rita@example.com",
    name: "Rita Ratelimit",
    groups: ["engineers"],
    description: "Reaches her sign-in limit through the portal in the tests.",
  },
  {
    sub: "e2e-ivy",
    email: "ivy@example.com",
    name: "Ivy Idtoken",
    groups: ["engineers"],
    description: "Signs in with forged ID tokens in the tests.",
  },
  {
    sub: "e2e-pia",
    email: "pia@example.com",
    name: "Pia Provisioned",
    groups: ["engineers"],
    description: "Gets a real PostgreSQL login through a connector in the tests.",
  },
  {
    sub: "e2e-tess",
    email: "tess@example.com",
    name: "Tess Terminal",
    groups: ["engineers"],
    description: "Signs in the jit CLI and connects with psql from a terminal in the tests.",
  },
  {
    sub: "e2e-dmitri",
    email: "dmitri@example.com",
    name: "Dmitri Dbapprover",
    groups: ["db-approvers"],
    description: "Approves the provisioning journey with his own passkey.",
  },
  {
    sub: "e2e-bea",
    email: "bea@example.com",
    name: "Bea Bundler",
    groups: ["engineers"],
    description: "Requests the demo bundle in the tests.",
  },
  {
    sub: "e2e-boris",
    email: "boris@example.com",
    name: "Boris Bundleapprover",
    groups: ["db-approvers"],
    description: "Approves a bundle's items with one passkey confirmation in the tests.",
  },
  {
    sub: "e2e-stella",
    email: "stella.staged@example.com",
    name: "Stella Staged",
    groups: ["stage-requesters"],
    description: "Requests access under a two-stage policy in the tests (ADR 0055).",
  },
  {
    sub: "e2e-leo",
    email: "leo.stageone@example.com",
    name: "Leo Stageone",
    groups: ["stage-leads"],
    description: "Approves the first stage of a two-stage request in the tests.",
  },
  {
    sub: "e2e-sam",
    email: "sam.stagetwo@example.com",
    name: "Sam Stagetwo",
    groups: ["stage-security"],
    description: "Approves the second stage of a two-stage request in the tests.",
  },
  {
    sub: "e2e-dana",
    email: "dana.delegator@example.com",
    name: "Dana Delegator",
    groups: ["delegation-approvers"],
    description: "Delegates her approvals while away, in the tests (ADR 0056).",
  },
  {
    sub: "e2e-cole",
    email: "cole.cover@example.com",
    name: "Cole Cover",
    groups: ["cover-approvers"],
    description: "Decides for Dana Delegator while she is away, in the tests.",
  },
  {
    sub: "e2e-reid",
    email: "reid.requester@example.com",
    name: "Reid Requester",
    groups: ["delegation-requesters"],
    description: "Requests access that a delegate approves, in the tests.",
  },
  {
    sub: "e2e-otto",
    email: "otto.oncall@example.com",
    name: "Otto Oncall",
    groups: ["handover-oncall"],
    description: "Files a request for the next on-call engineer, in the tests (ADR 0057).",
  },
  {
    sub: "e2e-nina",
    email: "nina.next@example.com",
    name: "Nina Next",
    groups: ["handover-oncall"],
    description: "Acknowledges the request Otto Oncall filed for her, in the tests.",
  },
  {
    sub: "e2e-hana",
    email: "hana.handover@example.com",
    name: "Hana Handover",
    groups: ["handover-approvers"],
    description: "Approves a request filed for a teammate, in the tests.",
  },
  {
    sub: "e2e-vera",
    email: "vera.owner@example.com",
    name: "Vera Owner",
    groups: ["review-owners"],
    description: "Approves the reviewed vault and starts its access review, in the tests.",
  },
  {
    sub: "e2e-rex",
    email: "rex.reviewer@example.com",
    name: "Rex Reviewer",
    groups: ["review-auditors"],
    description: "Reviews who may request the reviewed vault, in the tests.",
  },
  {
    sub: "e2e-quinn-kept",
    email: "quinn.kept@example.com",
    name: "Quinn Kept",
    groups: ["review-subjects"],
    description: "Eligible for the reviewed vault and certified, in the tests.",
  },
  {
    sub: "e2e-lars",
    email: "lars.leaver@example.com",
    name: "Lars Leaver",
    groups: ["review-subjects"],
    description: "Eligible for the reviewed vault and marked for removal, in the tests.",
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
  {
    sub: "e2e-cleo-caep",
    email: "cleo.stageone@example.com",
    name: "Cleo Continuous",
    groups: ["engineers"],
    description: "Her IdP revokes her session with a Shared Signals event, in the tests.",
  },
];

// The IdP listens on a port of its own; the issuer's address is a pass-through proxy that can
// misbehave on request (e2e/support/hostile-issuer.ts, for e2e/oidc-id-token.spec.ts).
const idp = await startDevIdp({
  port: 0,
  issuer: IDP_URL,
  clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${APP_URL}/api/auth/callback/oidc`] }],
  users: E2E_USERS,
});
const { port: upstreamPort } = new URL(idp.upstream);
const front = await startHostileIssuer({ port: IDP_PORT, upstream: `http://127.0.0.1:${upstreamPort}` });
console.log(`e2e IdP at ${idp.issuer}`);
const stop = () => void Promise.all([front.close(), idp.close()]).then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
