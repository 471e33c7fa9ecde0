import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bundleItemsText, parseBundleItems } from "./manage-bundles";

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

  it("names the line of an item with fewer than three words", () => {
    const { problems } = parseBundleItems("prod-db read read\nprod-db read");
    assert.deepEqual(problems, ['line 2: write "resource-key policy-name permission"']);
  });

  it("writes the items back as the form reads them", () => {
    const items = [
      { resource: "prod-db", policy: "read only", permission: "read" },
      { resource: "k8s-prod", policy: "view", permission: "view" },
    ];
    assert.deepEqual(parseBundleItems(bundleItemsText(items)).items, items);
  });
});
