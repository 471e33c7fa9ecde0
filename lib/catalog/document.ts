/**
 * Reading a catalog document: YAML or JSON text → plain data, with syntax errors located by
 * line and column; then the whole document checked against ZCatalogDocument, every problem
 * reported with its path (`resources[1].policies[0].ticketPattern`).
 */
import { parseDocument, stringify } from "yaml";
import { formatPath, parseWith, type TCatalogDocument, ZCatalogDocument } from "./schemas";

export type TCatalogFormat = "yaml" | "json";

export type TImportError = { file: string; path: string; message: string; line?: number; column?: number };

/** `file: path: message`, the form editors and CI logs understand. */
export const formatImportError = (error: TImportError): string =>
  `${error.file}: ${error.path ? `${error.path}: ` : ""}${error.message}`;

export const MAX_SOURCE_LENGTH = 1_000_000;

/** The caller's choice, else the file's extension, else the first character of the text. */
export const inferFormat = (options: { fileName: string; source: string; format?: TCatalogFormat }): TCatalogFormat => {
  if (options.format) return options.format;
  const name = options.fileName.toLowerCase();
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".yaml") || name.endsWith(".yml")) return "yaml";
  return /^\s*[[{]/.test(options.source) ? "json" : "yaml";
};

type TParsed = { ok: true; data: unknown } | { ok: false; errors: TImportError[] };

const lineColumnAt = (source: string, offset: number): { line: number; column: number } => {
  const before = source.slice(0, Math.max(0, Math.min(offset, source.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
};

/** yaml's messages end with " at line L, column C:" and a code excerpt: keep the reason. */
const yamlReason = (message: string): string => message.split(/ at line \d+, column \d+/)[0]?.trim() ?? message;

const parseYaml = (file: string, source: string): TParsed => {
  const document = parseDocument(source, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const position = error.linePos?.[0];
        const where = position ? ` at line ${position.line}, column ${position.col}` : "";
        return {
          file,
          path: "",
          message: `YAML syntax error${where}: ${yamlReason(error.message)}`,
          line: position?.line,
          column: position?.col,
        };
      }),
    };
  }
  try {
    // Aliases are expanded at most 100 times: a small file can't grow into a huge one.
    return { ok: true, data: document.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    return {
      ok: false,
      errors: [{ file, path: "", message: `YAML error: ${error instanceof Error ? error.message : String(error)}` }],
    };
  }
};

/**
 * Where JSON text first goes wrong (V8's messages don't always say), or -1 if it doesn't.
 * Only called after JSON.parse has refused the text.
 */
const jsonErrorOffset = (text: string): number => {
  let at = 0;
  const fail: () => never = () => {
    throw at;
  };
  const space = () => {
    while (at < text.length && " \t\n\r".includes(text[at] as string)) at += 1;
  };
  const expect = (char: string) => {
    space();
    if (text[at] !== char) fail();
    at += 1;
  };
  const string = () => {
    expect('"');
    for (;;) {
      const char = text[at];
      if (char === undefined || char.charCodeAt(0) < 0x20) fail();
      if (char === '"') return void (at += 1);
      if (char === "\\") {
        const next = text[at + 1] ?? "";
        if ('"\\/bfnrt'.includes(next) && next !== "") at += 2;
        else if (next === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) at += 6;
        else {
          at += 1;
          fail();
        }
      } else at += 1;
    }
  };
  const scalar = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const value = (): void => {
    space();
    const char = text[at];
    if (char === "{" || char === "[") {
      const close = char === "{" ? "}" : "]";
      at += 1;
      space();
      if (text[at] === close) return void (at += 1);
      for (;;) {
        if (close === "}") {
          string();
          expect(":");
        }
        value();
        space();
        if (text[at] === ",") at += 1;
        else if (text[at] === close) return void (at += 1);
        else fail();
      }
    }
    if (char === '"') return string();
    scalar.lastIndex = at;
    const match = scalar.exec(text);
    if (!match) fail();
    at += match[0].length;
  };
  try {
    value();
    space();
    return at < text.length ? at : -1;
  } catch (offset) {
    return typeof offset === "number" ? offset : -1; // a RangeError: nesting too deep to walk
  }
};

const parseJson = (file: string, source: string): TParsed => {
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = jsonErrorOffset(source);
    const position = offset >= 0 ? lineColumnAt(source, offset) : undefined;
    // V8 appends "in JSON at position 42", or quotes the text around the error: drop both.
    const reason = message
      .replace(/,\s*(\.\.\.)?".*" is not valid JSON$/s, "")
      .replace(/\s*(in JSON )?at position \d+.*$/s, "")
      .replace(/\n/g, "\\n")
      .trim();
    const where = position ? ` at line ${position.line}, column ${position.column}` : "";
    return {
      ok: false,
      errors: [
        {
          file,
          path: "",
          message: `JSON syntax error${where}: ${reason}`,
          line: position?.line,
          column: position?.column,
        },
      ],
    };
  }
  // JSON.parse keeps the last of two equal keys, silently; a reviewer reads the first. Refuse.
  const duplicates = parseDocument(source, { uniqueKeys: true, prettyErrors: true }).errors.filter(
    (error) => error.code === "DUPLICATE_KEY",
  );
  if (duplicates.length > 0) {
    return {
      ok: false,
      errors: duplicates.map((error) => {
        const position = error.linePos?.[0];
        const where = position ? ` at line ${position.line}, column ${position.col}` : "";
        return {
          file,
          path: "",
          message: `JSON error${where}: the same key appears twice in one object`,
          line: position?.line,
          column: position?.col,
        };
      }),
    };
  }
  return { ok: true, data };
};

/** Text → data, or the syntax errors with their line and column. */
export const parseCatalogSource = (options: { source: string; fileName: string; format: TCatalogFormat }): TParsed => {
  const { source, fileName: file, format } = options;
  if (source.length > MAX_SOURCE_LENGTH)
    return {
      ok: false,
      errors: [{ file, path: "", message: `the document is larger than ${MAX_SOURCE_LENGTH} characters` }],
    };
  if (source.trim() === "") return { ok: false, errors: [{ file, path: "", message: "the document is empty" }] };
  return format === "json" ? parseJson(file, source) : parseYaml(file, source);
};

/** Data → a valid document, or every problem in it at once. */
export const validateCatalogDocument = (options: {
  data: unknown;
  fileName: string;
}): { document: TCatalogDocument; errors: [] } | { document: undefined; errors: TImportError[] } => {
  const parsed = parseWith(ZCatalogDocument, options.data);
  if (parsed.data !== undefined) return { document: parsed.data, errors: [] };
  return {
    document: undefined,
    errors: parsed.issues.map((issue) => ({
      file: options.fileName,
      path: formatPath(issue.path),
      message: issue.message,
    })),
  };
};

/** The document as text: two-space JSON, or YAML in the same key order. */
export const serializeCatalogDocument = (document: TCatalogDocument, format: TCatalogFormat): string =>
  format === "json" ? `${JSON.stringify(document, null, 2)}\n` : stringify(document, { lineWidth: 0 });
