import { badRequest } from "./errors";

/**
 * The filters this service provider answers (RFC 7644 §3.4.2.2): one `<attribute> eq "<value>"`
 * comparison, which is what Okta and Entra ID send to find a person or a group before they
 * create it. Anything else is `invalidFilter`, never guessed at.
 */
export type TFilter = { attribute: string; value: string };

const COMPARISON = /^\s*([A-Za-z][\w.:-]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i;

export const parseFilter = (filter: string | null, allowed: readonly string[]): TFilter | null => {
  if (filter === null || filter.trim() === "") return null;
  if (filter.length > 1000) throw badRequest("invalidFilter", "The filter is too long.");
  const match = COMPARISON.exec(filter);
  if (!match) throw badRequest("invalidFilter", 'Only `<attribute> eq "<value>"` filters are supported.');
  const [, rawAttribute = "", rawValue = ""] = match;
  const attribute = allowed.find((name) => name.toLowerCase() === rawAttribute.toLowerCase());
  if (!attribute) throw badRequest("invalidFilter", `Filtering on ${rawAttribute.slice(0, 100)} is not supported.`);
  let value: string;
  try {
    value = JSON.parse(`"${rawValue}"`) as string;
  } catch {
    throw badRequest("invalidFilter", "The filter's value is not a valid string.");
  }
  return { attribute, value };
};

/** startIndex (1-based) and count, as RFC 7644 §3.4.2.4 says: out-of-range values are clamped, not refused. */
export const parsePagination = (params: URLSearchParams, maxCount: number): { skip: number; take: number } => {
  const number = (name: string): number | null => {
    const raw = params.get(name);
    if (raw === null || raw.trim() === "") return null;
    if (!/^-?\d{1,9}$/.test(raw.trim())) throw badRequest("invalidValue", `${name} must be an integer.`);
    return Number(raw);
  };
  const startIndex = Math.max(1, number("startIndex") ?? 1);
  const count = Math.min(maxCount, Math.max(0, number("count") ?? maxCount));
  return { skip: startIndex - 1, take: count };
};
