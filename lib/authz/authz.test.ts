import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACTIONS, can, decisionAuthorities, rolesForGroups, type TUserActor } from "./index";

// Development defaults: ADMIN_GROUPS=portal-admins, SECURITY_GROUPS=security-reviewers.
const person = (id: string, groups: string[]): TUserActor => ({
  kind: "user",
  userId: id,
  sessionId: `s-${id}`,
  email: `${id}@example.com`,
  name: id,
  groups,
  roles: rolesForGroups(groups),
});

const engineer = person("alice", ["engineers"]);
const admin = person("ada", ["portal-admins"]);
const security = person("sam", ["security-reviewers"]);

describe("authorization", () => {
  it("derives roles only from configured groups", () => {
    assert.deepEqual(engineer.roles, []);
    assert.deepEqual(admin.roles, ["admin"]);
    assert.deepEqual(security.roles, ["security"]);
    assert.deepEqual(rolesForGroups(["admins", "admin", "Portal-Admins"]), [], "near-miss group names grant nothing");
  });

  it("denies every action to no actor", () => {
    for (const action of ACTIONS) assert.equal(can(null, action, { type: "user", id: "x" }), false, action);
  });

  it("gives an engineer the portal and requesting, and nothing administrative", () => {
    const everyone = ["portal.use", "request.create"];
    for (const action of everyone) assert.equal(can(engineer, action as never), true, action);
    for (const action of ACTIONS.filter((a) => !everyone.includes(a))) {
      assert.equal(can(engineer, action, { type: "user", id: "bob" }), false, action);
    }
  });

  it("keeps administration out of security reviewers' hands, and lets administrators read the Security area", () => {
    assert.equal(can(admin, "users.read"), true);
    assert.equal(can(admin, "jobs.manage"), true);
    assert.equal(can(admin, "security.view"), true);
    assert.equal(can(admin, "audit.read"), true);
    assert.equal(can(security, "audit.read"), true);
    assert.equal(can(security, "users.read"), false);
    assert.equal(can(security, "jobs.manage"), false);
  });

  it("lets security reviewers sign off break-glass grants, never their own, and nobody else", () => {
    assert.equal(can(security, "breakglass.review", { type: "grant", id: "g", subjectId: "alice" }), true);
    assert.equal(can(security, "breakglass.review", { type: "grant", id: "g", subjectId: security.userId }), false);
    assert.equal(can(security, "breakglass.review"), false, "a target is required");
    assert.equal(can(admin, "breakglass.review", { type: "grant", id: "g", subjectId: "alice" }), false);
  });

  it("lets an administrator deactivate others but never themselves", () => {
    assert.equal(can(admin, "users.deactivate", { type: "user", id: "alice" }), true);
    assert.equal(can(admin, "users.deactivate", { type: "user", id: "ada" }), false);
    assert.equal(can(admin, "users.deactivate"), false, "a target is required");
  });

  it("denies an action missing from the rule table", () => {
    assert.equal(can(admin, "users.delete" as never), false);
  });

  it("lets people manage only their own passkeys", () => {
    assert.equal(can(engineer, "passkeys.manage", { type: "user", id: "alice" }), true);
    assert.equal(can(admin, "passkeys.manage", { type: "user", id: "alice" }), false);
  });

  describe("requests", () => {
    const request = {
      type: "request" as const,
      id: "r1",
      requesterId: "alice",
      filedById: null as string | null,
      approverGroups: ["db-approvers", "security-leads"],
      decidableGroups: ["db-approvers"],
    };
    const bob = person("bob", ["engineers", "db-approvers"]);
    const selfApprover = person("alice", ["engineers", "db-approvers", "portal-admins"]);

    it("lets an approver in the policy's groups decide, never the requester", () => {
      assert.equal(can(bob, "request.decide", request), true);
      assert.equal(
        can(selfApprover, "request.decide", request),
        false,
        "not even an administrator in the approver group",
      );
      assert.equal(can(admin, "request.decide", request), false, "administrators are not approvers by role");
      assert.equal(can(security, "request.decide", request), false);
    });

    it("shows a request to its requester, its approvers and security only", () => {
      assert.equal(can(engineer, "request.read", request), true);
      assert.equal(can(bob, "request.read", request), true);
      assert.equal(can(security, "request.read", request), true);
      assert.equal(can(person("mallory", ["engineers"]), "request.read", request), false);
      assert.equal(can(admin, "request.read", request), false);
    });

    it("lets only the requester cancel", () => {
      assert.equal(can(engineer, "request.cancel", request), true);
      assert.equal(can(bob, "request.cancel", request), false);
    });

    describe("delegated approvals (ADR 0056)", () => {
      const delegation = (delegatorId: string, groups: string[]) => ({
        delegationId: `d-${delegatorId}`,
        delegatorId,
        delegatorName: delegatorId,
        groups,
      });
      const carol = person("carol", ["other-approvers"]);

      it("lets a delegate read and decide with the delegator's groups, their own authority first", () => {
        const cover = { ...carol, delegations: [delegation("bob", ["db-approvers"])] };
        assert.equal(can(carol, "request.decide", request), false);
        assert.equal(can(carol, "request.read", request), false);
        assert.equal(can(cover, "request.decide", request), true);
        assert.equal(can(cover, "request.read", request), true);
        assert.deepEqual(decisionAuthorities(cover, request), [
          { kind: "delegated", delegation: delegation("bob", ["db-approvers"]) },
        ]);
        const both = { ...bob, delegations: [delegation("dave", ["db-approvers"])] };
        assert.deepEqual(
          decisionAuthorities(both, request).map((authority) => authority.kind),
          ["own", "delegated"],
        );
      });

      it("never on the delegate's own request nor the delegator's, nor with groups that decide nothing now", () => {
        const requesterAsDelegate = {
          ...person("alice", ["engineers"]),
          delegations: [delegation("bob", ["db-approvers"])],
        };
        assert.equal(can(requesterAsDelegate, "request.decide", request), false);
        const forRequester = { ...carol, delegations: [delegation("alice", ["db-approvers"])] };
        assert.equal(can(forRequester, "request.decide", request), false);
        const laterStage = { ...carol, delegations: [delegation("bob", ["security-leads"])] };
        assert.equal(can(laterStage, "request.decide", request), false, "a later stage's group decides nothing now");
        assert.equal(can(laterStage, "request.read", request), true, "but may read, as the delegator may");
      });

      it("lets approvers delegate, and the delegator, security or an administrator end it", () => {
        assert.equal(can(carol, "delegation.create"), false, "the approver role comes from policies");
        assert.equal(can({ ...carol, roles: ["approver"] }, "delegation.create"), true);
        const target = { type: "delegation" as const, id: "d1", delegatorId: "carol" };
        assert.equal(can(carol, "delegation.end", target), true);
        assert.equal(can(bob, "delegation.end", target), false);
        assert.equal(can(security, "delegation.end", target), true);
        assert.equal(can(admin, "delegation.end", target), true);
        assert.equal(can(carol, "delegation.end", request), false);
      });
    });

    describe("requests filed for a teammate (ADR 0057)", () => {
      const filed = { ...request, requesterId: "alice", filedById: "bob" };

      it("lets neither the filer nor the person it is for decide; both may read and cancel", () => {
        assert.equal(can(bob, "request.decide", filed), false, "the filer, though in the approver group");
        const dave = person("dave", ["db-approvers"]);
        assert.equal(can(dave, "request.decide", filed), true);
        const forFiler = {
          ...dave,
          delegations: [{ delegationId: "d", delegatorId: "bob", delegatorName: "bob", groups: ["db-approvers"] }],
        };
        assert.equal(decisionAuthorities({ ...forFiler, groups: [] }, filed).length, 0, "nor the filer's delegate");
        for (const who of [engineer, bob]) {
          assert.equal(can(who, "request.read", filed), true);
          assert.equal(can(who, "request.cancel", filed), true);
        }
      });

      it("lets only the person it is for acknowledge it, and only when it was filed for them", () => {
        assert.equal(can(engineer, "request.acknowledge", filed), true);
        assert.equal(can(bob, "request.acknowledge", filed), false);
        assert.equal(can(security, "request.acknowledge", filed), false);
        assert.equal(can(engineer, "request.acknowledge", request), false, "one's own request needs no acknowledgment");
      });
    });

    it("denies request actions without a request target", () => {
      assert.equal(can(bob, "request.decide", { type: "user", id: "alice" }), false);
      assert.equal(can(bob, "request.decide"), false);
    });
  });

  describe("access reviews (ADR 0058)", () => {
    const owner = person("olga", ["db-approvers"]);
    const scope = (...approverGroups: string[][]) => ({ type: "review-scope" as const, approverGroups });
    const review = { type: "review" as const, id: "r1", createdById: "olga", reviewerIds: ["rita"] };
    const rita = person("rita", ["engineers"]);

    it("lets security and administrators start any review, an approver only of the policies they approve", () => {
      assert.equal(can(security, "review.start", scope(["other"])), true);
      assert.equal(can(admin, "review.start", scope(["other"])), true);
      assert.equal(can(owner, "review.start", scope(["db-approvers"], ["x", "db-approvers"])), true);
      assert.equal(
        can(owner, "review.start", scope(["db-approvers"], ["web-approvers"])),
        false,
        "one policy is not theirs",
      );
      assert.equal(can(owner, "review.start", scope()), false, "no policies, nothing owned");
      assert.equal(can(engineer, "review.start", scope(["engineers-approvers"])), false);
      assert.equal(can(security, "review.start"), false, "a scope is needed");
    });

    it("shows a review to its starter, its reviewers, security and administrators only", () => {
      for (const actor of [owner, rita, security, admin])
        assert.equal(can(actor, "review.read", review), true, actor.name);
      assert.equal(can(engineer, "review.read", review), false);
    });

    it("lets only its reviewers decide, not its starter, security or administrators", () => {
      assert.equal(can(rita, "review.decide", review), true);
      for (const actor of [owner, security, admin, engineer])
        assert.equal(can(actor, "review.decide", review), false, actor.name);
    });

    it("lets its starter, security and administrators close it, not a reviewer", () => {
      for (const actor of [owner, security, admin]) assert.equal(can(actor, "review.close", review), true, actor.name);
      assert.equal(can(rita, "review.close", review), false);
    });
  });
});
