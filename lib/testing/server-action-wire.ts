/**
 * Server actions on the wire, without a browser: the ids from the production build's manifest
 * (`.next/server/server-reference-manifest.json`, which names each action's file and export),
 * React's own reply encoder for the arguments, and the decoding of the flight answer. Pure
 * helpers shared by HTTP clients (the load bench's fetch client, and e2e/support/server-actions.ts
 * for Playwright's request context).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export type TServerAction = {
  id: string;
  /** `app/(portal)/requests/[id]/actions.ts#cancelRequestAction` */
  key: string;
  filename: string;
  exportedName: string;
  /** A page path whose bundle holds the action; POSTs go there, as the browser's do. */
  pagePath: string;
};

type TManifest = {
  node: Record<string, { workers: Record<string, unknown>; filename?: string; exportedName?: string }>;
};

export const DEFAULT_MANIFEST = path.resolve(import.meta.dirname, "../../.next/server/server-reference-manifest.json");

/** `app/(portal)/requests/[id]/page` → `/requests/x` (dynamic segments get a harmless value). */
export const pagePathOf = (worker: string): string => {
  const segments = worker
    .replace(/^app/, "")
    .replace(/\/page$/, "")
    .split("/")
    .filter((segment) => segment.length > 0 && !/^\(.*\)$/.test(segment))
    .map((segment) => (/^\[.*\]$/.test(segment) ? "x" : segment));
  return `/${segments.join("/")}`;
};

/** Every action the build contains, sorted by `file#export`. */
export const readServerActions = (manifestPath: string = DEFAULT_MANIFEST): TServerAction[] => {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as TManifest;
  return Object.entries(manifest.node)
    .map(([id, entry]) => {
      if (!entry.filename || !entry.exportedName)
        throw new Error(`server action ${id} has no filename/exportedName in the manifest`);
      const workers = Object.keys(entry.workers).sort();
      const worker = workers.find((name) => name.endsWith("/page")) ?? workers[0];
      if (!worker) throw new Error(`server action ${id} is in no page`);
      return {
        id,
        key: `${entry.filename}#${entry.exportedName}`,
        filename: entry.filename,
        exportedName: entry.exportedName,
        pagePath: pagePathOf(worker),
      };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
};

/** React's own reply encoder, the one the browser uses (Next's compiled copy). */
type TEncodeReply = (value: unknown) => Promise<string | FormData>;
export const { encodeReply } = createRequire(import.meta.url)(
  "next/dist/compiled/react-server-dom-webpack/client.node",
) as { encodeReply: TEncodeReply };

/**
 * The rows of a flight answer, by id. Most rows are `<id>:<json>\n`; a long string goes as a
 * text row, `<id>:T<hex byte length>,<bytes>` with no newline after it (and binary rows the
 * same way with other tags), so the answer is read as bytes, row by row.
 */
const flightRows = (text: string): Map<string, string> => {
  const bytes = Buffer.from(text, "utf8");
  const rows = new Map<string, string>();
  let at = 0;
  while (at < bytes.length) {
    const colon = bytes.indexOf(0x3a, at);
    if (colon < 0) break;
    const id = bytes.toString("latin1", at, colon);
    // Hint rows (`:HL[…]`, preloads) have no id.
    if (!/^[0-9a-f]*$/.test(id)) break;
    // A JSON row starts with `{ [ " t f n`, a digit or `-`, or a one-letter tag and a newline-ended body.
    const prefix = /^([TABCOoUSsLlGgMmV])([0-9a-f]+),/.exec(bytes.toString("latin1", colon + 1, colon + 24));
    if (prefix?.[1] && prefix[2]) {
      const start = colon + 1 + prefix[0].length;
      const length = Number.parseInt(prefix[2], 16);
      if (!rows.has(id))
        rows.set(id, prefix[1] === "T" ? JSON.stringify(bytes.toString("utf8", start, start + length)) : "null");
      at = start + length;
      continue;
    }
    const newline = bytes.indexOf(0x0a, colon);
    const end = newline < 0 ? bytes.length : newline;
    if (!rows.has(id)) rows.set(id, bytes.toString("utf8", colon + 1, end));
    at = end + 1;
  }
  return rows;
};

/** React's `$` strings in a flight value, resolved against the answer's other rows. */
const resolveFlight = (value: unknown, rows: Map<string, string>, depth = 0): unknown => {
  if (depth > 64) throw new Error("flight answer nests too deep");
  if (Array.isArray(value)) return value.map((item) => resolveFlight(item, rows, depth + 1));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveFlight(v, rows, depth + 1)]));
  if (typeof value !== "string" || !value.startsWith("$")) return value;
  if (value.startsWith("$$")) return value.slice(1);
  const special: Record<string, unknown> = {
    $undefined: undefined,
    $NaN: Number.NaN,
    $Infinity: Number.POSITIVE_INFINITY,
    "$-Infinity": Number.NEGATIVE_INFINITY,
    "$-0": -0,
  };
  if (value in special) return special[value];
  if (value.startsWith("$D")) return new Date(value.slice(2));
  if (value.startsWith("$n")) return BigInt(value.slice(2));
  // `$@1` (a promise), `$1` or `$1:path:to:field` (another row, or a part of one).
  const reference = /^\$@?([0-9a-f]+)((?::[^:]+)*)$/.exec(value);
  if (!reference?.[1]) return value;
  const row = rows.get(reference[1]);
  if (row === undefined) return undefined;
  let target: unknown = resolveFlight(JSON.parse(row), rows, depth + 1);
  for (const key of (reference[2] ?? "").split(":").slice(1))
    target = target && typeof target === "object" ? (target as Record<string, unknown>)[key] : undefined;
  return target;
};

/** The action's return value from a `text/x-component` answer; undefined when it returned none. */
export const parseFlight = (text: string): unknown => {
  const rows = flightRows(text);
  const root = rows.get("0");
  if (!root) return undefined;
  try {
    const head = JSON.parse(root) as { a?: unknown };
    return resolveFlight(head.a, rows);
  } catch {
    return undefined;
  }
};
