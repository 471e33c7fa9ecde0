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
