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
