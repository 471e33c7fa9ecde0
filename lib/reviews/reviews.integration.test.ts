/**
 * Access reviews (ADR 0058) against real PostgreSQL, with software authenticators signing real
 * WebAuthn assertions. Each rule is attacked: only its reviewers decide, never their own
 * eligibility; a confirmation counts for exactly the set it was issued for, once; a closed
 * review takes no verdict; an approver reviews only the policies they approve.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rolesForGroups, type TUserActor } from "../authz";
import { db, disconnectDb } from "../db";
import { createActor, createActorWithPasskey, createHistoricGrant, uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import type { TSoftwareAuthenticator } from "../testing/software-authenticator";
import { closeReview, REMIND_BEFORE_MS, sweepReviews } from "./close-review";
import { decideReview, startReviewDecision } from "./decide-review";
import { exportReviewCsv } from "./export-review";
import { getReview, hasOpenReviewToDo, listReviews } from "./read-reviews";
import type { TReviewDecisionItem } from "./schemas";
import { startReview } from "./start-review";

after(disconnectDb);

type TPerson = { actor: TUserActor & { email: string | null }; authenticator: TSoftwareAuthenticator };
const HOUR = 3_600_000;
const inHours = (count: number) => new Date(Date.now() + count * HOUR).toISOString();

const person = async (groups: string[]): Promise<TPerson> => {
  const created = await createActorWithPasskey({ groups });
  created.actor.roles = rolesForGroups(groups);
  return created;
};

type TVerdictInput = { itemId: string; verdict: "CERTIFY" | "REMOVE"; reason?: string };

const confirm = async (who: TPerson, reviewId: string, items: TVerdictInput[]) => {
  const options = await startReviewDecision({ actor: who.actor, input: { reviewId, items } });
  return who.authenticator.assert(options);
};

const decide = async (who: TPerson, reviewId: string, items: TVerdictInput[]) =>
  decideReview({ actor: who.actor, input: { reviewId, items, assertion: await confirm(who, reviewId, items) } });

const itemOf = async (reviewId: string, subjectId: string, policyId: string) =>
  db.accessReviewItem.findFirstOrThrow({ where: { reviewId, subjectId, policyId } });

const auditCount = (action: string, targetId: string) => db.auditEvent.count({ where: { action, targetId } });

describe("access reviews", () => {
  const engineers = uniqueId("eng");
  const contractors = uniqueId("ctr");
  const dbApprovers = uniqueId("dba");
  let readPolicy = "";
  let writePolicy = "";
  let otherPolicy = "";
  let security: TPerson;
  let owner: TPerson;
  let reviewer: TPerson;
  let secondReviewer: TPerson;
  let alice: TUserActor & { email: string };
  let carl: TUserActor & { email: string };
  let gone: TUserActor & { email: string };

  before(async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("orders"), name: "Orders DB", environment: "production", permissions: ["read", "write"] },
    });
    const base = {
      resourceId: resource.id,
      approverGroups: [dbApprovers],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
      autoApproveGroups: [],
      autoApprovePermissions: [],
    };
    readPolicy = (
      await db.accessPolicy.create({
        data: { ...base, name: "read", permissions: ["read"], requesterGroups: [engineers, contractors] },
      })
    ).id;
    writePolicy = (
      await db.accessPolicy.create({
        data: { ...base, name: "write", permissions: ["write"], requesterGroups: [engineers] },
      })
    ).id;
    const other = await db.resource.create({
      data: { key: uniqueId("billing"), name: "Billing", environment: "production", permissions: ["read"] },
    });
    otherPolicy = (
      await db.accessPolicy.create({
        data: {
          ...base,
          resourceId: other.id,
          name: "read",
          permissions: ["read"],
          requesterGroups: [engineers],
          approverGroups: [uniqueId("billing-approvers")],
        },
      })
    ).id;
    security = await person(["security-reviewers"]);
    owner = await person([dbApprovers]);
    reviewer = await person([dbApprovers]);
    secondReviewer = await person([uniqueId("auditors")]);
    alice = await createActor({ groups: [engineers] });
    carl = await createActor({ groups: [contractors] });
    gone = await createActor({ groups: [engineers] });
    await db.user.update({ where: { id: gone.userId }, data: { deactivatedAt: new Date() } });
    // Alice used read twice in the period, once before it.
    for (const daysAgo of [2, 10, 200])
      await createHistoricGrant({
        subjectId: alice.userId,
        resourceId: resource.id,
        policyId: readPolicy,
        startsAt: new Date(Date.now() - daysAgo * 24 * HOUR),
        minutes: 30,
      });
  });

  const start = (
    who: TPerson,
    overrides: Partial<{ policyIds: string[]; reviewerEmails: string[]; deadline: string }> = {},
  ) =>
    startReview({
      actor: who.actor,
      input: {
        name: "Quarterly review of the orders database",
        policyIds: [readPolicy, writePolicy],
        reviewerEmails: [reviewer.actor.email ?? "", secondReviewer.actor.email ?? ""],
        deadline: inHours(72),
        usageDays: 90,
        ...overrides,
      },
    });

  it("takes who is eligible now, with their use in the period, and tells the reviewers", async () => {
    const { reviewId, items } = await start(security);
    const rows = await db.accessReviewItem.findMany({ where: { reviewId } });
    const of = (subjectId: string) => rows.filter((row) => row.subjectId === subjectId);
    assert.equal(items, rows.length);
    assert.equal(of(alice.userId).length, 2, "read and write");
    assert.deepEqual(
      of(carl.userId).map((row) => row.policyId),
      [readPolicy],
      "contractors may only read",
    );
    assert.equal(of(gone.userId).length, 0, "a deactivated person is eligible for nothing");
    const aliceRead = await itemOf(reviewId, alice.userId, readPolicy);
    assert.equal(aliceRead.grantsInPeriod, 2, "the grant of 200 days ago is outside the 90-day period");
    assert.ok(aliceRead.lastUsedAt && Date.now() - aliceRead.lastUsedAt.getTime() < 3 * 24 * HOUR);
    assert.equal((await itemOf(reviewId, alice.userId, writePolicy)).grantsInPeriod, 0);
    assert.deepEqual(aliceRead.groups, [engineers]);
    assert.equal(aliceRead.groupsSource, "sign-in");
    assert.equal(await auditCount("review.start", reviewId), 1);
    const notices = await db.notification.findMany({
      where: { kind: "review.assigned", link: `/reviews/${reviewId}` },
    });
    assert.deepEqual(
      notices.map((notice) => notice.userId).sort(),
      [reviewer.actor.userId, secondReviewer.actor.userId].sort(),
    );
    assert.ok((await listReviews(reviewer.actor)).some((review) => review.id === reviewId && review.reviewer));
  });

  it("lets an approver review only the policies they approve, and nobody else start one", async () => {
    const { reviewId } = await start(owner, { policyIds: [readPolicy] });
    assert.ok(reviewId);
    const before = await db.accessReview.count();
    await assert.rejects(start(owner, { policyIds: [readPolicy, otherPolicy] }), appErrorWith("FORBIDDEN"));
    const engineer = await person([engineers]);
    await assert.rejects(start(engineer, { policyIds: [readPolicy] }), appErrorWith("FORBIDDEN"));
    assert.equal(await db.accessReview.count(), before, "nothing written");
  });

  it("refuses a sole reviewer who would review themselves, unknown reviewers and a bad deadline", async () => {
    const eligibleReviewer = await person([engineers]);
    await assert.rejects(start(security, { reviewerEmails: [eligibleReviewer.actor.email ?? ""] }), (error: unknown) =>
      appErrorWith("INVALID_INPUT", /cannot review themselves/)(error),
    );
    await assert.rejects(
      start(security, { reviewerEmails: ["nobody-here@example.com"] }),
      appErrorWith("INVALID_INPUT", /nobody-here@example.com/),
    );
    await assert.rejects(
      start(security, { deadline: inHours(0.5) }),
      appErrorWith("INVALID_INPUT", /at least an hour/),
    );
    await assert.rejects(
      start(security, { deadline: inHours(24 * 91) }),
      appErrorWith("INVALID_INPUT", /at most 90 days/),
    );
  });

  it("records a set of verdicts with one passkey confirmation, each one audited", async () => {
    const { reviewId } = await start(security);
    const aliceRead = await itemOf(reviewId, alice.userId, readPolicy);
    const carlRead = await itemOf(reviewId, carl.userId, readPolicy);
    const result = await decide(reviewer, reviewId, [
      { itemId: aliceRead.id, verdict: "CERTIFY" },
      { itemId: carlRead.id, verdict: "REMOVE", reason: "Contract ended in October" },
    ]);
    assert.deepEqual(result, { decided: 2, removals: 1 });
    const carlAfter = await db.accessReviewItem.findUniqueOrThrow({ where: { id: carlRead.id } });
    assert.equal(carlAfter.verdict, "REMOVE");
    assert.equal(carlAfter.reason, "Contract ended in October");
    assert.equal(carlAfter.decidedById, reviewer.actor.userId);
    assert.equal(await auditCount("review.certify", reviewId), 1);
    assert.equal(await auditCount("review.remove", reviewId), 1);

    const view = await getReview({ actor: security.actor, reviewId, now: new Date() });
    const finding = view.items.find((item) => item.id === carlRead.id);
    assert.deepEqual(finding?.stillIn, [contractors], "a finding until the directory takes Carl out of the group");
    await db.user.update({ where: { id: carl.userId }, data: { groups: [] } });
    const resolved = await getReview({ actor: security.actor, reviewId, now: new Date() });
    assert.deepEqual(resolved.items.find((item) => item.id === carlRead.id)?.stillIn, [], "resolved");
    await db.user.update({ where: { id: carl.userId }, data: { groups: [contractors] } });
  });

  it("refuses a removal without a reason", async () => {
    const { reviewId } = await start(security);
    const carlRead = await itemOf(reviewId, carl.userId, readPolicy);
    await assert.rejects(
      startReviewDecision({
        actor: reviewer.actor,
        input: { reviewId, items: [{ itemId: carlRead.id, verdict: "REMOVE" }] },
      }),
      appErrorWith("INVALID_INPUT"),
    );
  });

  it("never counts a confirmation for another set, nor twice", async () => {
    const { reviewId } = await start(security);
    const aliceRead = await itemOf(reviewId, alice.userId, readPolicy);
    const carlRead = await itemOf(reviewId, carl.userId, readPolicy);
    const certifyAlice: TReviewDecisionItem[] = [{ itemId: aliceRead.id, verdict: "CERTIFY", reason: "" }];
    const assertion = await confirm(reviewer, reviewId, certifyAlice);
    // The same confirmation for another verdict, another person, or one more person.
    for (const items of [
      [{ itemId: aliceRead.id, verdict: "REMOVE" as const, reason: "Left the team in May" }],
      [{ itemId: carlRead.id, verdict: "CERTIFY" as const }],
      [...certifyAlice, { itemId: carlRead.id, verdict: "CERTIFY" as const }],
    ])
      await assert.rejects(
        decideReview({ actor: reviewer.actor, input: { reviewId, items, assertion } }),
        appErrorWith("FORBIDDEN"),
      );
    assert.equal(
      await db.accessReviewItem.count({ where: { reviewId, verdict: { not: null } } }),
      0,
      "nothing written",
    );
    await decideReview({ actor: reviewer.actor, input: { reviewId, items: certifyAlice, assertion } });
    await assert.rejects(
      decideReview({ actor: reviewer.actor, input: { reviewId, items: certifyAlice, assertion } }),
      appErrorWith("FORBIDDEN"),
      "a spent challenge",
    );
  });

  it("lets only its reviewers decide, never for themselves", async () => {
    const eligibleReviewer = await person([engineers]);
    const { reviewId } = await start(security, {
      reviewerEmails: [eligibleReviewer.actor.email ?? "", reviewer.actor.email ?? ""],
    });
    const own = await itemOf(reviewId, eligibleReviewer.actor.userId, readPolicy);
    await assert.rejects(
      startReviewDecision({
        actor: eligibleReviewer.actor,
        input: { reviewId, items: [{ itemId: own.id, verdict: "CERTIFY" }] },
      }),
      appErrorWith("CONFLICT"),
    );
    const aliceRead = await itemOf(reviewId, alice.userId, readPolicy);
    const items = [{ itemId: aliceRead.id, verdict: "CERTIFY" as const }];
    // The starter and security read it but do not review it; an outsider does not even see it.
    for (const outsider of [security, owner])
      await assert.rejects(
        startReviewDecision({ actor: outsider.actor, input: { reviewId, items } }),
        (error: unknown) => appErrorWith(outsider === security ? "FORBIDDEN" : "NOT_FOUND")(error),
      );
    // A reviewer's confirmation carried into another review's items.
    const other = await start(security);
    const foreign = await itemOf(other.reviewId, alice.userId, readPolicy);
    await assert.rejects(
      startReviewDecision({
        actor: reviewer.actor,
        input: { reviewId, items: [{ itemId: foreign.id, verdict: "CERTIFY" }] },
      }),
      appErrorWith("CONFLICT"),
    );
    // The other reviewer decides the eligible reviewer's own item.
    await decide(reviewer, reviewId, [{ itemId: own.id, verdict: "CERTIFY" }]);
  });

  it("closes: by its starter or security, not a reviewer; then takes no verdict", async () => {
    const { reviewId } = await start(owner, { policyIds: [readPolicy] });
    const carlRead = await itemOf(reviewId, carl.userId, readPolicy);
    await decide(reviewer, reviewId, [{ itemId: carlRead.id, verdict: "REMOVE", reason: "No longer on the project" }]);
    await assert.rejects(closeReview({ actor: reviewer.actor, input: { reviewId } }), appErrorWith("FORBIDDEN"));
    const totals = await closeReview({ actor: owner.actor, input: { reviewId } });
    assert.equal(totals.removals, 1);
    assert.equal(totals.certified, 0);
    assert.ok(totals.undecided >= 1);
    const event = await db.auditEvent.findFirstOrThrow({ where: { action: "review.close", targetId: reviewId } });
    assert.deepEqual(event.details, totals);
    assert.equal(
      (await db.notification.count({ where: { kind: "review.closed", link: `/reviews/${reviewId}` } })) > 0,
      true,
    );
    await assert.rejects(
      startReviewDecision({
        actor: reviewer.actor,
        input: { reviewId, items: [{ itemId: carlRead.id, verdict: "CERTIFY" }] },
      }),
      appErrorWith("CONFLICT", /closed/),
    );
    await assert.rejects(closeReview({ actor: security.actor, input: { reviewId } }), appErrorWith("CONFLICT"));
  });

  it("offers the review to its reviewers in the navigation while it is open, to nobody else", async () => {
    const fresh = await person([uniqueId("auditors")]);
    const bystander = await person([uniqueId("auditors")]);
    assert.equal(await hasOpenReviewToDo(fresh.actor, new Date()), false);
    const { reviewId } = await start(owner, {
      policyIds: [readPolicy],
      reviewerEmails: [fresh.actor.email ?? ""],
      deadline: inHours(2),
    });
    assert.equal(await hasOpenReviewToDo(fresh.actor, new Date()), true);
    assert.equal(await hasOpenReviewToDo(bystander.actor, new Date()), false, "not a reviewer");
    assert.equal(await hasOpenReviewToDo(owner.actor, new Date()), false, "its starter does not review it");
    assert.equal(await hasOpenReviewToDo(fresh.actor, new Date(Date.now() + 3 * HOUR)), false, "past its deadline");
    await closeReview({ actor: owner.actor, input: { reviewId } });
    assert.equal(await hasOpenReviewToDo(fresh.actor, new Date()), false, "closed");
  });

  it("reminds the reviewers once a day before the deadline, and closes the review at it", async () => {
    const { reviewId } = await start(security, { deadline: inHours(30) });
    const almost = new Date(Date.now() + 30 * HOUR - REMIND_BEFORE_MS + 60_000);
    await sweepReviews({ now: new Date() });
    assert.equal(await db.notification.count({ where: { kind: "review.reminder", link: `/reviews/${reviewId}` } }), 0);
    await sweepReviews({ now: almost });
    await sweepReviews({ now: almost });
    assert.equal(
      await db.notification.count({ where: { kind: "review.reminder", link: `/reviews/${reviewId}` } }),
      2,
      "each of the two reviewers, once",
    );
    await sweepReviews({ now: new Date(Date.now() + 31 * HOUR) });
    const closed = await db.accessReview.findUniqueOrThrow({ where: { id: reviewId } });
    assert.ok(closed.closedAt);
    assert.equal(closed.closedById, null, "closed by the deadline");
    const event = await db.auditEvent.findFirstOrThrow({ where: { action: "review.close", targetId: reviewId } });
    assert.equal(event.actorType, "SYSTEM");
  });

  it("exports the review as CSV, audited, formulas defused", async () => {
    const { reviewId } = await start(security);
    const carlRead = await itemOf(reviewId, carl.userId, readPolicy);
    await decide(reviewer, reviewId, [{ itemId: carlRead.id, verdict: "REMOVE", reason: "=HYPERLINK(evil)" }]);
    const { csv } = await exportReviewCsv({ actor: security.actor, reviewId, now: new Date() });
    const lines = csv.trimEnd().split("\r\n");
    assert.match(lines[0] ?? "", /^"resource","policy","person"/);
    const carlLine = lines.find((line) => line.includes(carl.name) && line.includes('"remove"'));
    assert.ok(carlLine, "Carl's removal is a row");
    assert.ok(carlLine.includes(`"'=HYPERLINK(evil)"`), "a formula is defused");
    assert.ok(carlLine.endsWith(`"${contractors}"`), "the groups he is still in");
    assert.ok(lines.some((line) => line.includes('"not reviewed"')));
    assert.equal(await auditCount("review.export", reviewId), 1);
    const stranger = await person([uniqueId("x")]);
    await assert.rejects(
      exportReviewCsv({ actor: stranger.actor, reviewId, now: new Date() }),
      appErrorWith("NOT_FOUND"),
    );
  });
});
