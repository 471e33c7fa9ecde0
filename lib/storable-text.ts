/**
 * Text as PostgreSQL can store it and as the audit chain hashes it (ADR 0029). UTF-8 has no
 * encoding for a lone UTF-16 surrogate (`\uD800` without its pair) and PostgreSQL's text and
 * jsonb refuse NUL, so such text is either refused by the database (a 500 and a lost change)
 * or silently stored as something else than what was hashed (a false break in the audit
 * chain). Each lone surrogate and each NUL becomes U+FFFD, the replacement character, which is
 * what a UTF-8 encoder writes for a lone surrogate anyway; valid surrogate pairs (emoji) stay.
 */
const UNSTORABLE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/g;

export const storableText = (text: string): string => text.replace(UNSTORABLE, "\uFFFD");

/** A JSON value with `storableText` applied to every string in it, object keys included. */
export const storableJson = (value: unknown): unknown => {
  if (typeof value === "string") return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [storableText(key), storableJson(item)]),
    );
  }
  return value;
};
