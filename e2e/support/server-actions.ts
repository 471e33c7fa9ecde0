/**
 * Server actions as an attacker reaches them: over HTTP, by id, with any arguments, through
 * Playwright's request context. The wire format (manifest ids, React's encoder, the flight
 * answer) is lib/testing/server-action-wire.ts, shared with the load bench's fetch client.
 * Tests address actions as `file#export`, and every action the build contains can be
 * enumerated (a new action without a test row fails the suites that enumerate them).
 */
import type { APIRequestContext } from "@playwright/test";
import { encodeReply, parseFlight, readServerActions, type TServerAction } from "../../lib/testing/server-action-wire";
import { APP_URL } from "./env";

export type { TServerAction };

export const serverActions = (): TServerAction[] => readServerActions();

export const serverAction = (key: string): TServerAction => {
  const found = serverActions().find((action) => action.key === key);
  if (!found) throw new Error(`no server action ${key} in the build`);
  return found;
};

/** A FormData of plain fields, for actions that take one (`useActionState` forms). */
export const formData = (fields: Record<string, string>): FormData => {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
};

export type TActionAnswer = {
  status: number;
  /** The action's return value, when it returned one. */
  result: unknown;
  /** Where the action redirected, from `x-action-redirect` (e.g. to sign-in). */
  redirect: string | null;
  body: string;
};

/**
 * POSTs to a server action as React does (arguments through React's encoder; FormData
 * arguments become multipart). `body` replaces the encoded arguments with raw text (for
 * hostile-input tests).
 */
export const callServerAction = async (
  request: APIRequestContext,
  action: TServerAction,
  args: readonly unknown[],
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<TActionAnswer> => {
  const encoded = options.body ?? (await encodeReply(args));
  // A header given as "" is left out (e.g. no Origin at all, as a non-browser client sends).
  const headers = Object.fromEntries(
    Object.entries({
      "next-action": action.id,
      accept: "text/x-component",
      origin: APP_URL,
      ...options.headers,
    }).filter(([, value]) => value !== ""),
  );
  const response = await request.post(action.pagePath, {
    // A string goes as text/plain, as React sends it; a FormData as multipart.
    ...(typeof encoded === "string"
      ? { headers: { "content-type": "text/plain;charset=UTF-8", ...headers }, data: encoded }
      : { headers, multipart: encoded }),
    maxRedirects: 0,
    failOnStatusCode: false,
  });
  const body = await response.text();
  const contentType = response.headers()["content-type"] ?? "";
  let result: unknown;
  if (contentType.includes("text/x-component")) {
    try {
      result = parseFlight(body);
    } catch {
      result = undefined;
    }
  }
  return { status: response.status(), result, redirect: response.headers()["x-action-redirect"] ?? null, body };
};
