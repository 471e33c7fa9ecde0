"use server";

import { revalidatePath } from "next/cache";
import { signOffBreakGlass, ZSignOffBreakGlass } from "@/lib/access";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { dataAction } from "@/lib/security/server-action-guard";

/** The post-incident sign-off of one break-glass grant; the domain checks who may. */
export const signOffBreakGlassAction = dataAction(
  ({ message }): { ok: false; message: string } => ({ ok: false, message }),
  async (input: unknown): Promise<{ ok: true } | { ok: false; message: string }> => {
    const parsed = ZSignOffBreakGlass.safeParse(input);
    if (!parsed.success)
      return {
        ok: false,
        message: parsed.error.issues.find((issue) => issue.path[0] === "comment")?.message ?? "Invalid sign-off.",
      };
    await signOffBreakGlass({ actor: await requireActor(), input: parsed.data, context: await requestContext() });
    revalidatePath("/security/break-glass");
    return { ok: true };
  },
);
