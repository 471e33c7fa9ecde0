import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fcOptions, hostileString } from "../testing/hostile";
import { bundleItemsText, parseBundleItems } from "./manage-bundles";
import { PERMISSION_PATTERN, RESOURCE_KEY_PATTERN } from "./schemas";

describe("the bundle form's items", () => {
  it("reads one item per line: the resource first, the permission last, the policy's name between", () => {
    const { items, lines, problems } = parseBundleItems("prod-db read read\n\n  k8s-prod  view and exec  exec \r\n");
    assert.deepEqual(problems, []);
    assert.deepEqual(items, [
      { resource: "prod-db", policy: "read", permission: "read" },
      { resource: "k8s-prod", policy: "view and exec", permission: "exec" },
    ]);
    assert.deepEqual(lines, [1, 3], "blank lines are skipped, not renumbered");
  });

  it("keeps a policy's name as written, two spaces or a tab inside it included", () => {
    const { items } = parseBundleItems("prod-db  read  only  read\nk8s-prod\tview\tand exec\texec");
    assert.deepEqual(items, [
      { resource: "prod-db", policy: "read  only", permission: "read" },
      { resource: "k8s-prod", policy: "view\tand exec", permission: "exec" },
    ]);
  });

  it("names the line of an item with fewer than three words", () => {
    const { problems } = parseBundleItems("prod-db read read\nprod-db read");
    assert.deepEqual(problems, ['line 2: write "resource-key policy-name permission"']);
  });

  it("writes the items back as the form reads them", () => {
    const items = [
      { resource: "prod-db", policy: "read only", permission: "read" },
      { resource: "k8s-prod", policy: "view  and exec", permission: "exec" },
      { resource: "grafana", policy: "view", permission: "view" },
    ];
    assert.deepEqual(parseBundleItems(bundleItemsText(items)).items, items);
  });

  it("reads back every item it writes, whatever the policy's name (property)", () => {
    // What the catalog's rules let through: a key and a permission by their patterns, and a
    // policy's name trimmed, non-empty, on one line.
    const item = fc
      .tuple(
        fc.stringMatching(RESOURCE_KEY_PATTERN),
        hostileString()
          .map((name) => name.replace(/[\r\n]/g, " ").trim())
          .filter((name) => name !== ""),
        fc.stringMatching(PERMISSION_PATTERN),
      )
      .map(([resource, policy, permission]) => ({ resource, policy, permission }));
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 10 }), (items) => {
        const read = parseBundleItems(bundleItemsText(items));
        assert.deepEqual(read.problems, []);
        assert.deepEqual(read.items, items);
      }),
      fcOptions(200),
    );
  });
});
