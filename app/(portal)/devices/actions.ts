"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { revokeDevice } from "@/lib/devices";
import { dataAction, type TRefusal } from "@/lib/security/server-action-guard";

type TFailure = { ok: false; message: string; fields: Record<string, string> };
const failure = ({ message, fields }: TRefusal): TFailure => ({ ok: false, message, fields });

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const revokeDeviceAction = dataAction(failure, async (deviceId: unknown): Promise<{ ok: true } | TFailure> => {
  if (typeof deviceId !== "string" || deviceId.length === 0 || deviceId.length > 64)
    return { ok: false, message: "No such device.", fields: {} };
  await revokeDevice({ actor: await requireActor(), deviceId, context: await requestContext() });
  revalidatePath("/devices");
  return { ok: true };
});
