/**
 * PATCH (RFC 7644 §3.5.2) over a resource's SCIM document: the operations are applied in order
 * to a copy of what GET returns, and the caller then validates the result exactly as a PUT,
 * so a PATCH can never store what a PUT would refuse. Shapes the IdPs send, all accepted:
 * - Okta: `{"op":"replace","value":{"active":false}}` (no path), `{"op":"add","path":"members",
 *   "value":[{"value":"<id>"}]}`, `{"op":"remove","path":"members[value eq \"<id>\"]"}`.
 * - Entra ID: `"op":"Replace"` (any case), `{"op":"Replace","path":"active","value":"False"}`
 *   (booleans as strings, normalised by the resource's schema), `emails[type eq "work"].value`,
 *   `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}`, schema-qualified paths
 *   (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`).
 * Attributes this portal does not keep are accepted and dropped by the schema, as a PUT's are.
 */
import { z } from "zod";
import { badRequest } from "./errors";

export const PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const MAX_OPERATIONS = 1000;

export type TScimDocument = Record<string, unknown>;

const ZPatchBody = z.object({
  // Required by RFC 7644, but some directories leave it out: when present it must name PatchOp.
  schemas: z
    .array(z.string())
    .refine((list) => list.includes(PATCH_OP_SCHEMA), `schemas must name ${PATCH_OP_SCHEMA}`)
    .optional(),
  Operations: z
    .array(
      z.object({
        op: z
          .string()
          .transform((op) => op.toLowerCase())
          .pipe(z.enum(["add", "replace", "remove"])),
        path: z.string().max(500).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(MAX_OPERATIONS),
});

type TOperation = z.infer<typeof ZPatchBody>["Operations"][number];
type TPath = { attribute: string; filter: { attribute: string; value: string } | null; sub: string | null };

const ATTRIBUTE = "[A-Za-z][\\w$-]*";
const PATH = new RegExp(
  `^(${ATTRIBUTE})(?:\\[\\s*(${ATTRIBUTE})\\s+eq\\s+"((?:[^"\\\\]|\\\\.)*)"\\s*\\])?(?:\\.(${ATTRIBUTE}))?$`,
  "i",
);
const CORE_PREFIX = /^urn:ietf:params:scim:schemas:core:2\.0:(?:User|Group):/i;
const ANY_URN = /^urn:[^[\]]*:/i;

/** Path grammar (RFC 7644 §3.5.2): `attr`, `attr.sub`, `attr[sub eq "v"]`, `attr[sub eq "v"].sub`. */
const parsePath = (raw: string): TPath | null => {
  let path = raw.trim().replace(CORE_PREFIX, "");
  // An extension's attribute (`urn:...:enterprise:2.0:User:department`): not kept here.
  if (ANY_URN.test(path)) {
    const rest = path.replace(ANY_URN, "");
    if (!PATH.test(rest)) throw badRequest("invalidPath", `The path ${raw.slice(0, 200)} is not valid.`);
    return null;
  }
  const match = PATH.exec(path);
  if (!match) throw badRequest("invalidPath", `The path ${raw.slice(0, 200)} is not valid.`);
  const [, attribute = "", filterAttribute, filterValue, sub] = match;
  let value = "";
  if (filterAttribute !== undefined) {
    try {
      value = JSON.parse(`"${filterValue ?? ""}"`) as string;
    } catch {
      throw badRequest("invalidPath", "The path's filter value is not a valid string.");
    }
  }
  path = attribute;
  return {
    attribute: path,
    filter: filterAttribute !== undefined ? { attribute: filterAttribute, value } : null,
    sub: sub ?? null,
  };
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The document's own key for `name`, compared without case (SCIM attribute names are case-insensitive). */
const keyOf = (document: TScimDocument, name: string): string =>
  Object.keys(document).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name;

const matches = (element: unknown, filter: { attribute: string; value: string }): boolean => {
  if (!isObject(element)) return false;
  const actual = element[keyOf(element, filter.attribute)];
  return typeof actual === "string" || typeof actual === "boolean" || typeof actual === "number"
    ? String(actual).toLowerCase() === filter.value.toLowerCase()
    : false;
};

const sameMember = (a: unknown, b: unknown): boolean =>
  isObject(a) && isObject(b) && a.value !== undefined && a.value === b.value;

const setAttribute = (target: TScimDocument, name: string, value: unknown, op: "add" | "replace"): void => {
  const key = keyOf(target, name);
  const current = target[key];
  if (op === "add" && Array.isArray(current)) {
    const added = Array.isArray(value) ? value : [value];
    target[key] = [...current, ...added.filter((item) => !current.some((existing) => sameMember(existing, item)))];
  } else if (op === "add" && isObject(current) && isObject(value)) {
    target[key] = { ...current, ...value };
  } else {
    target[key] = value;
  }
};

const applyWithPath = (document: TScimDocument, operation: TOperation, path: TPath): void => {
  const key = keyOf(document, path.attribute);
  const { op } = operation;
  if (path.filter) {
    const list = Array.isArray(document[key]) ? (document[key] as unknown[]) : [];
    const filter = path.filter;
    if (op === "remove") {
      document[key] = path.sub
        ? list.map((element) => {
            if (!matches(element, filter) || !isObject(element)) return element;
            const copy = { ...element };
            delete copy[keyOf(copy, path.sub ?? "")];
            return copy;
          })
        : list.filter((element) => !matches(element, filter));
      return;
    }
    const hits = list.filter((element) => matches(element, filter));
    if (hits.length === 0) {
      // Entra ID replaces `emails[type eq "work"].value` on a person who has no work address yet.
      const created: Record<string, unknown> = { [filter.attribute]: filter.value };
      if (path.sub) created[path.sub] = operation.value;
      else if (isObject(operation.value)) Object.assign(created, operation.value);
      else throw badRequest("invalidValue", "The value for a filtered path must be an object.");
      document[key] = [...list, created];
      return;
    }
    document[key] = list.map((element) => {
      if (!matches(element, filter) || !isObject(element)) return element;
      if (path.sub) return { ...element, [keyOf(element, path.sub)]: operation.value };
      if (!isObject(operation.value))
        throw badRequest("invalidValue", "The value for a filtered path must be an object.");
      return op === "add" ? { ...element, ...operation.value } : { ...operation.value };
    });
    return;
  }
  if (path.sub) {
    const parent = isObject(document[key]) ? { ...(document[key] as Record<string, unknown>) } : {};
    if (op === "remove") delete parent[keyOf(parent, path.sub)];
    else setAttribute(parent, path.sub, operation.value, op);
    document[key] = parent;
    return;
  }
  if (op === "remove") {
    // Entra ID removes members by value list on the plain path.
    if (Array.isArray(operation.value) && Array.isArray(document[key])) {
      const removed = operation.value;
      document[key] = (document[key] as unknown[]).filter(
        (element) => !removed.some((gone) => sameMember(element, gone)),
      );
    } else {
      delete document[key];
    }
    return;
  }
  if (operation.value === undefined) throw badRequest("invalidValue", `The ${op} of ${path.attribute} needs a value.`);
  setAttribute(document, path.attribute, operation.value, op);
};

const applyOne = (document: TScimDocument, operation: TOperation): void => {
  if (operation.path !== undefined && operation.path.trim() !== "") {
    const path = parsePath(operation.path);
    if (path) applyWithPath(document, operation, path);
    return;
  }
  if (operation.op === "remove") throw badRequest("noTarget", "A remove operation needs a path.");
  if (!isObject(operation.value))
    throw badRequest("invalidValue", `A ${operation.op} without a path needs an object value.`);
  for (const [name, value] of Object.entries(operation.value)) {
    // A path-less value's keys are paths too (Entra ID sends `"name.givenName"` and schema URNs there).
    const path = parsePath(name);
    if (path) applyWithPath(document, { op: operation.op, value }, path);
  }
};

/** The document after the body's operations, or a SCIM 400 saying which part is wrong. */
export const applyPatch = (document: TScimDocument, body: unknown): TScimDocument => {
  const parsed = ZPatchBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(
      "invalidSyntax",
      `Invalid PatchOp: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const copy = structuredClone(document);
  for (const operation of parsed.data.Operations) applyOne(copy, operation);
  return copy;
};
