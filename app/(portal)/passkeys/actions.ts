"use server";

import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { isAppError } from "@/lib/errors";
import { finishPasskeyRegistration, removePasskey, startAddPasskey, startStepUp, ZAuthenticationResponse, ZRegistrationResponse } from "@/lib/webauthn";

/**
 * Every export of a "use server" module is a public endpoint: these four, each thin (parse,
 * one domain call, answer). `fields.reauth` / `fields.stepUp` = "required" tell the page to
 * offer a new sign-in or to confirm with a passkey and retry.
 */
export type TPasskeyActionResult = { ok: boolean; message: string; fields: Record<string, string> };

const failure = (error: unknown): TPasskeyActionResult & { ok: false } => {
  if (!isAppError(error)) throw error;
  // An ended session needs the same remedy as a stale one: sign in again.
  const fields = error.code === "UNAUTHENTICATED" ? { ...error.fields, reauth: "required" } : error.fields;
  return { ok: false, message: error.message, fields };
};

const invalid = (message = "Invalid request."): TPasskeyActionResult & { ok: false } => ({ ok: false, message, fields: {} });

/** Step one of adding: registration options, and a step-up first when the session is not recent. */
export const startAddPasskeyAction = async (): Promise<
  | { ok: true; registration: PublicKeyCredentialCreationOptionsJSON; stepUp: PublicKeyCredentialRequestOptionsJSON | null }
  | (TPasskeyActionResult & { ok: false })
> => {
  try {
    const actor = await requireActor();
    return { ok: true, ...(await startAddPasskey({ actor, context: await requestContext() })) };
  } catch (error) {
    return failure(error);
  }
};

const ZFinishAdd = z
  .object({
    name: z.string().max(200),
    response: ZRegistrationResponse,
    stepUp: ZAuthenticationResponse.optional(),
  })
  .strict();

/** Step two of adding: the browser's new credential (and the step-up assertion, if asked). */
export const finishAddPasskeyAction = async (input: unknown): Promise<TPasskeyActionResult> => {
  const parsed = ZFinishAdd.safeParse(input);
  if (!parsed.success) return invalid("The passkey response was malformed. Try again.");
  try {
    const actor = await requireActor();
    const passkey = await finishPasskeyRegistration({ actor, ...parsed.data, context: await requestContext() });
    revalidatePath("/passkeys");
    return { ok: true, message: `Passkey “${passkey.name}” added.`, fields: {} };
  } catch (error) {
    return failure(error);
  }
};

/** A MANAGE_PASSKEYS step-up for the signed-in person (to remove their last passkey). */
export const startPasskeyStepUpAction = async (): Promise<{ ok: true; options: PublicKeyCredentialRequestOptionsJSON } | (TPasskeyActionResult & { ok: false })> => {
  try {
    const actor = await requireActor();
    return { ok: true, options: await startStepUp({ actor, purpose: "MANAGE_PASSKEYS", targetType: "user", targetId: actor.userId }) };
  } catch (error) {
    return failure(error);
  }
};

const ZRemove = z.object({ passkeyId: z.string().min(1).max(64), stepUp: ZAuthenticationResponse.optional() }).strict();

export const removePasskeyAction = async (input: unknown): Promise<TPasskeyActionResult> => {
  const parsed = ZRemove.safeParse(input);
  if (!parsed.success) return invalid();
  try {
    const actor = await requireActor();
    await removePasskey({ actor, ...parsed.data, context: await requestContext() });
    revalidatePath("/passkeys");
    return { ok: true, message: "Passkey removed.", fields: {} };
  } catch (error) {
    return failure(error);
  }
};
