/**
 * Drill 1: PostgreSQL stops for ~10 s while clients use the portal. While it is down every
 * answer must be a 503 with a clear message within a bound (never a 500, never a hang); after
 * it is back everything recovers without restarting the app, the API or the worker; every
 * request acknowledged to a client exists in the database with its audit event.
 */
import { sleep } from "../support";
import { callAction, formData, getPage, mintSession, timedFetch, type TAnswer } from "./http";
import type { TDrillContext, TDrillResult } from "./index";
import { API_URL, APP_URL } from "./stack";

type TKind = "page" | "health" | "action" | "api-check";
type TSample = {
  kind: TKind;
  at: number;
  status: number;
  ms: number;
  clear: boolean;
  retryAfter: boolean;
  error?: string;
  snippet?: string;
};

const DOWN_MS = Number(process.env.DRILL_PG_DOWN_MS ?? 10_000);
/** A client must get its answer within this while the database is down. */
const ANSWER_BOUND_MS = 5_000;
/** After the database is back, every kind of call must succeed again within this. */
const RECOVERY_BOUND_MS = 15_000;

const CLEAR =
  /cannot reach its database|database is unavailable|temporarily unavailable|not in step with the database/i;

export const postgresDrill = async ({ stack, say }: TDrillContext): Promise<TDrillResult> => {
  const { db } = await import("../../lib/db");
  const { DEMO_USERS } = await import("../../lib/dev-idp/demo-users");
  const { createServiceClient } = await import("../../lib/services/clients");
  const { createActor } = await import("../../lib/testing/fixtures");

  const alice = DEMO_USERS.find((user) => user.email === "alice@example.com");
  if (!alice) throw new Error("no demo user alice");
  const session = await mintSession(alice);
  const policy = await db.accessPolicy.findFirstOrThrow({
    where: { name: "read", resource: { key: "prod-postgres" } },
    select: { id: true },
  });
  const admin = await createActor({ groups: ["portal-admins"] });
  const client = await createServiceClient({
    actor: admin,
    input: { name: `drill-${Date.now()}`, scopes: ["access:check"] },
  });
  const tokenAnswer = await timedFetch(`${API_URL}/api/v1/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials&scope=access%3Acheck",
  });
  if (tokenAnswer.status !== 200) throw new Error(`token: ${tokenAnswer.status} ${tokenAnswer.body}`);
  const accessToken = (JSON.parse(tokenAnswer.body) as { access_token: string }).access_token;

  const samples: TSample[] = [];
  const acknowledged: string[] = [];
  const uncancelled: string[] = [];
  let running = true;
  const record = (kind: TKind, answer: TAnswer, ok: boolean): void => {
    // An answer that is a 200 but not what was asked for (an action refusing, a page that is
    // not the page) is recorded as status 299 so it never counts as a success.
    samples.push({
      kind,
      at: Date.now() - answer.ms,
      status: ok ? 200 : answer.status === 200 ? 299 : answer.status,
      ms: answer.ms,
      clear: CLEAR.test(answer.body),
      retryAfter: answer.headers.has("retry-after"),
      ...(answer.error ? { error: answer.error } : {}),
      ...(ok ? {} : { snippet: answer.body.slice(0, 160) }),
    });
  };
  const loop = async (body: () => Promise<void>): Promise<void> => {
    while (running) {
      await body();
      await sleep(100);
    }
  };
  const loops = [
    loop(async () => {
      const answer = await getPage(session.cookie, "/");
      record("page", answer, answer.status === 200 && answer.body.includes("signed-in-as"));
    }),
    loop(async () => {
      const answer = await timedFetch(`${APP_URL}/api/health`);
      record("health", answer, answer.status === 200);
    }),
    loop(async () => {
      const answer = await timedFetch(`${API_URL}/api/v1/access/check`, {
        method: "POST",
        headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({ subject: alice.email, resource: "prod-postgres", permission: "read" }),
      });
      record("api-check", answer, answer.status === 200 && answer.body.includes('"allowed"'));
    }),
    // Request, then cancel (one pending request per permission): every redirect to
    // /requests/<id> is an acknowledgement that must survive. A cancel lost to the outage is
    // retried before the next request, or every later request is refused as a second one.
    loop(async () => {
      for (const id of [...uncancelled]) {
        const retried = await callAction(session.cookie, "app/(portal)/requests/[id]/actions.ts#cancelRequestAction", [
          id,
        ]);
        const ok = retried.body.includes('"ok":true');
        // A server action call like any other: counted with its answer.
        record("action", retried, ok);
        if (ok) uncancelled.splice(uncancelled.indexOf(id), 1);
        else return;
      }
      const answer = await callAction(
        session.cookie,
        "app/(portal)/request/[resourceKey]/actions.ts#requestAccessAction",
        [
          null,
          formData({
            policyId: policy.id,
            permissions: ["read"],
            durationMinutes: "30",
            justification: "fault drill: database restart under load",
            tzOffsetMinutes: "0",
          }),
        ],
      );
      // x-action-redirect: "/requests/<id>;push"
      const id = /^\/requests\/([^/?;]+)/.exec(answer.redirect ?? "")?.[1];
      record("action", answer, id !== undefined);
      if (!id) return;
      acknowledged.push(id);
      const cancelled = await callAction(session.cookie, "app/(portal)/requests/[id]/actions.ts#cancelRequestAction", [
        id,
      ]);
      if (!cancelled.body.includes('"ok":true')) uncancelled.push(id);
    }),
  ];

  say("load running; warm-up 8 s");
  await sleep(8_000);
  const stopAt = Date.now();
  await stack.postgres.stop();
  const stoppedAt = Date.now();
  say(`PostgreSQL stopped (pg_ctl stop -m fast, ${stoppedAt - stopAt} ms); down for ${DOWN_MS / 1000} s`);
  await sleep(DOWN_MS);
  const startAt = Date.now();
  await stack.postgres.start();
  const startedAt = Date.now();
  say(`PostgreSQL started (${startedAt - startAt} ms); observing recovery for ${RECOVERY_BOUND_MS / 1000 + 5} s`);
  await sleep(RECOVERY_BOUND_MS + 5_000);
  running = false;
  await Promise.all(loops);

  // Still the same processes: nothing was restarted.
  const restarted = [stack.app.child.exitCode !== null, stack.worker().child.exitCode !== null].some(Boolean);

  // The worker too recovered without a restart: it relays every outbox row written (request
  // notices) to BullMQ and the notify jobs run.
  let undispatched = -1;
  const outboxDeadline = Date.now() + 20_000;
  while (Date.now() < outboxDeadline) {
    undispatched = await db.outboxJob.count({ where: { dispatchedAt: null } });
    if (undispatched === 0) break;
    await sleep(500);
  }
  const workerFailures = [...stack.worker().failures.values()].reduce((sum, n) => sum + n, 0);

  // Every check the services API answered (allowed, denied or 503) is in its aggregated audit
  // events, flushed once per window; a flush that met the outage keeps its counts for the next.
  const checksAnswered = samples.filter((sample) => sample.kind === "api-check" && sample.status !== 0).length;
  let checksAudited = 0;
  const auditDeadline = Date.now() + 30_000;
  while (Date.now() < auditDeadline) {
    const events = await db.auditEvent.findMany({
      where: { action: "access.check.aggregate", actorId: client.clientId },
      select: { details: true },
    });
    checksAudited = events.reduce((sum, event) => sum + Number((event.details as { count?: number }).count ?? 0), 0);
    if (checksAudited >= checksAnswered) break;
    await sleep(1_000);
  }

  // Pending leftovers (a cancel lost to the outage) are harmless; what matters is presence.
  const rows = await db.accessRequest.findMany({ where: { id: { in: acknowledged } }, select: { id: true } });
  const audits = await db.auditEvent.findMany({
    where: { action: "request.create", targetId: { in: acknowledged } },
    select: { targetId: true },
  });
  const lostRows = acknowledged.length - rows.length;
  const lostAudit = acknowledged.length - new Set(audits.map((event) => event.targetId)).size;

  const kinds: TKind[] = ["page", "health", "action", "api-check"];
  const violations: string[] = [];
  const table: Array<Record<string, string | number>> = [];
  let transition500s = 0;
  for (const kind of kinds) {
    const mine = samples.filter((sample) => sample.kind === kind);
    // Answered before the stop began; in flight across it (their query may be cut off mid-way:
    // a known limit, ADR 0021, reported apart); sent while it was down.
    // (pg_ctl takes 100-200 ms to stop: what was sent meanwhile counts as in flight too).
    const before = mine.filter((sample) => sample.at + sample.ms < stopAt);
    const inFlight = mine.filter((sample) => sample.at < stoppedAt && sample.at + sample.ms >= stopAt);
    // Down: sent after the stop completed and before the start finished.
    const down = mine.filter((sample) => sample.at >= stoppedAt && sample.at < startedAt);
    const after = mine.filter((sample) => sample.at >= startedAt);
    const firstOk = after.find((sample) => sample.status === 200);
    const lateFailures = after.filter((sample) => sample.status !== 200 && sample.at > startedAt + RECOVERY_BOUND_MS);
    const count = (list: TSample[], predicate: (sample: TSample) => boolean) => list.filter(predicate).length;
    const downStatuses = new Map<string, number>();
    for (const sample of down)
      downStatuses.set(String(sample.status), (downStatuses.get(String(sample.status)) ?? 0) + 1);
    const row = {
      kind,
      "before ok/all": `${count(before, (s) => s.status === 200)}/${before.length}`,
      "in flight at stop": inFlight.map((s) => s.status).join(" ") || "-",
      "down: answers": [...downStatuses].map(([status, n]) => `${status}×${n}`).join(" ") || "-",
      "down: 503 clear": count(down, (s) => s.status === 503 && s.clear),
      "down: 503 Retry-After": count(down, (s) => s.status === 503 && s.retryAfter),
      "down: max ms": Math.max(0, ...down.map((s) => s.ms)),
      "recovered after ms": firstOk ? firstOk.at - startedAt : -1,
      "after ok/all": `${count(after, (s) => s.status === 200)}/${after.length}`,
    };
    table.push(row);
    transition500s += inFlight.filter((s) => s.status >= 500 && s.status !== 503).length;
    if (before.some((s) => s.status !== 200)) {
      const first = before.find((s) => s.status !== 200);
      violations.push(
        `${kind}: ${count(before, (s) => s.status !== 200)} failures before the outage (first: ${first?.status} ${first?.error ?? ""} ${JSON.stringify(first?.snippet ?? "")})`,
      );
    }
    // The services API answers from its replica for up to 5 s of staleness (by design), so a
    // 200 while the database is down is right there; a page, action or health check cannot.
    const wrong = down.filter((s) => !(s.status === 503 || (kind === "api-check" && s.status === 200)));
    if (wrong.length > 0)
      violations.push(
        `${kind}: ${wrong.length} answers while down were neither 503 nor allowed (${[...new Set(wrong.map((s) => s.status))].join(", ")})`,
      );
    const unclear = down.filter((s) => s.status === 503 && !s.clear);
    if (unclear.length > 0) violations.push(`${kind}: ${unclear.length} 503s without a clear message`);
    const slow = down.filter((s) => s.ms > ANSWER_BOUND_MS);
    if (slow.length > 0)
      violations.push(
        `${kind}: ${slow.length} answers took over ${ANSWER_BOUND_MS} ms while down (max ${Math.max(...slow.map((s) => s.ms))} ms)`,
      );
    if (!firstOk) violations.push(`${kind}: never recovered`);
    if (lateFailures.length > 0)
      violations.push(
        `${kind}: ${lateFailures.length} failures more than ${RECOVERY_BOUND_MS / 1000} s after the restart`,
      );
  }
  if (restarted) violations.push("a process exited during the drill");
  if (checksAudited < checksAnswered)
    violations.push(
      `services API: ${checksAnswered - checksAudited} answered checks missing from the aggregated audit`,
    );
  if (checksAudited > checksAnswered)
    violations.push(`services API: ${checksAudited - checksAnswered} more checks audited than answered`);
  if (undispatched !== 0) violations.push(`worker: ${undispatched} outbox rows still not relayed 20 s after the drill`);
  if (lostRows > 0) violations.push(`${lostRows} acknowledged requests missing from the database`);
  if (lostAudit > 0) violations.push(`${lostAudit} acknowledged requests without their request.create audit event`);
  if (acknowledged.length === 0) violations.push("no request was acknowledged at all");

  return {
    name: "postgres",
    table,
    numbers: {
      downMs: startedAt - stoppedAt,
      acknowledged: acknowledged.length,
      lostRows,
      lostAudit,
      processesRestarted: restarted ? 1 : 0,
      inFlightAtStop500s: transition500s,
      outboxNotRelayed: undispatched,
      apiChecksAnswered: checksAnswered,
      apiChecksAudited: checksAudited,
      workerJobFailuresRetried: workerFailures,
    },
    violations,
  };
};
