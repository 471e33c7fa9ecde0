"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { markNotificationsRead } from "@/lib/notify";
import { dataAction } from "@/lib/security/server-action-guard";

export type TMarkReadResult = { ok: boolean; message: string };

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const markAllReadAction = dataAction(
  ({ message }): TMarkReadResult => ({ ok: false, message }),
  async (): Promise<TMarkReadResult> => {
    // Scoped to the signed-in person inside the domain function: nobody else's are touched.
    const { updated } = await markNotificationsRead({ actor: await requireActor() });
    revalidatePath("/notifications");
    return {
      ok: true,
      message: updated === 1 ? "1 notification marked read." : `${updated} notifications marked read.`,
    };
  },
);
