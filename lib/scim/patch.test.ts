import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ScimError } from "./errors";
import { parseFilter, parsePagination } from "./filter";
import { applyPatch, PATCH_OP_SCHEMA } from "./patch";

const body = (Operations: unknown[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations });
const scimError = (status: number, scimType?: string) => (error: unknown) =>
  error instanceof ScimError && error.status === status && (scimType === undefined || error.scimType === scimType);

describe("the PATCH grammar", () => {
  const user = { userName: "a@example.com", active: true, emails: [{ type: "work", value: "a@example.com" }] };

  it("takes Okta's path-less replace and Entra ID's path, any case of op", () => {
    assert.equal(applyPatch(user, body([{ op: "replace", value: { active: false } }])).active, false);
    assert.equal(applyPatch(user, body([{ op: "Replace", path: "active", value: "False" }])).active, "False");
    assert.equal(applyPatch(user, body([{ op: "REPLACE", path: "ACTIVE", value: false }])).active, false);
  });

  it("replaces a filtered sub-attribute, and adds the element when none matches", () => {
    const replaced = applyPatch(user, body([{ op: "replace", path: 'emails[type eq "work"].value', value: "b@x.io" }]));
    assert.deepEqual(replaced.emails, [{ type: "work", value: "b@x.io" }]);
    const added = applyPatch(user, body([{ op: "add", path: 'emails[type eq "home"].value', value: "h@x.io" }]));
    assert.deepEqual(added.emails, [user.emails[0], { type: "home", value: "h@x.io" }]);
  });

  it("adds members without duplicates and removes them by filter or by value list", () => {
    const group = { displayName: "g", members: [{ value: "1" }] };
    const added = applyPatch(group, body([{ op: "add", path: "members", value: [{ value: "1" }, { value: "2" }] }]));
    assert.deepEqual(added.members, [{ value: "1" }, { value: "2" }]);
    assert.deepEqual(applyPatch(added, body([{ op: "remove", path: 'members[value eq "1"]' }])).members, [
      { value: "2" },
    ]);
    assert.deepEqual(applyPatch(added, body([{ op: "Remove", path: "members", value: [{ value: "2" }] }])).members, [
      { value: "1" },
    ]);
  });

  it("ignores schema-qualified extension paths and strips the core schema's prefix", () => {
    const extension = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
    assert.deepEqual(applyPatch(user, body([{ op: "add", path: extension, value: "R&D" }])), user);
    const core = "urn:ietf:params:scim:schemas:core:2.0:User:displayName";
    assert.equal(applyPatch(user, body([{ op: "add", path: core, value: "A" }])).displayName, "A");
  });

  it("refuses malformed bodies and paths with a SCIM 400, and never touches the prototype", () => {
    assert.throws(() => applyPatch(user, { Operations: [] }), scimError(400, "invalidSyntax"));
    assert.throws(() => applyPatch(user, body([{ op: "move", path: "a" }])), scimError(400, "invalidSyntax"));
    assert.throws(() => applyPatch(user, body([{ op: "remove" }])), scimError(400, "noTarget"));
    assert.throws(() => applyPatch(user, body([{ op: "add", path: "a[b eq c]" }])), scimError(400, "invalidPath"));
    assert.throws(
      () => applyPatch(user, body([{ op: "add", value: JSON.parse('{"__proto__": {"polluted": 1}}') }])),
      scimError(400, "invalidPath"),
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("filters and pagination", () => {
  it("reads one eq comparison on an allowed attribute, case-insensitively named, with JSON escapes", () => {
    assert.deepEqual(parseFilter('USERNAME eq "a\\"b@x"', ["userName"]), { attribute: "userName", value: 'a"b@x' });
    assert.equal(parseFilter(null, ["userName"]), null);
    assert.throws(() => parseFilter('userName co "a"', ["userName"]), scimError(400, "invalidFilter"));
    assert.throws(() => parseFilter('title eq "a"', ["userName"]), scimError(400, "invalidFilter"));
  });

  it("clamps startIndex and count as RFC 7644 says, and refuses non-numbers", () => {
    assert.deepEqual(parsePagination(new URLSearchParams("startIndex=0&count=-5"), 200), { skip: 0, take: 0 });
    assert.deepEqual(parsePagination(new URLSearchParams("startIndex=3&count=9999"), 200), { skip: 2, take: 200 });
    assert.throws(() => parsePagination(new URLSearchParams("count=abc"), 200), scimError(400, "invalidValue"));
  });
});
