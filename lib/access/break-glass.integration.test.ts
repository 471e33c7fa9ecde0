/**
 * Break-glass end to end against real PostgreSQL with real WebAuthn assertions: the access
 * starts at once with its lifecycle jobs, security hears of it on every channel, and it is
 * listed until a reviewer signs it off. Each refusal is tried and leaves nothing behind.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { db, disconnectDb } from "../db";
import { AppError } from "../errors";
import { createActor, createActorWithPasskey, uniqueId } from "../testing/fixtures";
import { startStepUp } from "../webauthn";
import { startBreakGlass, takeBreakGlass, type TBreakGlass } from "./break-glass";
import { listUnreviewedBreakGlass, signOffBreakGlass } from "./review-break-glass";

after(disconnectDb);

const isCode = (code: string, field?: string) => (error: unknown) =>
  error instanceof AppError && error.code === code && (field === undefined || field in error.fields);

type TPerson = Awaited<ReturnType<typeof createActorWithPasskey>>;

describe("break-glass", () => {
  const oncall = uniqueId("oncall");
  const policies = { admin: "", write: "", closed: "" };
  let resourceKey = "";
  let reviewers: TPerson[] = [];

  before(async () => {
    const resource = await db.resource.create({
      data: {
        key: uniqueId("prod"),
        name: "Prod DB",
        environment: "production",
        permissions: ["read", "write", "admin"],
      },
    });
    resourceKey = resource.key;
    const common = {
      resourceId: resource.id,
      requesterGroups: [oncall],
      approverGroups: [uniqueId("appr")],
      approvalsRequired: 2,
      defaultDurationMinutes: 15,
      maxDurationMinutes: 60,
      minJustificationLength: 10,
      ticketRequired: true,
      ticketPattern: "^INC-\\d+$",
    };
    policies.admin = (
      await db.accessPolicy.create({
        data: { ...common, name: "admin", permissions: ["admin"], breakGlassAllowed: true, breakGlassMaxMinutes: 30 },
      })
    ).id;
    policies.write = (
      await db.accessPolicy.create({
        data: { ...common, name: "write", permissions: ["write"], breakGlassAllowed: true, breakGlassMaxMinutes: 15 },
      })
    ).id;
    policies.closed = (await db.accessPolicy.create({ data: { ...common, name: "read", permissions: ["read"] } })).id;
    reviewers = [
      await createActorWithPasskey({ groups: ["security-reviewers"] }),
      await createActorWithPasskey({ groups: ["security-reviewers"] }),
    ];
  });

  const input = (overrides: Partial<TBreakGlass> = {}) => ({
    policyId: policies.admin,
    permissions: ["admin"],
    durationMinutes: 20,
    justification: "Database down, INC-77 needs a manual failover now",
    ...overrides,
  });
  const confirm = async (person: TPerson, policyId = policies.admin, permissions = ["admin"]) =>
    person.authenticator.assert(await startBreakGlass({ actor: person.actor, input: { policyId, permissions } }));
  const take = async (person: TPerson, overrides: Partial<TBreakGlass> = {}) =>
    takeBreakGlass({
      actor: person.actor,
      input: { ...input(overrides), assertion: overrides.assertion ?? (await confirm(person)) },
    });
  const grantsOf = (person: TPerson) => db.grant.count({ where: { subjectId: person.actor.userId } });

  it("starts the grant at once with its lifecycle jobs, alerts security on every channel, and lists it for review", async () => {
    const engineer = await createActorWithPasskey({ groups: [oncall] });
    const before = Date.now();
    const result = await take(engineer);
    const grant = await db.grant.findUniqueOrThrow({ where: { id: result.grantId }, include: { request: true } });
    assert.equal(grant.breakGlass, true);
    assert.ok(grant.startsAt.getTime() >= before && grant.startsAt.getTime() <= Date.now(), "active now");
    assert.equal(grant.expiresAt.getTime() - grant.startsAt.getTime(), 20 * 60_000);
    assert.equal(grant.request?.status, "APPROVED");
    assert.equal(grant.request?.breakGlass, true);
    assert.equal(grant.request?.ticket, null, "no ticket needed in an emergency, even where the policy asks for one");
    const jobs = await db.outboxJob.findMany({ where: { jobId: { contains: grant.id } }, select: { name: true } });
    assert.deepEqual(jobs.map((job) => job.name).sort(), ["grant.expire", "grant.start", "grant.warn"]);

    for (const reviewer of reviewers) {
      const notice = await db.notification.findFirstOrThrow({
        where: { userId: reviewer.actor.userId, kind: "grant.break_glass" },
        orderBy: { createdAt: "desc" },
      });
      assert.match(notice.title, new RegExp(`took admin on ${resourceKey} for 20 min`));
      assert.equal(notice.link, "/security/break-glass");
      assert.equal(
        await db.outboxJob.count({ where: { jobId: `notify_email_${notice.id}` } }),
        1,
        "e-mail queued with the grant",
      );
    }
    const events = await db.auditEvent.findMany({
      where: { OR: [{ targetId: grant.id }, { targetId: grant.requestId ?? "" }] },
      select: { action: true },
    });
    assert.deepEqual(events.map((event) => event.action).sort(), [
      "grant.break_glass",
      "grant.create",
      "request.create",
    ]);

    const listed = await listUnreviewedBreakGlass({ actor: reviewers[0]!.actor });
    const row = listed.find((entry) => entry.id === grant.id);
    assert.ok(row, "listed for review");
    assert.equal(row.justification, input().justification);
  });

  it("refuses a policy without break-glass, at the prompt and at the take, and audits both", async () => {
    const engineer = await createActorWithPasskey({ groups: [oncall] });
    await assert.rejects(
      startBreakGlass({ actor: engineer.actor, input: { policyId: policies.closed, permissions: ["read"] } }),
      isCode("FORBIDDEN"),
    );
    await assert.rejects(take(engineer, { policyId: policies.closed, permissions: ["read"] }), isCode("FORBIDDEN"));
    assert.equal(
      await db.auditEvent.count({
        where: { actorId: engineer.actor.userId, action: "grant.break_glass", outcome: "DENIED" },
      }),
      2,
    );
    assert.equal(await grantsOf(engineer), 0);
  });

  it("refuses someone outside the policy's requester groups", async () => {
    const outsider = await createActorWithPasskey({ groups: [uniqueId("eng")] });
    await assert.rejects(
      startBreakGlass({ actor: outsider.actor, input: { policyId: policies.admin, permissions: ["admin"] } }),
      isCode("FORBIDDEN"),
    );
    assert.equal(await grantsOf(outsider), 0);
  });

  it("refuses a missing step-up, an over-long duration and a thin justification, naming the field", async () => {
    const engineer = await createActorWithPasskey({ groups: [oncall] });
    await assert.rejects(
      takeBreakGlass({ actor: engineer.actor, input: { ...input(), assertion: undefined } as never }),
      isCode("INVALID_INPUT", "assertion"),
    );
    await assert.rejects(
      take(engineer, { durationMinutes: 31 }),
      (error: unknown) =>
        error instanceof AppError &&
        error.fields.durationMinutes === "Break-glass lasts at most 30 minutes under this policy.",
    );
    await assert.rejects(take(engineer, { justification: "urgent!!!!!!" }), isCode("INVALID_INPUT", "justification"));
    assert.equal(await grantsOf(engineer), 0);
  });

  it("refuses a step-up for another purpose, another policy or other permissions, and a replayed one", async () => {
    const engineer = await createActorWithPasskey({ groups: [oncall] });
    const approveChallenge = await startStepUp({
      actor: engineer.actor,
      purpose: "APPROVE",
      targetType: "break-glass",
      targetId: `${policies.admin}:admin`,
    });
    await assert.rejects(
      take(engineer, { assertion: await engineer.authenticator.assert(approveChallenge) }),
      isCode("FORBIDDEN"),
    );
    await assert.rejects(
      take(engineer, { assertion: await confirm(engineer, policies.write, ["write"]) }),
      isCode("FORBIDDEN"),
    );
    const otherPerson = await createActorWithPasskey({ groups: [oncall] });
    await assert.rejects(take(engineer, { assertion: await confirm(otherPerson) }), isCode("FORBIDDEN"));
    assert.equal(await grantsOf(engineer), 0);
    assert.ok(
      (await db.auditEvent.count({
        where: { actorId: engineer.actor.userId, action: "webauthn.step_up", outcome: "DENIED" },
      })) >= 2,
    );

    const assertion = await confirm(engineer);
    const first = await take(engineer, { assertion });
    // End it, so that only the replay itself can be the reason for the refusal.
    await db.grant.update({ where: { id: first.grantId }, data: { revokedAt: new Date() } });
    await assert.rejects(take(engineer, { assertion }), isCode("FORBIDDEN"));
    assert.equal(await grantsOf(engineer), 1);
  });

  it("refuses a second break-glass while the first grant is live", async () => {
    const engineer = await createActorWithPasskey({ groups: [oncall] });
    await take(engineer);
    await assert.rejects(take(engineer), isCode("CONFLICT"));
    assert.equal(await grantsOf(engineer), 1);
  });

  describe("post-incident sign-off", () => {
    it("a reviewer signs off with a comment, once; it leaves the list and is audited", async () => {
      const engineer = await createActorWithPasskey({ groups: [oncall] });
      const { grantId } = await take(engineer);
      const [sam, sue] = reviewers as [TPerson, TPerson];
      await assert.rejects(
        signOffBreakGlass({ actor: sam.actor, input: { grantId, comment: "ok" } }),
        isCode("INVALID_INPUT", "comment"),
      );
      await signOffBreakGlass({
        actor: sam.actor,
        input: { grantId, comment: "Checked the failover runbook and the session log: all as described." },
      });
      const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId } });
      assert.equal(grant.reviewedById, sam.actor.userId);
      assert.match(grant.reviewComment ?? "", /failover runbook/);
      assert.equal(
        await db.auditEvent.count({
          where: { action: "grant.break_glass_reviewed", targetId: grantId, actorId: sam.actor.userId },
        }),
        1,
      );
      assert.equal(
        (await listUnreviewedBreakGlass({ actor: sam.actor })).some((row) => row.id === grantId),
        false,
      );
      await assert.rejects(
        signOffBreakGlass({
          actor: sue.actor,
          input: { grantId, comment: "Looks fine to me as well, signing again." },
        }),
        isCode("CONFLICT"),
      );
      assert.equal(
        await db.auditEvent.count({ where: { action: "grant.break_glass_reviewed", targetId: grantId } }),
        1,
      );
    });

    it("two reviewers at once: exactly one sign-off", async () => {
      const engineer = await createActorWithPasskey({ groups: [oncall] });
      const { grantId } = await take(engineer);
      const results = await Promise.allSettled(
        reviewers.map((reviewer) =>
          signOffBreakGlass({ actor: reviewer.actor, input: { grantId, comment: "Reviewed the incident timeline." } }),
        ),
      );
      assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
      assert.equal(
        await db.auditEvent.count({ where: { action: "grant.break_glass_reviewed", targetId: grantId } }),
        1,
      );
    });

    it("refuses non-reviewers (audited), a reviewer's own break-glass, and grants that are not break-glass", async () => {
      const engineer = await createActorWithPasskey({ groups: [oncall] });
      const { grantId } = await take(engineer);
      const approver = await createActor({ groups: ["db-approvers", "portal-admins"] });
      await assert.rejects(
        signOffBreakGlass({ actor: engineer.actor, input: { grantId, comment: "I reviewed my own access." } }),
        isCode("FORBIDDEN"),
      );
      await assert.rejects(
        signOffBreakGlass({ actor: approver, input: { grantId, comment: "Administrators are not reviewers." } }),
        isCode("FORBIDDEN"),
      );
      await assert.rejects(listUnreviewedBreakGlass({ actor: engineer.actor }), isCode("FORBIDDEN"));
      assert.ok(
        (await db.auditEvent.count({ where: { actorId: engineer.actor.userId, action: "authz.denied" } })) >= 2,
      );

      const reviewerOnCall = await createActorWithPasskey({ groups: ["security-reviewers", oncall] });
      const own = await take(reviewerOnCall);
      await assert.rejects(
        signOffBreakGlass({
          actor: reviewerOnCall.actor,
          input: { grantId: own.grantId, comment: "Reviewing my own emergency access." },
        }),
        isCode("FORBIDDEN"),
      );
      assert.equal(
        (await listUnreviewedBreakGlass({ actor: reviewerOnCall.actor })).find((row) => row.id === own.grantId)
          ?.canSignOff,
        false,
      );

      const ordinary = await db.grant.create({
        data: {
          subjectId: engineer.actor.userId,
          resourceId: (await db.resource.findUniqueOrThrow({ where: { key: resourceKey } })).id,
          permissions: ["read"],
          startsAt: new Date(),
          expiresAt: new Date(Date.now() + 60_000),
        },
      });
      await assert.rejects(
        signOffBreakGlass({
          actor: reviewers[0]!.actor,
          input: { grantId: ordinary.id, comment: "Not a break-glass grant at all." },
        }),
        isCode("NOT_FOUND"),
      );
      assert.equal((await db.grant.findUniqueOrThrow({ where: { id: grantId } })).reviewedAt, null);
    });
  });
});
