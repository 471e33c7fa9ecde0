/**
 * One simulated person for the load bench: a cookie jar over Node's fetch, the portal's sign-in
 * through the IdP as a browser makes it (next-auth's OIDC redirects, the IdP's login form), page
 * views, and server actions called as React calls them (lib/testing/server-action-wire.ts).
 */
import { encodeReply, parseFlight, type TServerAction } from "../lib/testing/server-action-wire";

type TCookie = { value: string; path: string; expiresAt: number };

/**
 * Cookies by host name, as browsers keep them (the port is not part of a cookie's scope, so
 * the portal's and the IdP's cookies on `localhost` share a jar, with different names), with
 * Path and Max-Age/Expires honoured.
 */
export const createCookieJar = () => {
  const hosts = new Map<string, Map<string, TCookie>>();
  const store = (url: URL, headers: Headers): void => {
    for (const line of headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let cookiePath = "/";
      let expiresAt = Number.POSITIVE_INFINITY;
      for (const attribute of attributes) {
        const [key = "", raw = ""] = attribute.split("=", 2).map((part) => part.trim());
        const lower = key.toLowerCase();
        if (lower === "path" && raw.startsWith("/")) cookiePath = raw;
        else if (lower === "max-age") expiresAt = Date.now() + Number(raw) * 1000;
        else if (lower === "expires" && expiresAt === Number.POSITIVE_INFINITY) expiresAt = Date.parse(raw);
      }
      const jar = hosts.get(url.hostname) ?? new Map<string, TCookie>();
      hosts.set(url.hostname, jar);
      if (expiresAt <= Date.now() || value === "") jar.delete(name);
      else jar.set(name, { value, path: cookiePath, expiresAt });
    }
  };
  const header = (url: URL): string => {
    const jar = hosts.get(url.hostname);
    if (!jar) return "";
    const now = Date.now();
    return [...jar]
      .filter(
        ([, cookie]) =>
          cookie.expiresAt > now &&
          (url.pathname === cookie.path ||
            url.pathname.startsWith(cookie.path.endsWith("/") ? cookie.path : `${cookie.path}/`)),
      )
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join("; ");
  };
  const names = (hostname: string): string[] => [...(hosts.get(hostname)?.keys() ?? [])];
  return { store, header, names };
};

export type TActionAnswer = {
  status: number;
  /** The action's return value, when it returned one. */
  result: unknown;
  /** Where the action redirected (`x-action-redirect`, without React's `;push`). */
  redirect: string | null;
};

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    what: string,
  ) {
    super(`HTTP ${status} from ${what}`);
  }
}

const MAX_HOPS = 12;

export const createHttpUser = (options: { appUrl: string; userAgent: string }) => {
  const jar = createCookieJar();
  const appOrigin = new URL(options.appUrl).origin;

  /** One request, no redirect following; cookies in and out. */
  const send = async (
    url: URL,
    init: { method?: string; headers?: Record<string, string>; body?: string | FormData | URLSearchParams } = {},
  ): Promise<Response> => {
    const cookie = jar.header(url);
    const response = await fetch(url, {
      method: init.method ?? "GET",
      redirect: "manual",
      headers: { "user-agent": options.userAgent, ...(cookie ? { cookie } : {}), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    jar.store(url, response.headers);
    return response;
  };

  /**
   * The sign-in a browser makes: next-auth's CSRF token, its sign-in POST (the button's
   * `signIn("oidc")`), the IdP's authorization endpoint, its login form (a POST choosing `sub`),
   * and the redirects back to the portal's callback, which sets the session cookie.
   */
  const signIn = async (sub: string): Promise<void> => {
    const csrf = await send(new URL("/api/auth/csrf", appOrigin));
    if (!csrf.ok) throw new HttpStatusError(csrf.status, "/api/auth/csrf");
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const start = await send(new URL("/api/auth/signin/oidc", appOrigin), {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: appOrigin,
        "x-auth-return-redirect": "1",
      },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${appOrigin}/`, json: "true" }),
    });
    if (!start.ok) throw new HttpStatusError(start.status, "/api/auth/signin/oidc");
    let next = new URL(((await start.json()) as { url: string }).url);
    let posted = false;
    for (let hop = 0; hop < MAX_HOPS; hop += 1) {
      const response = await send(next);
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.arrayBuffer();
        next = new URL(location, next);
        // Back at the portal, past its callback: signed in.
        if (next.origin === appOrigin && !next.pathname.startsWith("/api/auth/")) break;
        continue;
      }
      const body = await response.text();
      const interaction = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(next.pathname);
      if (response.status === 200 && interaction && !posted && body.includes(`value="${sub}"`)) {
        posted = true;
        const login = await send(new URL(`${next.pathname}/login`, next), {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", origin: next.origin },
          body: new URLSearchParams({ sub }),
        });
        const after = login.headers.get("location");
        await login.arrayBuffer();
        if (!after) throw new HttpStatusError(login.status, "the IdP's login form");
        next = new URL(after, next);
        continue;
      }
      throw new HttpStatusError(response.status, `${next.origin}${next.pathname} during sign-in`);
    }
    if (!jar.names(new URL(appOrigin).hostname).some((name) => name.includes("session-token")))
      throw new Error(`no session cookie after signing in as ${sub}`);
  };

  /** A page view: the HTML a browser's navigation gets. A redirect (to sign-in) is an error. */
  const page = async (pathname: string): Promise<string> => {
    const response = await send(new URL(pathname, appOrigin), { headers: { accept: "text/html" } });
    const body = await response.text();
    if (response.status !== 200) throw new HttpStatusError(response.status, `GET ${pathname}`);
    return body;
  };

  /**
   * A server action as React posts it from the page at `pathname`: arguments through React's
   * encoder (FormData arguments become multipart), the action's id in `next-action`.
   */
  const action = async (
    serverAction: TServerAction,
    args: readonly unknown[],
    pathname: string = serverAction.pagePath,
  ): Promise<TActionAnswer> => {
    const encoded = await encodeReply(args);
    const response = await send(new URL(pathname, appOrigin), {
      method: "POST",
      headers: {
        "next-action": serverAction.id,
        accept: "text/x-component",
        origin: appOrigin,
        ...(typeof encoded === "string" ? { "content-type": "text/plain;charset=UTF-8" } : {}),
      },
      body: encoded,
    });
    const body = await response.text();
    const redirect = response.headers.get("x-action-redirect")?.split(";")[0] ?? null;
    let result: unknown;
    if ((response.headers.get("content-type") ?? "").includes("text/x-component")) {
      try {
        result = parseFlight(body);
      } catch {
        result = undefined;
      }
    }
    return { status: response.status, result, redirect };
  };

  return { signIn, page, action };
};

export type THttpUser = ReturnType<typeof createHttpUser>;
