/**
 * Person access tokens for the engineers' API (/api/v1/me/...): ES256 JWTs signed with the
 * services API's key ring, for an audience of their own, so a service token is refused by
 * /me and a person token by every service route (aud is checked on both sides).
 * docs/decisions/0044-person-tokens-device-grant.md.
 */
import { randomUUID } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { getConfig } from "../config";
import { TOKEN_ALG } from "../services/scopes";
import type { TKeyRing } from "../services/signing-keys";

/** `aud` of every person token; service tokens carry "jit-access". */
export const PERSON_TOKEN_AUDIENCE = "jit-access-person";
/** Person access tokens live 15 minutes, like service tokens. */
export const PERSON_TOKEN_TTL_SECONDS = 900;
/** A refresh token unused for this long is dead; each use issues a new one. */
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

export type TPersonToken = { userId: string; deviceId: string; expiresAtMs: number; jti: string };

export class PersonTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PersonTokenError";
  }
}

export const signPersonToken = async (options: {
  keyRing: TKeyRing;
  userId: string;
  deviceId: string;
  now: Date;
}): Promise<{ token: string; expiresIn: number }> => {
  const signer = options.keyRing.signer;
  if (!signer) throw new Error("no signing key loaded");
  const iat = Math.floor(options.now.getTime() / 1000);
  const token = await new SignJWT({ did: options.deviceId })
    .setProtectedHeader({ alg: TOKEN_ALG, kid: signer.kid, typ: "at+jwt" })
    .setIssuer(getConfig().appUrl)
    .setSubject(options.userId)
    .setAudience(PERSON_TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + PERSON_TOKEN_TTL_SECONDS)
    .setJti(randomUUID())
    .sign(signer.key);
  return { token, expiresIn: PERSON_TOKEN_TTL_SECONDS };
};

/** Signature (ES256 only), exp, iss and the person audience. Whether the device still stands is the caller's check. */
export const verifyPersonToken = async (token: string, keyRing: TKeyRing, now = Date.now()): Promise<TPersonToken> => {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? keyRing.verifiers.get(header.kid) : undefined;
        if (!key) throw new PersonTokenError("unknown signing key");
        return key;
      },
      {
        algorithms: [TOKEN_ALG],
        issuer: getConfig().appUrl,
        audience: PERSON_TOKEN_AUDIENCE,
        currentDate: new Date(now),
        clockTolerance: 0,
        requiredClaims: ["exp", "iat", "jti", "sub"],
      },
    );
    if (
      typeof payload.sub !== "string" ||
      typeof payload.exp !== "number" ||
      typeof payload.jti !== "string" ||
      typeof payload.did !== "string"
    )
      throw new PersonTokenError("malformed claims");
    return { userId: payload.sub, deviceId: payload.did, expiresAtMs: payload.exp * 1000, jti: payload.jti };
  } catch (error) {
    if (error instanceof PersonTokenError) throw error;
    if (error instanceof joseErrors.JOSEError)
      throw new PersonTokenError(error.code === "ERR_JWT_EXPIRED" ? "token expired" : error.message);
    throw new PersonTokenError("malformed token");
  }
};
