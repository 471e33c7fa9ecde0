import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEMO_RESOURCES } from "../../prisma/demo-data";
import {
  formatImportError,
  inferFormat,
  MAX_SOURCE_LENGTH,
  parseCatalogSource,
  serializeCatalogDocument,
  validateCatalogDocument,
} from "./document";
import type { TCatalogDocument } from "./schemas";

const demo = {
  version: 1,
  resources: DEMO_RESOURCES.map((resource) => ({
    ...resource,
    policies: resource.policies.map((policy) => ({
      stages: [],
      escalationGroups: [],
      escalationAfterMinutes: null,
      onBehalfOfAllowed: false,
      ...policy,
    })),
    slackChannel: null,
    connectors: [],
  })),
} as TCatalogDocument;

describe("reading catalog documents", () => {
  it("reads back exactly what it wrote, in YAML and in JSON", () => {
    for (const format of ["yaml", "json"] as const) {
      const text = serializeCatalogDocument(demo, format);
      const parsed = parseCatalogSource({ source: text, fileName: `catalog.${format}`, format });
      assert.ok(parsed.ok, format);
      assert.deepEqual(validateCatalogDocument({ data: parsed.data, fileName: "f" }).document, demo, format);
    }
    assert.match(serializeCatalogDocument(demo, "yaml"), /^version: 1\nresources:\n {2}- key: prod-postgres\n/);
  });

  it("reports a YAML syntax error with its line and column", () => {
    const parsed = parseCatalogSource({
      source: "version: 1\nresources:\n  - key: db\n    name: DB\n   environment: prod\n",
      fileName: "catalog.yaml",
      format: "yaml",
    });
    assert.equal(parsed.ok, false);
    const [error] = parsed.ok ? [] : parsed.errors;
    assert.equal(error?.file, "catalog.yaml");
    assert.equal(error?.line, 5);
    assert.equal(error?.column, 1);
    assert.equal(error?.message, "YAML syntax error at line 5, column 1: Sequence item without - indicator");
  });

  it("reports a JSON syntax error with its line and column", () => {
    const parsed = parseCatalogSource({
      source: '{\n  "version": 1,\n  "resources": [}\n}',
      fileName: "catalog.json",
      format: "json",
    });
    const [error] = parsed.ok ? [] : parsed.errors;
    assert.equal(error?.line, 3);
    assert.equal(error?.column, 17);
    assert.match(error?.message ?? "", /^JSON syntax error at line 3, column 17: Unexpected token '}'$/);
  });

  it("refuses a key given twice in one mapping, in YAML and in JSON (JSON.parse would keep the last one silently)", () => {
    const yaml = parseCatalogSource({
      source: "version: 1\nversion: 1\nresources: []\n",
      fileName: "c.yaml",
      format: "yaml",
    });
    assert.equal(yaml.ok ? undefined : yaml.errors[0]?.line, 2);
    const json = parseCatalogSource({
      source: '{"version": 1,\n "resources": [],\n "version": 1}',
      fileName: "c.json",
      format: "json",
    });
    assert.equal(json.ok ? undefined : json.errors[0]?.line, 3);
  });

  it("refuses an empty or oversized document", () => {
    const empty = parseCatalogSource({ source: " \n", fileName: "c.yaml", format: "yaml" });
    assert.deepEqual(empty.ok ? [] : empty.errors.map(formatImportError), ["c.yaml: the document is empty"]);
    const huge = parseCatalogSource({ source: "#".repeat(MAX_SOURCE_LENGTH + 1), fileName: "c.yaml", format: "yaml" });
    assert.equal(huge.ok, false);
  });

  it("infers the format from the caller, then the file name, then the text", () => {
    assert.equal(inferFormat({ fileName: "a.json", source: "version: 1", format: "yaml" }), "yaml");
    assert.equal(inferFormat({ fileName: "a.JSON", source: "" }), "json");
    assert.equal(inferFormat({ fileName: "a.yml", source: "{}" }), "yaml");
    assert.equal(inferFormat({ fileName: "pasted", source: '  {"version": 1}' }), "json");
    assert.equal(inferFormat({ fileName: "pasted", source: "version: 1" }), "yaml");
  });

  it("lists every validation problem as file, path and message", () => {
    const result = validateCatalogDocument({
      data: { version: 1, resources: [{ key: "x", permissions: [] }] },
      fileName: "c.yaml",
    });
    assert.deepEqual(result.errors.map(formatImportError), [
      "c.yaml: resources[0].key: must be 2 to 63 characters: lowercase letters, digits and hyphens, starting with a letter or digit",
      "c.yaml: resources[0].name: is required",
      "c.yaml: resources[0].environment: is required",
      "c.yaml: resources[0].permissions: must list at least one permission",
    ]);
  });
});
