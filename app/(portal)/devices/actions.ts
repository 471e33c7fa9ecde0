"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { signOutEverywhere } from "@/lib/auth/sign-out-everywhere";
import { revokeDevice } from "@/lib/devices";
import { dataAction, type TRefusal } from "@/lib/security/server-action-guard";

type TFailure = { ok: false; message: string; fields: Record<string, string> };
const failure = ({ message, fields }: TRefusal): TFailure => ({ ok: false, message, fields });

/** Every export of a "use server" module is a public endpoint: these two are the only ones here. */
export const revokeDeviceAction = dataAction(failure, async (deviceId: unknown): Promise<{ ok: true } | TFailure> => {
  if (typeof deviceId !== "string" || deviceId.length === 0 || deviceId.length > 64)
    return { ok: false, message: "No such device.", fields: {} };
  await revokeDevice({ actor: await requireActor(), deviceId, context: await requestContext() });
  revalidatePath("/devices");
  return { ok: true };
});

/**
 * Ends every portal session and every device of the signed-in person. Takes the word
 * "everywhere" so that only the button, not a stray call, does it.
 */
export const signOutEverywhereAction = dataAction(
  failure,
  async (confirm: unknown): Promise<{ ok: true } | TFailure> => {
    // Who is asking first: a signed-out caller is told to sign in, whatever they sent.
    const actor = await requireActor();
    if (confirm !== "everywhere") return { ok: false, message: "Confirm with the button.", fields: {} };
    await signOutEverywhere({ actor, context: await requestContext() });
    return { ok: true };
  },
);
