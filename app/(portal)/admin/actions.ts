"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { formAction } from "@/lib/security/server-action-guard";
import { setUserActive } from "@/lib/users";

export type TActionResult = { ok: true; message: string } | { ok: false; message: string };

const ZForm = z.object({ userId: z.string().min(1).max(64), active: z.enum(["true", "false"]) });

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const setUserActiveAction = formAction<TActionResult | null>(
  ({ message }) => ({ ok: false, message }),
  async (form) => {
    const parsed = ZForm.safeParse({ userId: form.get("userId"), active: form.get("active") });
    if (!parsed.success) return { ok: false, message: "Invalid request." };
    const actor = await requireActor();
    const active = parsed.data.active === "true";
    await setUserActive({ actor, input: { userId: parsed.data.userId, active }, context: await requestContext() });
    revalidatePath("/admin");
    return { ok: true, message: active ? "User reactivated." : "User deactivated; their sessions have ended." };
  },
);
