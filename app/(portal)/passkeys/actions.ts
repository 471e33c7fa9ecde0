"use server";

import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { dataAction, type TRefusal } from "@/lib/security/server-action-guard";
import {
  finishPasskeyRegistration,
  removePasskey,
  startAddPasskey,
  startStepUp,
  ZAuthenticationResponse,
  ZRegistrationResponse,
} from "@/lib/webauthn";

/**
 * Every export of a "use server" module is a public endpoint: these four, each thin (parse,
 * one domain call, answer). `fields.reauth` / `fields.stepUp` = "required" tell the page to
 * offer a new sign-in or to confirm with a passkey and retry.
 */
export type TPasskeyActionResult = { ok: boolean; message: string; fields: Record<string, string> };

type TPasskeyFailure = TPasskeyActionResult & { ok: false };

const failure = ({ code, message, fields }: TRefusal): TPasskeyFailure =>
  // An ended session needs the same remedy as a stale one: sign in again.
  ({ ok: false, message, fields: code === "UNAUTHENTICATED" ? { ...fields, reauth: "required" } : fields });

const invalid = (message = "Invalid request."): TPasskeyFailure => ({ ok: false, message, fields: {} });

/** Step one of adding: registration options, and a step-up first when the session is not recent. */
export const startAddPasskeyAction = dataAction(
  failure,
  async (): Promise<
    | {
        ok: true;
        registration: PublicKeyCredentialCreationOptionsJSON;
        stepUp: PublicKeyCredentialRequestOptionsJSON | null;
      }
    | TPasskeyFailure
  > => {
    const actor = await requireActor();
    return { ok: true, ...(await startAddPasskey({ actor, context: await requestContext() })) };
  },
);

const ZFinishAdd = z
  .object({
    name: z.string().max(200),
    response: ZRegistrationResponse,
    stepUp: ZAuthenticationResponse.optional(),
  })
  .strict();

/** Step two of adding: the browser's new credential (and the step-up assertion, if asked). */
export const finishAddPasskeyAction = dataAction(failure, async (input: unknown): Promise<TPasskeyActionResult> => {
  const parsed = ZFinishAdd.safeParse(input);
  if (!parsed.success) return invalid("The passkey response was malformed. Try again.");
  const actor = await requireActor();
  const passkey = await finishPasskeyRegistration({ actor, ...parsed.data, context: await requestContext() });
  revalidatePath("/passkeys");
  return { ok: true, message: `Passkey “${passkey.name}” added.`, fields: {} };
});

/** A MANAGE_PASSKEYS step-up for the signed-in person (to add or remove a passkey). */
export const startPasskeyStepUpAction = dataAction(
  failure,
  async (): Promise<{ ok: true; options: PublicKeyCredentialRequestOptionsJSON } | TPasskeyFailure> => {
    const actor = await requireActor();
    return {
      ok: true,
      options: await startStepUp({
        actor,
        purpose: "MANAGE_PASSKEYS",
        targetType: "user",
        targetId: actor.userId,
        context: await requestContext(),
      }),
    };
  },
);

const ZRemove = z.object({ passkeyId: z.string().min(1).max(64), stepUp: ZAuthenticationResponse.optional() }).strict();

export const removePasskeyAction = dataAction(failure, async (input: unknown): Promise<TPasskeyActionResult> => {
  const parsed = ZRemove.safeParse(input);
  if (!parsed.success) return invalid();
  const actor = await requireActor();
  await removePasskey({ actor, ...parsed.data, context: await requestContext() });
  revalidatePath("/passkeys");
  return { ok: true, message: "Passkey removed.", fields: {} };
});
