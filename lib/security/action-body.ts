/**
 * Server-action requests whose body Next.js cannot decode, refused in proxy.ts with a 4xx and
 * a reason before Next's decoder answers them with a 500 (a SyntaxError from `decodeReply`,
 * "Body exceeded 1 MB limit", a stack overflow on deep nesting, a reference to a row the body
 * does not have). Only the transport is checked here; the arguments themselves are checked by
 * each action through lib/security/server-action-guard.ts.
 *
 * React's reply protocol (what `encodeReply` sends): a fetch action (`Next-Action` header)
 * carries either one JSON value as text, or a multipart form whose fields named by a number
 * ("0" the root: the list of arguments; "1", "2"...) are JSON rows and whose other fields are the FormData arguments'
 * entries. A no-JavaScript form post (no header) is multipart with `$ACTION_…` fields.
 * Strings inside the JSON that start with "$" are references ("$1" a row, "$K2" a FormData,
 * "$D…" a date, "$$…" an escaped "$").
 */
import busboy from "next/dist/compiled/busboy";

/** Next's default `serverActions.bodySizeLimit` (next.config.js leaves it), refused here as 413. */
export const MAX_ACTION_BODY_BYTES = 1024 * 1024;
/** Deeper JSON is refused: no form or action of the portal sends more than a few levels. */
export const MAX_ACTION_JSON_DEPTH = 32;

export type TActionBodyVerdict = { ok: true } | { ok: false; status: 400 | 413; reason: string };

const refuse = (reason: string, status: 400 | 413 = 400): TActionBodyVerdict => ({ ok: false, status, reason });

/** Nesting depth of JSON text without parsing it (so a 100,000-deep array costs one pass). */
export const jsonDepth = (text: string): number => {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 92 /* \ */) i += 1;
      else if (char === 34 /* " */) inString = false;
    } else if (char === 34) inString = true;
    else if (char === 91 /* [ */ || char === 123 /* { */) max = Math.max(max, ++depth);
    else if (char === 93 /* ] */ || char === 125 /* } */) depth -= 1;
  }
  return max;
};

// References that stand alone ("$undefined", "$NaN", "$Infinity", "$-Infinity", "$-0", "$n12"
// bigint, "$D2026-…" date, "$$…" an escaped "$"); every other "$<tag><hex id>" names a row.
const SELF_CONTAINED = /^\$(?:undefined|NaN|Infinity|-Infinity|-0|n-?\d+|D.*|\$.*)$/s;
const ROW_REFERENCE = /^\$([A-Za-z@]?)([0-9a-f]+)$/;
// Tags a client's reply may use to point at a row: "$1" value, "$@1" promise, "$K1" FormData,
// "$Q1" Map, "$W1" Set, "$B1" Blob, "$i1" iterator, "$A1"… typed arrays are left out.
const REFERENCE_TAGS = new Set(["", "@", "K", "Q", "W", "B", "i"]);

/** What is wrong with one JSON row, or null; `rows` are the ids the body holds. */
const rowProblem = (
  name: string,
  text: string,
  hasRow: (id: number, tag: string) => boolean,
  root = false,
): string | null => {
  if (jsonDepth(text) > MAX_ACTION_JSON_DEPTH)
    return `argument ${name} is nested deeper than ${MAX_ACTION_JSON_DEPTH} levels`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `argument ${name} is not valid JSON`;
  }
  // A fetch action's root row is the list of its arguments.
  if (root && !Array.isArray(value)) return "the arguments are not a list";
  let problem: string | null = null;
  const visit = (node: unknown): void => {
    if (problem) return;
    if (typeof node === "string") {
      if (!node.startsWith("$") || SELF_CONTAINED.test(node)) return;
      const match = ROW_REFERENCE.exec(node);
      const tag = match?.[1] ?? "";
      if (!match?.[2] || !REFERENCE_TAGS.has(tag))
        problem = `argument ${name} holds an unsupported reference ${JSON.stringify(node.slice(0, 20))}`;
      else if (!hasRow(Number.parseInt(match[2], 16), tag))
        problem = `argument ${name} refers to a missing part ${JSON.stringify(node.slice(0, 20))}`;
    } else if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === "object") Object.values(node).forEach(visit);
  };
  visit(value);
  return problem;
};

/**
 * Multipart fields as Next.js reads them: with the same parser (busboy) and limits, so a body
 * it would choke on ("Malformed part header", no boundary) is refused here first. Files are
 * listed by name with a null value.
 */
const readMultipart = (bytes: Uint8Array, contentType: string): Promise<Array<[string, string | null]>> =>
  new Promise((resolve, reject) => {
    const entries: Array<[string, string | null]> = [];
    const parser = busboy({
      headers: { "content-type": contentType },
      defParamCharset: "utf8",
      limits: { fieldSize: MAX_ACTION_BODY_BYTES },
    });
    parser.on("field", (name, value) => void entries.push([name, value]));
    parser.on("file", (name, stream) => {
      entries.push([name, null]);
      stream.resume();
    });
    parser.on("close", () => resolve(entries));
    parser.on("error", reject);
    parser.end(Buffer.from(bytes));
  });

const declaredLength = (headers: Headers): number | null => {
  const value = headers.get("content-length");
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value);
};

/**
 * The verdict on a POST that Next.js would treat as a server action: `request` must be a
 * clone (its body is read). Anything else is `{ ok: true }`.
 */
export const checkServerActionBody = async (request: Request): Promise<TActionBodyVerdict> => {
  if (request.method !== "POST") return { ok: true };
  const isFetchAction = request.headers.has("next-action");
  const contentType = request.headers.get("content-type") ?? "";
  const isMultipart = contentType.toLowerCase().startsWith("multipart/form-data");
  if (!isFetchAction && !isMultipart) return { ok: true };

  const tooLarge = refuse(`The request body is larger than ${MAX_ACTION_BODY_BYTES / 1024 / 1024} MB.`, 413);
  const declared = declaredLength(request.headers);
  if (declared !== null && declared > MAX_ACTION_BODY_BYTES) return tooLarge;
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_ACTION_BODY_BYTES) return tooLarge;

  if (!isMultipart) {
    // A fetch action's single JSON value: it has no other rows to refer to.
    const text = new TextDecoder().decode(bytes);
    const problem = rowProblem("0", text, () => false, true);
    return problem ? refuse(`Malformed server action request: ${problem}.`) : { ok: true };
  }

  let entries: Array<[string, string | null]>;
  try {
    entries = await readMultipart(bytes, contentType);
  } catch {
    return refuse("Malformed server action request: the multipart body cannot be read.");
  }
  const names = entries.map(([name]) => name);
  const form = {
    has: (name: string) => names.includes(name),
    get: (name: string) => entries.find(([entry]) => entry === name)?.[1] ?? null,
  };
  // Fetch actions: rows "0", "1"… (prefix ""); form posts: "$ACTION_<n>:<row>" for bound arguments.
  const prefixes = isFetchAction
    ? [""]
    : [
        ...new Set(
          names
            .map((name) => /^(\$ACTION_\d+:)\d+$/.exec(name)?.[1])
            .filter((prefix): prefix is string => prefix !== undefined),
        ),
      ];
  if (isFetchAction && !form.has("0"))
    return refuse("Malformed server action request: the arguments (part 0) are missing.");
  for (const prefix of prefixes) {
    // A FormData argument ("$K1") is its entries "1_…", none when it is empty.
    const hasRow = (id: number, tag: string): boolean => tag === "K" || form.has(`${prefix}${id}`);
    for (const name of names) {
      const row = name.slice(prefix.length);
      if (!name.startsWith(prefix) || !/^\d+$/.test(row)) continue;
      const value = form.get(name);
      if (typeof value !== "string") continue;
      const problem = rowProblem(row, value, hasRow, isFetchAction && row === "0");
      if (problem) return refuse(`Malformed server action request: ${problem}.`);
    }
  }
  return { ok: true };
};
