/**
 * Cross-site request refusal: a state-changing request (POST, PUT, PATCH, DELETE) that a
 * browser sent from another site is refused before any route handler, page or server action
 * sees it, so a session cookie can never be ridden by another origin. Browsers send `Origin`
 * on such requests (and `Sec-Fetch-Site`); a request with neither comes from a non-browser
 * client, which holds no victim's cookie.
 */
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export type TOriginVerdict = { ok: true } | { ok: false; reason: string };

export const checkRequestOrigin = (
  request: { method: string; headers: Headers },
  appOrigin: string,
): TOriginVerdict => {
  if (!UNSAFE_METHODS.has(request.method.toUpperCase())) return { ok: true };
  const origin = request.headers.get("origin");
  if (origin !== null) {
    return origin === appOrigin
      ? { ok: true }
      : { ok: false, reason: `cross-site ${request.method} from ${origin.slice(0, 200)} refused` };
  }
  const site = request.headers.get("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") return { ok: false, reason: `${site} ${request.method} refused` };
  return { ok: true };
};
