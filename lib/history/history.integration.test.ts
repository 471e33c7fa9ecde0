/**
 * The Security area's grant history, export and charts against real PostgreSQL: every
 * filter, keyset pages, full-text search, exports that match the filtered view (CSV safe
 * from formula injection), and refusals (audited) for everyone but security and admins.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActor, createHistoricGrant, createResourceWithPolicy, createUser, uniqueId } from "../testing/fixtures";
import { exportGrantHistory, getHistoryCharts, listGrantHistory, listHolders } from "./index";
import { queryGrantHistory } from "./grant-history";

after(disconnectDb);

const isCode = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;
const collect = async (lines: AsyncGenerator<string>) => {
  let text = "";
  for await (const chunk of lines) text += chunk;
  return text;
};
/** A minimal RFC 4180 reader for the test's own assertions. */
const parseCsvStrict = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r") continue;
    else if (c === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  return rows;
};

describe("grant history", () => {
  let security: TUserActor;
  let admin: TUserActor;
  let engineer: TUserActor;
  let approverActor: TUserActor;
  let resourceKey = "";
  let stagingKey = "";
  let subjectTag = "";
  const now = new Date();
  const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);

  before(async () => {
    security = await createActor({ groups: ["security-reviewers"] });
    admin = await createActor({ groups: ["portal-admins"] });
    engineer = await createActor({ groups: ["engineers"] });
    approverActor = await createActor({ groups: ["db-approvers"] });
    approverActor.roles = ["approver"];
    subjectTag = uniqueId("hist");
    const alice = await createUser({ name: `Alice ${subjectTag}` });
    const bob = await createUser({ name: `Bob ${subjectTag}` });
    const carol = await createUser({ name: `Carol ${subjectTag}` });
    const prod = await createResourceWithPolicy({ environment: `prod-${subjectTag}` });
    const staging = await createResourceWithPolicy({ environment: `staging-${subjectTag}` });
    resourceKey = prod.resource.key;
    stagingKey = staging.resource.key;
    const base = { resourceId: prod.resource.id, policyId: prod.policy.id };
    // 30 routine expired grants for Alice, approved by Carol: enough for several pages.
    for (let index = 0; index < 30; index += 1) {
      await createHistoricGrant({
        ...base,
        subjectId: alice.id,
        approverIds: [carol.id],
        startsAt: hoursAgo(200 - index),
        minutes: 30,
        justification: `Routine rotation number ${index}`,
      });
    }
    await createHistoricGrant({
      ...base,
      subjectId: bob.id,
      approverIds: [carol.id],
      startsAt: hoursAgo(1),
      minutes: 120,
      justification: "Investigate the replication lag on the primary",
      ticket: "INC-4211",
      permissions: ["write"],
    });
    await createHistoricGrant({
      ...base,
      subjectId: bob.id,
      startsAt: hoursAgo(3),
      minutes: 60,
      breakGlass: true,
      justification: '=HYPERLINK("http://evil") outage, database down',
      ticket: "+INC-1",
      revokedAt: hoursAgo(2.5),
      revokedById: carol.id,
      revokeReason: "done early",
    });
    await createHistoricGrant({
      resourceId: staging.resource.id,
      policyId: staging.policy.id,
      subjectId: bob.id,
      startsAt: new Date(now.getTime() + 3_600_000),
      minutes: 60,
      justification: 'Scheduled load test, comma, "quoted"\nsecond line',
    });
  });

  const list = (input: Record<string, string>, actor = security) =>
    listGrantHistory({ actor, input: { person: subjectTag, ...input }, now });

  it("lists grants newest first with who, what, how long, why, approvers and how it ended", async () => {
    const page = await list({ resource: resourceKey, person: "Bob" + " " + subjectTag });
    assert.equal(page.rows.length, 2);
    assert.ok(page.rows[0]!.id > page.rows[1]!.id, "newest (by creation) first");
    const active = page.rows.find((row) => row.status === "active");
    const revoked = page.rows.find((row) => row.status !== "active");
    assert.equal(active?.status, "active");
    assert.equal(active?.ticket, "INC-4211");
    assert.deepEqual(active?.approvers, [`Carol ${subjectTag}`]);
    assert.equal(active?.requestedMinutes, 120);
    assert.equal(revoked?.status, "revoked");
    assert.equal(revoked?.actualMinutes, 30);
    assert.equal(revoked?.ending, `revoked by Carol ${subjectTag}: done early`);
    assert.equal(revoked?.breakGlass, true);
  });

  it("filters by person, resource, environment, status, date range, break-glass and approver", async () => {
    const count = async (input: Record<string, string>) => {
      let total = 0;
      let after: string | undefined;
      do {
        const page = await list({ ...input, ...(after ? { after } : {}) });
        total += page.rows.length;
        after = page.next ?? undefined;
      } while (after);
      return total;
    };
    assert.equal(await count({}), 33);
    assert.equal(await count({ person: `Alice ${subjectTag}` }), 30);
    assert.equal(await count({ resource: stagingKey }), 1);
    assert.equal(await count({ environment: `prod-${subjectTag}` }), 32);
    assert.equal(await count({ status: "active" }), 1);
    assert.equal(await count({ status: "revoked" }), 1);
    assert.equal(await count({ status: "scheduled" }), 1);
    assert.equal(await count({ status: "expired" }), 30);
    assert.equal(await count({ breakGlass: "yes" }), 1);
    assert.equal(await count({ breakGlass: "no" }), 32);
    assert.equal(await count({ approver: `Carol ${subjectTag}` }), 31);
    // In force at some moment of the last 2 hours: the active one (and not the one revoked 2.5 h ago).
    assert.equal(await count({ from: hoursAgo(2).toISOString(), to: now.toISOString() }), 1);
    assert.equal(await count({ from: hoursAgo(4).toISOString(), to: now.toISOString() }), 2);
  });

  it("searches justifications in full text (stemmed words, phrases, exclusions)", async () => {
    const search = async (q: string) => (await list({ q })).rows.map((row) => row.justification);
    assert.deepEqual(await search("replicating lags"), ["Investigate the replication lag on the primary"]);
    assert.equal((await list({ q: "rotation" })).rows.length, 30);
    assert.deepEqual(await search('"database down" -replication'), ['=HYPERLINK("http://evil") outage, database down']);
  });

  it("pages by keyset without gaps or repeats", async () => {
    const first = await queryGrantHistory({ filter: { person: subjectTag } as never, limit: 10, now });
    const seen = new Set(first.rows.map((row) => row.id));
    let next = first.next;
    while (next) {
      const page = await queryGrantHistory({ filter: { person: subjectTag, after: next } as never, limit: 10, now });
      for (const row of page.rows) {
        assert.ok(!seen.has(row.id), "no repeats");
        seen.add(row.id);
      }
      next = page.next;
    }
    assert.equal(seen.size, 33);
  });

  it("refuses a bad filter with 400 naming the field", async () => {
    await assert.rejects(
      list({ status: "lost" }),
      (error: unknown) => isCode("INVALID_INPUT")(error) && "status" in (error as AppError).fields,
    );
    await assert.rejects(
      list({ from: "last tuesday" }),
      (error: unknown) => isCode("INVALID_INPUT")(error) && "from" in (error as AppError).fields,
    );
    await assert.rejects(list({ after: "'; drop table" }), isCode("INVALID_INPUT"));
  });

  it("exports the filtered view as CSV, formula-safe, and as JSON Lines, and audits the export", async () => {
    const input = { person: `Bob ${subjectTag}` };
    const view = await list(input);
    const csv = await exportGrantHistory({
      actor: security,
      input: { ...input, person: `Bob ${subjectTag}` },
      format: "csv",
      now,
    });
    const rows = parseCsvStrict(await collect(csv.lines));
    const [header, ...body] = rows;
    assert.ok(header);
    assert.deepEqual(
      body.map((row) => row[header.indexOf("grant_id")]),
      view.rows.map((row) => row.id),
      "same grants, same order",
    );
    const revoked = body.find((row) => row[header.indexOf("status")] === "revoked");
    assert.equal(revoked?.[header.indexOf("justification")], `'=HYPERLINK("http://evil") outage, database down`);
    assert.equal(revoked?.[header.indexOf("ticket")], "'+INC-1");
    const scheduled = body.find((row) => row[header.indexOf("status")] === "scheduled");
    assert.equal(scheduled?.[header.indexOf("justification")], 'Scheduled load test, comma, "quoted"\nsecond line');

    const jsonl = await exportGrantHistory({ actor: admin, input: { person: subjectTag }, format: "jsonl", now });
    const lines = (await collect(jsonl.lines))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { grant_id: string; justification: string });
    assert.equal(lines.length, 33, "every page of the filtered view, not just the first");
    assert.ok(
      lines.some((line) => line.justification.startsWith("=HYPERLINK")),
      "JSON Lines keep the text as it is",
    );

    const exports = await db.auditEvent.findMany({
      where: { action: "history.export", actorId: { in: [security.userId, admin.userId] } },
    });
    assert.equal(exports.length, 2);
    assert.deepEqual(exports.map((event) => (event.details as { format: string }).format).sort(), ["csv", "jsonl"]);
  });

  it("answers who held access to a resource in a range, and what a person held", async () => {
    const holders = await listHolders({ actor: security, by: "resource", id: resourceKey, from: hoursAgo(4), to: now });
    assert.deepEqual(
      holders.map((holder) => holder.label),
      [`Bob ${subjectTag}`],
    );
    assert.equal(holders[0]?.grants, 2);
    assert.equal(
      holders[0]?.minutes,
      60 + 30,
      "minutes inside the range: 60 of the active grant, 30 of the revoked one",
    );
  });

  it("charts grants per day, decisions, denials, break-glass and top requesters", async () => {
    const charts = await getHistoryCharts({ actor: security, days: 30, now });
    assert.equal(charts.days.length, 30);
    const mine = charts.grantsByResource.find((series) => series.name === resourceKey);
    assert.ok(mine);
    assert.equal(
      mine.values.reduce((a, b) => a + b, 0),
      32,
    );
    assert.ok(charts.breakGlass.reduce((a, b) => a + b, 0) >= 1);
    assert.ok(
      charts.topRequesters.some((requester) => requester.name === `Alice ${subjectTag}` && requester.count === 30),
    );
  });

  it("is refused to engineers and approvers, and each refusal is audited", async () => {
    for (const actor of [engineer, approverActor]) {
      await assert.rejects(list({}, actor), isCode("FORBIDDEN"));
      await assert.rejects(exportGrantHistory({ actor, input: {}, format: "csv" }), isCode("FORBIDDEN"));
      await assert.rejects(getHistoryCharts({ actor }), isCode("FORBIDDEN"));
      await assert.rejects(
        listHolders({ actor, by: "resource", id: resourceKey, from: hoursAgo(4), to: now }),
        isCode("FORBIDDEN"),
      );
      const denials = await db.auditEvent.count({ where: { action: "authz.denied", actorId: actor.userId } });
      assert.equal(denials, 4);
    }
    assert.equal(
      await db.auditEvent.count({
        where: { action: "history.export", actorId: { in: [engineer.userId, approverActor.userId] } },
      }),
      0,
    );
  });
});
