"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { isAppError } from "@/lib/errors";
import { markNotificationsRead } from "@/lib/notify";

export type TMarkReadResult = { ok: boolean; message: string };

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const markAllReadAction = async (): Promise<TMarkReadResult> => {
  try {
    // Scoped to the signed-in person inside the domain function: nobody else's are touched.
    const { updated } = await markNotificationsRead({ actor: await requireActor() });
    revalidatePath("/notifications");
    return { ok: true, message: updated === 1 ? "1 notification marked read." : `${updated} notifications marked read.` };
  } catch (error) {
    if (isAppError(error)) return { ok: false, message: error.message };
    throw error;
  }
};
