/**
 * A software WebAuthn authenticator for tests and load tests: what a browser plus a platform
 * authenticator would return from `navigator.credentials.create()/get()`, serialised the way
 * @simplewebauthn/browser's `startRegistration()/startAuthentication()` serialise it.
 *
 * ES256 (P-256) keys from node:crypto, attestation format "none", a signature counter per
 * credential. Overrides produce the malformed or hostile responses the server must refuse.
 * Never import this from application code: it holds private keys in memory.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoCBOR } from "@simplewebauthn/server/helpers";

// Authenticator data flags (WebAuthn §6.1).
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

// COSE: key type EC2, algorithm ES256, curve P-256.
const COSE_KTY = 1;
const COSE_ALG = 3;
const COSE_CRV = -1;
const COSE_X = -2;
const COSE_Y = -3;
const COSE_KTY_EC2 = 2;
const COSE_ALG_ES256 = -7;
const COSE_CRV_P256 = 1;

/** All zeroes: "no attestation, model unknown", as browsers report for fmt "none". */
const AAGUID = new Uint8Array(16);

export type TSoftwareCredential = {
  /** base64url, as the server stores it. */
  id: string;
  rpId: string;
  /** base64url user handle from the creation options. */
  userHandle: string;
  privateKey: KeyObject;
  publicKeySpki: Buffer;
  cosePublicKey: Uint8Array;
  signCount: number;
};

/** Ways to make a response the server must refuse. Unset fields take the honest value. */
export type TAuthenticatorOverrides = {
  /** Origin written into clientDataJSON (a phishing site's, say). */
  origin?: string;
  /** RP ID hashed into authenticatorData. */
  rpId?: string;
  /** false: the UV flag is clear (no PIN or biometric check happened). */
  userVerified?: boolean;
  /** Force the signature counter to this value (e.g. a regression, as from a cloned key). */
  signCount?: number;
  /** Sign over this challenge instead of the one in the options. */
  challenge?: string;
  /**
   * Answer with this authenticator's newest credential even if the options' allowCredentials
   * do not list it: a browser refuses (NotAllowedError), an attacker's own client does not.
   */
  ignoreAllowCredentials?: boolean;
};

export type TSoftwareAuthenticator = {
  register: (
    options: PublicKeyCredentialCreationOptionsJSON,
    overrides?: TAuthenticatorOverrides,
  ) => RegistrationResponseJSON;
  assert: (
    options: PublicKeyCredentialRequestOptionsJSON,
    overrides?: TAuthenticatorOverrides,
  ) => AuthenticationResponseJSON;
  /** Credentials this authenticator holds, newest last. */
  credentials: () => readonly TSoftwareCredential[];
};

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array | string): Buffer => createHash("sha256").update(data).digest();

const uint32 = (value: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
};

const uint16 = (value: number): Buffer => {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
};

/** A DOMException-like error, named as a browser would name it. */
const browserError = (name: string, message: string): Error => Object.assign(new Error(message), { name });

const clientData = (type: "webauthn.create" | "webauthn.get", challenge: string, origin: string): Buffer =>
  Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), "utf8");

export const createSoftwareAuthenticator = (options: {
  origin: string;
  rpId: string;
  userVerified?: boolean;
}): TSoftwareAuthenticator => {
  const held: TSoftwareCredential[] = [];
  const defaultUv = options.userVerified ?? true;

  const flags = (uv: boolean, attested: boolean): number => FLAG_UP | (uv ? FLAG_UV : 0) | (attested ? FLAG_AT : 0);

  const register: TSoftwareAuthenticator["register"] = (creation, overrides = {}) => {
    const rpId = overrides.rpId ?? creation.rp.id ?? options.rpId;
    if (!creation.pubKeyCredParams.some((param) => param.alg === COSE_ALG_ES256)) {
      throw browserError("NotSupportedError", "The authenticator supports only ES256.");
    }
    // A browser refuses to create a second credential on an authenticator that already
    // holds one of the excluded credentials.
    const excluded = new Set((creation.excludeCredentials ?? []).map((credential) => credential.id));
    if (held.some((credential) => credential.rpId === rpId && excluded.has(credential.id))) {
      throw browserError("InvalidStateError", "The authenticator already holds a credential for this account.");
    }

    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    if (!jwk.x || !jwk.y) throw new Error("node:crypto returned an EC key without coordinates");
    const cosePublicKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [COSE_KTY, COSE_KTY_EC2],
        [COSE_ALG, COSE_ALG_ES256],
        [COSE_CRV, COSE_CRV_P256],
        [COSE_X, Buffer.from(jwk.x, "base64url")],
        [COSE_Y, Buffer.from(jwk.y, "base64url")],
      ]),
    );
    const credentialId = randomBytes(32);
    const signCount = overrides.signCount ?? 0;
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([flags(overrides.userVerified ?? defaultUv, true)]),
      uint32(signCount),
      AAGUID,
      uint16(credentialId.length),
      credentialId,
      cosePublicKey,
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ["fmt", "none"],
        ["attStmt", new Map<string, string>()],
        ["authData", new Uint8Array(authData)],
      ]),
    );
    const clientDataJSON = clientData(
      "webauthn.create",
      overrides.challenge ?? creation.challenge,
      overrides.origin ?? options.origin,
    );
    const publicKeySpki = publicKey.export({ format: "der", type: "spki" });
    const credential: TSoftwareCredential = {
      id: b64url(credentialId),
      rpId,
      userHandle: creation.user.id,
      privateKey,
      publicKeySpki,
      cosePublicKey,
      signCount,
    };
    held.push(credential);

    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: { credProps: { rk: true } },
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        authenticatorData: b64url(authData),
        transports: ["internal"],
        publicKeyAlgorithm: COSE_ALG_ES256,
        publicKey: b64url(publicKeySpki),
      },
    };
  };

  const assert: TSoftwareAuthenticator["assert"] = (request, overrides = {}) => {
    const rpId = request.rpId ?? options.rpId;
    const allowed = new Set(
      overrides.ignoreAllowCredentials ? [] : (request.allowCredentials ?? []).map((credential) => credential.id),
    );
    // The newest credential for this RP that the server allows (any, for discoverable flows).
    const credential = [...held]
      .reverse()
      .find((candidate) => candidate.rpId === rpId && (allowed.size === 0 || allowed.has(candidate.id)));
    if (!credential)
      throw browserError("NotAllowedError", "The authenticator holds no credential the relying party allows.");

    credential.signCount = overrides.signCount ?? credential.signCount + 1;
    const authData = Buffer.concat([
      sha256(overrides.rpId ?? rpId),
      Buffer.from([flags(overrides.userVerified ?? defaultUv, false)]),
      uint32(credential.signCount),
    ]);
    const clientDataJSON = clientData(
      "webauthn.get",
      overrides.challenge ?? request.challenge,
      overrides.origin ?? options.origin,
    );
    // ES256: ECDSA P-256 over authenticatorData || SHA-256(clientDataJSON), DER-encoded, as
    // node:crypto produces it by default.
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);

    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
    };
  };

  return { register, assert, credentials: () => held };
};
