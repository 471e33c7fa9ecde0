/**
 * Where to send someone after sign-in: only a path on this portal. Anything that a browser
 * could read as another origin (`//evil`, `/\evil`, `https://evil`, control characters) is
 * replaced by the home page.
 */
export const safeCallbackPath = (value: string | undefined, appUrl: string): string => {
  if (!value || !value.startsWith("/") || /[\\\u0000-\u001f]/.test(value)) return "/";
  try {
    const base = new URL(appUrl);
    const target = new URL(value, base);
    if (target.origin !== base.origin) return "/";
    return `${target.pathname}${target.search}${target.hash}`;
  } catch {
    return "/";
  }
};

/**
 * next-auth's `redirect` callback: where sign-in and sign-out send the browser, as an absolute
 * URL on this portal. next-auth's default runs `new URL(callbackUrl)` on whatever the request
 * carried and throws (a 500) on text that is no URL; here anything unusable is the home page.
 */
export const safeRedirectUrl = (url: string, baseUrl: string): string => {
  const base = new URL(baseUrl);
  let path = url;
  if (!url.startsWith("/")) {
    try {
      const target = new URL(url);
      path = target.origin === base.origin ? `${target.pathname}${target.search}${target.hash}` : "/";
    } catch {
      path = "/";
    }
  }
  return new URL(safeCallbackPath(path, baseUrl), base).toString();
};

/**
 * Whether next-auth 4 accepts a `callbackUrl` (query parameter or its callback-url cookie): an
 * http(s) URL, or a path. It answers any other one with a 500 ("server configuration"), on
 * every /api/auth route, before any callback of ours runs; the route refuses it first.
 */
export const isAcceptableCallbackUrl = (value: string, appUrl: string): boolean => {
  try {
    return /^https?:$/.test(new URL(value, value.startsWith("/") ? appUrl : undefined).protocol);
  } catch {
    return false;
  }
};

/**
 * Whether next-auth 4 can pass an `error` query parameter on to the error page: it puts the
 * value into the redirect's Location header unencoded, so a character outside Latin-1 makes
 * the header invalid and the answer a 500. Its own codes are plain words ("OAuthSignin",
 * "AccessDenied"); anything else is refused by the route first.
 */
export const isAcceptableErrorCode = (value: string): boolean => /^[A-Za-z0-9_-]{0,64}$/.test(value);
