import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formFields, formRefusal, submittedValues, policyFromForm } from "./form-data";

describe("a refused form, as it is shown again", () => {
  it("keeps what was typed per field, files and React's own `$` entries left out", () => {
    const form = new FormData();
    form.append("permissions", "read");
    form.append("permissions", "write");
    form.append("name", "db");
    form.append("$ACTION_ID_abc", "");
    form.append("file", new Blob(["x"]), "x.csv");
    assert.deepEqual(submittedValues(form), { permissions: ["read", "write"], name: ["db"] });
  });

  it("treats field names that every object has (__proto__, constructor) as plain names", () => {
    // A hostile form: `values[name] ??= []` found Object.prototype here and threw (a 500).
    const form = new FormData();
    for (const name of ["__proto__", "constructor", "toString", "__proto__"]) form.append(name, "x");
    const values = submittedValues(form);
    assert.deepEqual(Object.keys(values).sort(), ["__proto__", "constructor", "toString"]);
    assert.deepEqual(Object.getOwnPropertyDescriptor(values, "__proto__")?.value, ["x", "x"]);
    assert.equal(Object.getPrototypeOf(values), Object.prototype);
    assert.deepEqual(formRefusal({ message: "refused", fields: { constructor: "bad" } }, form).fields, {
      constructor: "bad",
    });
  });

  it("names each reason by its field, the first reason per field winning", () => {
    assert.deepEqual(
      formFields({
        "requesterGroups[1]": "too long",
        "requesterGroups[0]": "empty",
        name: "required",
        "": "form-level",
      }),
      {
        requesterGroups: "entry 2: too long",
        name: "required",
        form: "form-level",
      },
    );
  });
});

describe("the policy form's justification switch", () => {
  const form = (entries: Array<[string, string]>) => {
    const data = new FormData();
    for (const [name, value] of entries) data.append(name, value);
    return data;
  };

  it("off means no justification, whatever length stays in the field", () => {
    assert.equal(policyFromForm(form([["minJustificationLength", "25"]])).minJustificationLength, 0);
  });

  it("on takes the length beside it, or the schema's default when it is empty", () => {
    const on: [string, string] = ["justificationRequired", "on"];
    assert.equal(policyFromForm(form([on, ["minJustificationLength", "25"]])).minJustificationLength, 25);
    assert.equal(policyFromForm(form([on, ["minJustificationLength", ""]])).minJustificationLength, undefined);
  });
});

describe("stages and escalation typed in the policy form", () => {
  const formWith = (fields: Record<string, string>): FormData => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    return form;
  };

  it("reads ordered stages and fills the approver groups with theirs", () => {
    const policy = policyFromForm(
      formWith({
        approverGroups: "ignored",
        stages: "Team lead: db-leads x1; Security: security-reviewers, db-owners x2",
        escalationGroups: "on-call",
        escalationAfterMinutes: "30",
      }),
    );
    assert.deepEqual(policy.stages, [
      { name: "Team lead", approverGroups: ["db-leads"], approvalsRequired: 1 },
      { name: "Security", approverGroups: ["security-reviewers", "db-owners"], approvalsRequired: 2 },
    ]);
    assert.deepEqual(policy.approverGroups, ["db-leads", "security-reviewers", "db-owners"]);
    assert.deepEqual(policy.escalationGroups, ["on-call"]);
    assert.equal(policy.escalationAfterMinutes, 30);
  });

  it("keeps the typed approver groups without stages, and leaves a stage without a count for the schema to refuse", () => {
    const plain = policyFromForm(formWith({ approverGroups: "db-approvers", stages: "" }));
    assert.deepEqual(plain.stages, []);
    assert.deepEqual(plain.approverGroups, ["db-approvers"]);
    assert.equal(plain.escalationAfterMinutes, null);
    const broken = policyFromForm(formWith({ stages: "Team lead: db-leads" }));
    assert.ok(Number.isNaN(broken.stages?.[0]?.approvalsRequired));
  });
});
