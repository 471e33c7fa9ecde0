import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACTIONS, can, rolesForGroups, type TUserActor } from "./index";

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

  it("gives an engineer the portal and nothing administrative", () => {
    assert.equal(can(engineer, "portal.use"), true);
    for (const action of ACTIONS.filter((a) => a !== "portal.use")) {
      assert.equal(can(engineer, action, { type: "user", id: "bob" }), false, action);
    }
  });

  it("keeps administration and security review apart", () => {
    assert.equal(can(admin, "users.read"), true);
    assert.equal(can(admin, "security.view"), false);
    assert.equal(can(security, "audit.read"), true);
    assert.equal(can(security, "users.read"), false);
  });

  it("lets an administrator deactivate others but never themselves", () => {
    assert.equal(can(admin, "users.deactivate", { type: "user", id: "alice" }), true);
    assert.equal(can(admin, "users.deactivate", { type: "user", id: "ada" }), false);
    assert.equal(can(admin, "users.deactivate"), false, "a target is required");
  });

  it("denies an action missing from the rule table", () => {
    assert.equal(can(admin, "users.delete" as never), false);
  });
});
