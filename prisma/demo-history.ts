/**
 * A month of demo history, written through the portal's own use cases (sign-in, request,
 * passkey-confirmed decision, activation, expiry, early end, revocation, cancellation,
 * break-glass and its review) with the clock set to when each step "happened"
 * (lib/clock.ts). Every row and audit event is what the portal would have written then, and
 * the audit chain is appended in time order, so *Verify* finds it intact.
 *
 * Deterministic (a seeded generator) and written once: only into a database where nothing has
 * happened yet (no audit event), so the chain's order stays the order of time. The requests
 * of the last hours stay open, so approvers find something in their inbox on first sign-in.
 *
 * Decisions need passkeys. The demo's approvers sign in through the development IdP with the
 * browser's own passkey, so the month's decisions are made by four colleagues of theirs who
 * exist only in this history (Dana, Erin, Finn and Ivy), each with a software passkey held in
 * memory for the run and then forgotten: nobody can sign in or decide as them afterwards.
 */
import type { TUserActor } from "../lib/authz";
import { rolesForGroups } from "../lib/authz";
import type { TAuditContext } from "../lib/authz/enforce";
import {
  activateGrant,
  cancelRequest,
  decideRequest,
  expireGrant,
  expireStaleRequests,
  requestAccess,
  revokeGrant,
  signOffBreakGlass,
  startBreakGlass,
  startDecision,
  startRevocation,
  takeBreakGlass,
} from "../lib/access";
import { signInUser } from "../lib/auth/sign-in";
import { atTime } from "../lib/clock";
import { getConfig } from "../lib/config";
import { db } from "../lib/db";
import { AppError } from "../lib/errors";
import { DEMO_USERS } from "../lib/dev-idp/demo-users";
import { decideReview, startReview, startReviewDecision } from "../lib/reviews";
import { createSoftwareAuthenticator, type TSoftwareAuthenticator } from "../lib/testing/software-authenticator";
import { finishPasskeyRegistration, startPasskeyRegistration } from "../lib/webauthn";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type TPerson = { sub: string; email: string; name: string; groups: string[] };

/** Colleagues of the demo cast who exist only in the history (see the header). */
export const HISTORY_PEOPLE: readonly TPerson[] = [
  { sub: "history-dana", email: "dana@example.com", name: "Dana DBA", groups: ["engineers", "db-approvers"] },
  { sub: "history-erin", email: "erin@example.com", name: "Erin SRE", groups: ["sre", "db-approvers"] },
  { sub: "history-finn", email: "finn@example.com", name: "Finn On-call", groups: ["engineers", "sre", "oncall"] },
  { sub: "history-ivy", email: "ivy@example.com", name: "Ivy Security", groups: ["security-reviewers"] },
];

const person = (sub: string): TPerson => {
  const found = [...DEMO_USERS, ...HISTORY_PEOPLE].find((candidate) => candidate.sub === sub);
  if (!found) throw new Error(`demo history: no person ${sub}`);
  return found;
};

/** Where each person works from: a laptop, sometimes a phone or a hotel network (risk signals). */
const HOME: Record<string, TAuditContext> = {
  "demo-alice": { ip: "10.20.1.14", userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Firefox/128.0" },
  "demo-oscar": { ip: "10.20.4.31", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36" },
  "demo-bob": { ip: "10.20.1.22", userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Chrome/131.0" },
  "history-dana": { ip: "10.20.2.8", userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15" },
  "history-erin": { ip: "10.20.3.5", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0" },
  "history-ivy": { ip: "10.20.9.12", userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Chrome/131.0" },
  "history-finn": { ip: "10.20.4.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36" },
  "demo-sam": { ip: "10.20.9.3", userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edge/131.0" },
};
const AWAY: TAuditContext = {
  ip: "198.51.100.77",
  userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148 Safari/604.1",
};

/** A small deterministic generator (mulberry32): the same history on every machine. */
const generator = (seed: number) => {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
};

type TOutcome = "expire" | "end-early" | "revoke" | "deny" | "cancel" | "lapse";

type TScenario = {
  requester: string;
  resource: string;
  policy: string;
  permissions: string[];
  minutes: number;
  justification: string;
  ticket?: string;
  /** Approvers in order; a two-person rule needs two. */
  approvers: string[];
  outcome: TOutcome;
  away?: boolean;
};

const REASONS: Record<string, string[]> = {
  "prod-postgres": [
    "Investigate the slow checkout query reported in INC-4211",
    "Check the invoice totals a customer disputes (SUP-882)",
    "Verify yesterday's migration backfilled every row",
    "Look up the orders stuck in 'pending' since the deploy",
  ],
  "staging-postgres": [
    "Load fixtures for the billing redesign demo",
    "Reproduce the duplicate-webhook bug against staging data",
    "Dry-run the index migration before Thursday",
  ],
  "k8s-prod": [
    "Restart the stuck payment worker pods",
    "Read the ingress logs for the 502 spike",
    "Exec into the search pod to check the index size",
  ],
};

type TStep = { at: Date; order: number; label: string; run: () => Promise<void> };

export type TDemoHistoryResult =
  { seeded: true; requests: number; grants: number; auditEvents: number } | { seeded: false; reason: string };

/**
 * Writes the history that ends at `now` (default: the wall clock) and began `days` ago.
 * Call it on a database that has its demo catalog and nothing else (prisma/seed.ts `seedDemo`).
 */
export const seedDemoHistory = async (options: { now?: Date; days?: number } = {}): Promise<TDemoHistoryResult> => {
  const now = options.now ?? new Date();
  const days = options.days ?? 30;
  const start = new Date(now.getTime() - days * DAY);
  if ((await db.accessRequest.count()) > 0) return { seeded: false, reason: "the database already has requests" };
  const issuer = getConfig().oidc.issuer;
  const policies = await db.accessPolicy.findMany({
    select: { id: true, name: true, resource: { select: { key: true } } },
  });
  const policyId = (resource: string, name: string) => {
    const found = policies.find((policy) => policy.resource.key === resource && policy.name === name);
    if (!found) throw new Error(`demo history: no policy ${resource}/${name} (seed the demo catalog first)`);
    return found.id;
  };

  const { origin, rpId } = getConfig().webauthn;
  const passkeys = new Map<string, TSoftwareAuthenticator>();

  /** A fresh sign-in of this person at the clock's instant, as the portal's actor. */
  const signIn = async (sub: string, context: TAuditContext): Promise<TUserActor> => {
    const who = person(sub);
    const identity = { subject: who.sub, email: who.email, name: who.name, groups: who.groups };
    const session = await signInUser({ issuer, identity, context });
    return {
      kind: "user",
      userId: session.userId,
      sessionId: session.sessionId,
      email: who.email,
      name: who.name,
      groups: who.groups,
      roles: rolesForGroups(who.groups),
    };
  };
  const contextOf = (sub: string, away = false): TAuditContext => (away ? AWAY : (HOME[sub] ?? AWAY));
  /** Approvers and break-glass users confirm with a passkey; the first use registers it. */
  const passkeyOf = async (sub: string, actor: TUserActor): Promise<TSoftwareAuthenticator> => {
    const known = passkeys.get(sub);
    if (known) return known;
    const authenticator = createSoftwareAuthenticator({ origin, rpId });
    const registration = authenticator.register(await startPasskeyRegistration({ actor }));
    await finishPasskeyRegistration({ actor, name: "Laptop (demo history)", response: registration });
    passkeys.set(sub, authenticator);
    return authenticator;
  };

  // ---- the month, as scenarios with times --------------------------------------------------
  const random = generator(20_261_204);
  const steps: TStep[] = [];
  let order = 0;
  const step = (at: Date, label: string, run: () => Promise<void>) =>
    steps.push({ at, order: (order += 1), label, run });

  const plan = (at: Date, scenario: TScenario, live: boolean) => {
    const state: { requestId?: string; grantId?: string } = {};
    const requester = scenario.requester;
    const context = contextOf(requester, scenario.away);
    step(at, `request ${scenario.resource}`, async () => {
      const actor = await signIn(requester, context);
      const result = await requestAccess({
        actor,
        context,
        input: {
          policyId: policyId(scenario.resource, scenario.policy),
          permissions: scenario.permissions,
          durationMinutes: scenario.minutes,
          justification: scenario.justification,
          ...(scenario.ticket ? { ticket: scenario.ticket } : {}),
        },
      }).catch((error: unknown) => {
        // The person already holds or awaits this access: that morning they did not ask again.
        if (error instanceof AppError && error.code === "CONFLICT") return null;
        throw error;
      });
      if (!result) return;
      state.requestId = result.requestId;
      if (result.grantId) state.grantId = result.grantId;
    });
    let decidedAt = at;
    if (scenario.outcome === "cancel") {
      step(new Date(at.getTime() + random.int(5, 40) * MINUTE), "cancel", async () => {
        if (!state.requestId) return;
        const actor = await signIn(requester, context);
        await cancelRequest({ actor, requestId: state.requestId, context });
      });
      return;
    }
    if (scenario.outcome === "lapse") return; // expireStaleRequests ends it at its deadline
    if (live && scenario.approvers.length > 0) return; // still waiting: the inbox's first items
    // Each approver in turn while the request waits (a risk score can ask for one more); a
    // denial comes from the first.
    for (const [index, approver] of scenario.approvers.entries()) {
      decidedAt = new Date(decidedAt.getTime() + random.int(4, 25) * MINUTE);
      const decision = scenario.outcome === "deny" && index === 0 ? "DENY" : "APPROVE";
      step(decidedAt, `${decision} ${scenario.resource}`, async () => {
        const requestId = state.requestId;
        if (!requestId) return;
        const { status } = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
        if (status !== "PENDING") return;
        const approverContext = contextOf(approver);
        const actor = await signIn(approver, approverContext);
        const passkey = await passkeyOf(approver, actor);
        const challenge = await startDecision({ actor, requestId, decision, context: approverContext });
        const result = await decideRequest({
          actor,
          context: approverContext,
          input: {
            requestId,
            decision,
            assertion: passkey.assert(challenge),
            ...(decision === "DENY" ? { comment: "Use the read replica for this; write access is not needed." } : {}),
          },
        });
        if (result.grantId) state.grantId = result.grantId;
      });
    }
    if (scenario.outcome === "deny") return;
    // The last decision's time is at or after the grant's start, so these steps are never early.
    const grantStart = decidedAt;
    const grantEnd = new Date(grantStart.getTime() + scenario.minutes * MINUTE);
    /** The grant, while it is live at the clock's instant; a lapsed or ended one is left alone. */
    const liveGrant = async (at: Date) => {
      if (!state.grantId) return null;
      const grant = await db.grant.findUniqueOrThrow({ where: { id: state.grantId } });
      return grant.revokedAt || grant.expiresAt <= at ? null : grant;
    };
    step(new Date(grantStart.getTime() + 1_000), "activate", async () => {
      if (state.grantId) await activateGrant({ grantId: state.grantId });
    });
    if (scenario.outcome === "end-early") {
      const endAt = new Date(grantStart.getTime() + Math.floor(scenario.minutes * 0.4) * MINUTE);
      if (endAt < now)
        step(endAt, "end early", async () => {
          const grant = await liveGrant(endAt);
          if (!grant) return;
          const actor = await signIn(requester, context);
          await revokeGrant({ actor, context, input: { grantId: grant.id, reason: "Done early." } });
        });
    }
    if (scenario.outcome === "revoke") {
      const endAt = new Date(grantStart.getTime() + Math.floor(scenario.minutes * 0.3) * MINUTE);
      if (endAt < now)
        step(endAt, "revoke", async () => {
          const grant = await liveGrant(endAt);
          if (!grant) return;
          const revoker = "history-ivy";
          const revokerContext = contextOf(revoker);
          const actor = await signIn(revoker, revokerContext);
          const passkey = await passkeyOf(revoker, actor);
          const challenge = await startRevocation({ actor, grantId: grant.id, context: revokerContext });
          await revokeGrant({
            actor,
            context: revokerContext,
            input: {
              grantId: grant.id,
              reason: "Work moved to the change window; access not needed until then.",
              ...(challenge ? { assertion: passkey.assert(challenge) } : {}),
            },
          });
        });
    }
    // At or after the real end (a worker is never early); grants that outlive the history stay
    // active and the worker ends them on time.
    if (grantEnd < now)
      step(grantEnd, "expire", async () => {
        if (state.grantId) await expireGrant({ grantId: state.grantId });
      });
  };

  const today = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * MINUTE);
  const engineers = ["demo-alice", "demo-bob", "history-dana", "demo-oscar", "history-finn"];
  for (let day = 0; day <= days; day += 1) {
    const midnight = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()) + day * DAY);
    const weekend = [0, 6].includes(midnight.getUTCDay());
    const count = weekend ? random.int(0, 1) : random.int(3, 6);
    // Now and then someone asks for what their groups do not allow: refused and audited, which
    // is what the Security area's "denied attempts" counts.
    if (!weekend && random.next() < 0.2) {
      const at = new Date(midnight.getTime() + random.int(9, 16) * HOUR + random.int(0, 59) * MINUTE);
      const who = random.pick(["demo-alice", "demo-bob", "history-dana"]);
      if (at > start && at < today(3 * 60))
        step(at, "refused attempt", async () => {
          const context = contextOf(who);
          const actor = await signIn(who, context);
          const refused = await requestAccess({
            actor,
            context,
            input: {
              policyId: policyId("prod-postgres", "admin"),
              permissions: ["admin"],
              durationMinutes: 15,
              justification: "Need to kill a long-running vacuum on the primary",
              ticket: "INC-4290",
            },
          }).then(
            () => null,
            (error: unknown) => error,
          );
          if (!(refused instanceof AppError && refused.code === "FORBIDDEN"))
            throw new Error(`expected the admin policy to refuse ${who}`, { cause: refused });
        });
    }
    for (let index = 0; index < count; index += 1) {
      const hour = random.next() < 0.06 ? random.int(1, 4) : random.int(8, 17);
      const at = new Date(midnight.getTime() + hour * HOUR + random.int(0, 59) * MINUTE);
      if (at < start || at > today(3 * 60)) continue;
      const requester = random.pick(engineers);
      const roll = random.next();
      const outcome: TOutcome =
        roll < 0.55
          ? "expire"
          : roll < 0.67
            ? "end-early"
            : roll < 0.72
              ? "revoke"
              : roll < 0.85
                ? "deny"
                : roll < 0.94
                  ? "cancel"
                  : "lapse";
      /** Database approvers other than the requester (Bob approves in the browser, not here). */
      const dbApprovers = ["history-dana", "history-erin"].filter((sub) => sub !== requester);
      const kind = random.pick(["prod-read", "prod-write", "staging", "k8s", "prod-read"] as const);
      const away = random.next() < 0.1;
      const base = { requester, outcome, away };
      if (kind === "prod-read") {
        const autoApproved = person(requester).groups.includes("oncall");
        plan(
          at,
          {
            ...base,
            ...(autoApproved && ["deny", "lapse", "cancel"].includes(outcome) ? { outcome: "expire" as const } : {}),
            resource: "prod-postgres",
            policy: "read",
            permissions: ["read"],
            minutes: random.pick([30, 60, 60, 120]),
            justification: random.pick(REASONS["prod-postgres"] ?? []),
            approvers: autoApproved ? [] : dbApprovers,
          },
          false,
        );
      } else if (kind === "prod-write") {
        plan(
          at,
          {
            ...base,
            resource: "prod-postgres",
            policy: "write",
            permissions: ["write"],
            ticket: `CHG-${random.int(1000, 4999)}`,
            minutes: random.pick([30, 60]),
            justification: random.pick(REASONS["prod-postgres"] ?? []),
            approvers: dbApprovers,
          },
          false,
        );
      } else if (kind === "staging") {
        plan(
          at,
          {
            ...base,
            resource: "staging-postgres",
            policy: "read-write",
            permissions: random.pick([["read"], ["read", "write"]]),
            minutes: random.pick([60, 120, 240]),
            justification: random.pick(REASONS["staging-postgres"] ?? []),
            approvers: dbApprovers,
          },
          false,
        );
      } else {
        plan(
          at,
          {
            ...base,
            resource: "k8s-prod",
            policy: "view-exec",
            permissions: random.pick([["view"], ["view", "exec"]]),
            minutes: random.pick([30, 60, 90]),
            justification: random.pick(REASONS["k8s-prod"] ?? []),
            ticket: `${random.pick(["INC", "CHG"])}-${random.int(1000, 4999)}`,
            approvers: ["history-erin"].filter((sub) => sub !== requester),
          },
          false,
        );
      }
    }
  }

  // This morning: a grant still running, and requests that wait for the demo's approvers (Bob
  // and Carol approve database and cluster requests), so the inbox has work on first sign-in.
  plan(
    today(75),
    {
      requester: "demo-alice",
      resource: "staging-postgres",
      policy: "read-write",
      permissions: ["read", "write"],
      minutes: 240,
      justification: "Load fixtures for the billing redesign demo",
      approvers: ["history-dana"],
      outcome: "expire",
    },
    false,
  );
  plan(
    today(40),
    {
      requester: "demo-alice",
      resource: "prod-postgres",
      policy: "read",
      permissions: ["read"],
      minutes: 60,
      justification: "Check the invoice totals a customer disputes (SUP-902)",
      approvers: ["history-dana"],
      outcome: "expire",
    },
    true,
  );
  plan(
    today(25),
    {
      requester: "demo-oscar",
      resource: "k8s-prod",
      policy: "view-exec",
      permissions: ["view", "exec"],
      minutes: 60,
      justification: "Restart the stuck payment worker pods",
      ticket: "INC-4312",
      approvers: ["history-erin"],
      outcome: "expire",
    },
    true,
  );

  // The incident of the month: Finn takes break-glass at night; Sam signs it off next morning.
  const incident = new Date(
    Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()) + 19 * DAY + 2 * HOUR + 17 * MINUTE,
  );
  if (incident < now) {
    const state: { grantId?: string } = {};
    step(incident, "break-glass", async () => {
      const context = contextOf("history-finn");
      const actor = await signIn("history-finn", context);
      const passkey = await passkeyOf("history-finn", actor);
      const input = { policyId: policyId("prod-postgres", "admin"), permissions: ["admin"] };
      const challenge = await startBreakGlass({ actor, input, context });
      const result = await takeBreakGlass({
        actor,
        context,
        input: {
          ...input,
          durationMinutes: 30,
          justification: "INC-4307: checkout is down, the orders table is locked by a runaway migration",
          ticket: "INC-4307",
          assertion: passkey.assert(challenge),
        },
      });
      state.grantId = result.grantId;
    });
    step(new Date(incident.getTime() + 30 * MINUTE + 1_000), "break-glass expiry", async () => {
      await expireGrant({ grantId: state.grantId as string });
    });
    step(new Date(incident.getTime() + 7 * HOUR), "break-glass review", async () => {
      const context = contextOf("demo-sam");
      const actor = await signIn("demo-sam", context);
      await signOffBreakGlass({
        actor,
        context,
        input: {
          grantId: state.grantId as string,
          comment: "Checked the session log with Finn: the lock was killed and nothing else was touched.",
        },
      });
    });
  }

  // An access review of who may request production PostgreSQL (ADR 0058), started two days ago
  // by Sam; Ivy has certified the people she knows, Carol has the rest to do.
  const reviewState: { reviewId?: string } = {};
  step(new Date(now.getTime() - 2 * DAY), "access review start", async () => {
    const context = contextOf("demo-sam");
    // The reviewers are known to the portal from a sign-in.
    await signIn("demo-carol", contextOf("demo-carol"));
    await signIn("history-ivy", contextOf("history-ivy"));
    const actor = await signIn("demo-sam", context);
    const started = await startReview({
      actor,
      context,
      input: {
        name: "Quarterly: who may request production PostgreSQL",
        policyIds: ["read", "write", "admin"].map((name) => policyId("prod-postgres", name)),
        reviewerEmails: [person("demo-carol").email, person("history-ivy").email],
        deadline: new Date(now.getTime() + 7 * DAY).toISOString(),
        usageDays: 90,
      },
    });
    reviewState.reviewId = started.reviewId;
  });
  step(new Date(now.getTime() - DAY), "access review verdicts", async () => {
    const reviewId = reviewState.reviewId as string;
    const context = contextOf("history-ivy");
    const actor = await signIn("history-ivy", context);
    const passkey = await passkeyOf("history-ivy", actor);
    const items = (
      await db.accessReviewItem.findMany({ where: { reviewId, grantsInPeriod: { gt: 0 } }, orderBy: { id: "asc" } })
    ).map((item) => ({ itemId: item.id, verdict: "CERTIFY" as const, reason: "Used it this quarter" }));
    if (items.length === 0) return;
    const challenge = await startReviewDecision({ actor, context, input: { reviewId, items } });
    await decideReview({ actor, context, input: { reviewId, items, assertion: passkey.assert(challenge) } });
  });

  // Requests nobody decided lapse at their deadline, swept as the worker would each hour.
  for (let hour = 1; hour * HOUR < days * DAY; hour += 1) {
    const at = new Date(start.getTime() + hour * HOUR);
    if (at < now)
      step(at, "sweep stale requests", async () => {
        await expireStaleRequests();
      });
  }

  steps.sort((a, b) => a.at.getTime() - b.at.getTime() || a.order - b.order);
  for (const { at, label, run } of steps) {
    try {
      await atTime(at, run);
    } catch (error) {
      throw new Error(`demo history: "${label}" at ${at.toISOString()} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  // The cast read their old notices; e-mail copies of a month ago are not sent on first run.
  await db.notification.updateMany({
    where: { createdAt: { lt: new Date(now.getTime() - 3 * HOUR) }, readAt: null },
    data: { readAt: now },
  });
  await db.notification.updateMany({
    where: { createdAt: { lt: new Date(now.getTime() - 3 * HOUR) }, emailSentAt: null, channels: { has: "email" } },
    data: { emailSentAt: now },
  });
  await db.notification.updateMany({
    where: { createdAt: { lt: new Date(now.getTime() - 3 * HOUR) }, chatSentAt: null, channels: { has: "chat" } },
    data: { chatSentAt: now },
  });

  return {
    seeded: true,
    requests: await db.accessRequest.count(),
    grants: await db.grant.count(),
    auditEvents: await db.auditEvent.count(),
  };
};
