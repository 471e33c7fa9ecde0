/**
 * A transmitter's signing keys, fetched from its JWKS URL through the outbound guard (an
 * administrator typed that URL: an internal address is refused unless OUTBOUND_ALLOWED_HOSTS
 * names it) and cached per web replica. A SET signed with a key the cache does not hold makes
 * one refetch (key rotation), at most every REFETCH_GAP_MS, so a stream of made-up `kid`s
 * cannot turn the receiver into a fetcher (ADR 0040).
 */
import { createLocalJWKSet, type JSONWebKeySet } from "jose";
import { z } from "zod";
import { OutboundError, outboundRequest, type TOutboundPolicy } from "../security/outbound";
import { SetError } from "./set-error";

export const JWKS_TTL_MS = 5 * 60_000;
const REFETCH_GAP_MS = 30_000;
const MAX_JWKS_BYTES = 256 * 1024;

type TKeySet = ReturnType<typeof createLocalJWKSet>;
type TCached = { url: string; fetchedAt: number; keys: TKeySet };

const ZJwks = z.object({
  keys: z
    .array(z.object({ kty: z.string() }).passthrough())
    .min(1)
    .max(100),
});

const globalForJwks = globalThis as unknown as { jitSignalJwks?: Map<string, TCached> };
const cache = (): Map<string, TCached> => (globalForJwks.jitSignalJwks ??= new Map());

/** Forgets every cached key set (tests; an administrator's change of a transmitter). */
export const forgetJwks = (transmitterId?: string): void => {
  if (transmitterId) cache().delete(transmitterId);
  else cache().clear();
};

const fetchJwks = async (url: string, policy: TOutboundPolicy | undefined): Promise<TKeySet> => {
  let body: Buffer | undefined;
  try {
    const response = await outboundRequest({
      url,
      method: "GET",
      headers: { accept: "application/jwk-set+json, application/json" },
      timeoutMs: 5_000,
      readBodyMaxBytes: MAX_JWKS_BYTES,
      ...(policy ? { policy } : {}),
    });
    if (response.errorClass) throw new OutboundError(response.errorClass, `answered ${response.status}`);
    body = response.body;
  } catch (error) {
    if (error instanceof OutboundError)
      throw new SetError("invalid_key", `The transmitter's JWKS could not be fetched: ${error.message}`);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(body?.toString("utf8") ?? "");
  } catch {
    throw new SetError("invalid_key", "The transmitter's JWKS is not JSON.");
  }
  const parsed = ZJwks.safeParse(json);
  if (!parsed.success) throw new SetError("invalid_key", "The transmitter's JWKS has no usable keys.");
  return createLocalJWKSet(parsed.data as JSONWebKeySet);
};

type TSigningKeysOptions = {
  transmitterId: string;
  jwksUrl: string;
  /** After a SET named a key the cached set lacks: refetch, unless fetched moments ago. */
  refresh?: boolean;
  policy?: TOutboundPolicy | undefined;
  now?: number;
};

/** The transmitter's key set, from the cache while fresh. `refreshed` says whether it was fetched now. */
export const signingKeys = async ({
  transmitterId,
  jwksUrl,
  refresh = false,
  policy,
  now = Date.now(),
}: TSigningKeysOptions): Promise<{ keys: TKeySet; refreshed: boolean }> => {
  const cached = cache().get(transmitterId);
  const usable = cached && cached.url === jwksUrl && now - cached.fetchedAt < JWKS_TTL_MS;
  if (usable && (!refresh || now - cached.fetchedAt < REFETCH_GAP_MS)) return { keys: cached.keys, refreshed: false };
  const keys = await fetchJwks(jwksUrl, policy);
  cache().set(transmitterId, { url: jwksUrl, fetchedAt: now, keys });
  return { keys, refreshed: true };
};
