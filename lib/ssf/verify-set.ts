/**
 * Verifies a Security Event Token (RFC 8417) from one transmitter: a JWS (never `alg: none`,
 * never a MAC), signed by a key of the transmitter's JWKS, with its issuer and audience, a
 * `jti`, an `iat` no older than SET_MAX_AGE_SECONDS (and not in the future beyond the skew),
 * and at least one event. Each failure is a SetError with the RFC 8935 code (ADR 0040).
 * The `jti` is checked against replays by the caller, in the transaction that acts on the SET.
 */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import { z } from "zod";
import type { TOutboundPolicy } from "../security/outbound";
import { signingKeys } from "./jwks";
import { SetError } from "./set-error";

export const SET_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];
/** A SET older than this is refused: the replay store keeps every jti longer (JTI_KEEP_MS). */
export const SET_MAX_AGE_SECONDS = 10 * 60;
const CLOCK_SKEW_SECONDS = 60;
const SET_TYPES = new Set(["secevent+jwt", "application/secevent+jwt"]);

export type TTransmitterKeys = { id: string; issuer: string; audience: string; jwksUrl: string };
export type TVerifiedSet = {
  jti: string;
  issuedAt: Date;
  events: Record<string, unknown>;
  subId: unknown;
};

const ZSetClaims = z.object({
  jti: z.string().min(1).max(200),
  iat: z.number(),
  events: z
    .record(z.string().max(500), z.unknown())
    .refine((events) => Object.keys(events).length >= 1 && Object.keys(events).length <= 20, "1 to 20 events"),
  sub_id: z.unknown().optional(),
});

const refusalOf = (error: unknown): SetError => {
  if (error instanceof SetError) return error;
  if (error instanceof joseErrors.JWTExpired)
    return new SetError(
      "invalid_request",
      `The SET is too old (iat more than ${SET_MAX_AGE_SECONDS / 60} minutes ago).`,
    );
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return new SetError("invalid_issuer", "The SET's iss is not this transmitter's issuer.");
    if (error.claim === "aud")
      return new SetError("invalid_audience", "The SET's aud is not this receiver's audience.");
    return new SetError("invalid_request", `The SET's ${error.claim} claim is invalid (${error.reason}).`);
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  )
    return new SetError("invalid_key", "The SET's signature does not verify with the transmitter's keys.");
  if (error instanceof joseErrors.JOSEError)
    return new SetError("invalid_request", "The SET is not a valid signed JWT.");
  throw error;
};

type TVerifySetOptions = {
  token: string;
  transmitter: TTransmitterKeys;
  now: Date;
  outboundPolicy?: TOutboundPolicy | undefined;
};

export const verifySet = async ({
  token,
  transmitter,
  now,
  outboundPolicy,
}: TVerifySetOptions): Promise<TVerifiedSet> => {
  if (token.split(".").length !== 3)
    throw new SetError("invalid_request", "The body is not a signed JWT (JWS compact).");
  let alg: unknown;
  let typ: unknown;
  try {
    ({ alg, typ } = decodeProtectedHeader(token));
  } catch {
    throw new SetError("invalid_request", "The SET's header is not valid JSON.");
  }
  if (typeof alg !== "string" || !SET_ALGORITHMS.includes(alg))
    throw new SetError("invalid_request", `The SET must be signed with a public key (${SET_ALGORITHMS.join(", ")}).`);
  if (typ !== undefined && !(typeof typ === "string" && SET_TYPES.has(typ.toLowerCase())))
    throw new SetError("invalid_request", "The SET's typ must be secevent+jwt.");

  const verifyWith = async (refresh: boolean) => {
    const { keys, refreshed } = await signingKeys({
      transmitterId: transmitter.id,
      jwksUrl: transmitter.jwksUrl,
      refresh,
      policy: outboundPolicy,
      now: now.getTime(),
    });
    try {
      return await jwtVerify(token, keys, {
        algorithms: SET_ALGORITHMS,
        issuer: transmitter.issuer,
        audience: transmitter.audience,
        maxTokenAge: SET_MAX_AGE_SECONDS,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: now,
        requiredClaims: ["iat", "jti"],
      });
    } catch (error) {
      // A key the cached set lacks may be a rotation: fetch once more (throttled in jwks.ts).
      const unknownKey =
        error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWSSignatureVerificationFailed;
      if (unknownKey && !refresh && !refreshed) return null;
      throw error;
    }
  };

  let payload: JWTPayload | undefined;
  try {
    payload = ((await verifyWith(false)) ?? (await verifyWith(true)))?.payload;
  } catch (error) {
    throw refusalOf(error);
  }
  if (!payload) throw new SetError("invalid_key", "The SET's signature does not verify with the transmitter's keys.");
  if (typeof payload.iat === "number" && payload.iat > now.getTime() / 1000 + CLOCK_SKEW_SECONDS)
    throw new SetError("invalid_request", "The SET's iat is in the future.");
  const claims = ZSetClaims.safeParse(payload);
  if (!claims.success)
    throw new SetError("invalid_request", "The SET needs a jti (up to 200 characters), an iat and 1 to 20 events.");
  return {
    jti: claims.data.jti,
    issuedAt: new Date(claims.data.iat * 1000),
    events: claims.data.events,
    subId: claims.data.sub_id,
  };
};
