/**
 * Zod schemas for what a browser sends back from a passkey ceremony. Server actions and
 * route handlers parse untrusted input with these before calling the domain. Strict on the
 * fields the server reads (sizes, base64url alphabet, literal types), tolerant of extra
 * fields newer browsers add (they are dropped, not rejected).
 */
import type {
  AuthenticationExtensionsClientOutputs,
  AuthenticationResponseJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { z } from "zod";
import { PASSKEY_NAME_MAX } from "./config";

const base64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, "must be base64url");

// A credential id is at most 1023 bytes (WebAuthn §5.8.3): 1364 base64url characters.
const ZCredentialId = base64url(1366);
const ZClientDataJSON = base64url(8_192);
// Not read by the server; typed as simplewebauthn's interface (not a record) so that a
// browser's RegistrationResponseJSON/AuthenticationResponseJSON is a valid schema input.
const ZExtensionOutputs = z
  .custom<AuthenticationExtensionsClientOutputs>(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value),
    "must be an object",
  )
  .optional()
  .transform((value): AuthenticationExtensionsClientOutputs => value ?? {});
const ZAttachment = z.enum(["platform", "cross-platform"]).optional();

export const ZRegistrationResponse = z
  .object({
    id: ZCredentialId,
    rawId: ZCredentialId,
    type: z.literal("public-key"),
    authenticatorAttachment: ZAttachment,
    clientExtensionResults: ZExtensionOutputs,
    response: z.object({
      clientDataJSON: ZClientDataJSON,
      // Attestation statements with certificate chains run to a few kilobytes.
      attestationObject: base64url(65_536),
      authenticatorData: base64url(65_536).optional(),
      transports: z.array(z.string().min(1).max(32)).max(16).optional(),
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: base64url(8_192).optional(),
    }),
  })
  .transform((value): RegistrationResponseJSON => value);
export type TRegistrationResponse = RegistrationResponseJSON;

export const ZAuthenticationResponse = z
  .object({
    id: ZCredentialId,
    rawId: ZCredentialId,
    type: z.literal("public-key"),
    authenticatorAttachment: ZAttachment,
    clientExtensionResults: ZExtensionOutputs,
    response: z.object({
      clientDataJSON: ZClientDataJSON,
      authenticatorData: base64url(8_192),
      signature: base64url(1_024),
      userHandle: base64url(128).optional(),
    }),
  })
  .transform((value): AuthenticationResponseJSON => value);
export type TAuthenticationResponse = AuthenticationResponseJSON;

/** What a step-up may be for; REGISTER challenges belong to registration only. */
export const STEP_UP_PURPOSES = ["APPROVE", "DENY", "REVOKE", "BREAK_GLASS", "MANAGE_PASSKEYS", "DECIDE_SET"] as const;
export const ZStepUpPurpose = z.enum(STEP_UP_PURPOSES);
export type TStepUpPurpose = z.infer<typeof ZStepUpPurpose>;

/** What a step-up is bound to, e.g. ("request", <id>) or ("user", <own id>). */
export const ZStepUpTarget = z.object({
  targetType: z.string().min(1).max(40),
  targetId: z.string().min(1).max(200),
});

export const ZPasskeyName = z
  .string()
  .trim()
  .min(1, "Give the passkey a name.")
  .max(PASSKEY_NAME_MAX, `At most ${PASSKEY_NAME_MAX} characters.`);
