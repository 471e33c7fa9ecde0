/**
 * Endpoint signing secrets. A secret is `whsec_` + base64 of 32 random bytes (the Standard
 * Webhooks format). It is shown to the administrator once, at creation; the database holds
 * it only sealed (lib/security/sealed.ts), because the worker needs the plaintext to sign (a
 * hash would not do, unlike service secrets).
 */
import { randomBytes } from "node:crypto";
import { seal, unseal } from "../security/sealed";

export const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;

export const generateSecret = (): string => `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString("base64")}`;

/** Without `rootSecret`, WEBHOOK_ENCRYPTION_SECRET (and its _PREVIOUS during a rotation). */
type TKeyOptions = { rootSecret?: string };

export const encryptSecret = (plaintext: string, options: TKeyOptions = {}): string =>
  seal(plaintext, { purpose: "webhook-secrets", rootSecret: options.rootSecret });

/** Throws if the value is malformed, was encrypted under another key, or was altered. */
export const decryptSecret = (encrypted: string, options: TKeyOptions = {}): string =>
  unseal(encrypted, { purpose: "webhook-secrets", label: "webhook secret", rootSecret: options.rootSecret });
