"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { confirmSlackLink, startSlackLink, unlinkSlack } from "@/lib/chat";
import { markNotificationsRead } from "@/lib/notify";
import { dataAction, formAction } from "@/lib/security/server-action-guard";

export type TMarkReadResult = { ok: boolean; message: string };

/** Every export of a "use server" module is a public endpoint: this and the Slack link's three below. */
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

export type TSlackLinkState = { ok: boolean; message: string; fields: Record<string, string> } | null;

const text = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

/** Sends a one-time code by Slack DM to the member id given (ADR 0046). */
export const startSlackLinkAction = formAction<TSlackLinkState>(
  ({ message, fields }) => ({ ok: false, message, fields }),
  async (form) => {
    await startSlackLink({
      actor: await requireActor(),
      slackUserId: text(form, "slackUserId"),
      context: await requestContext(),
    });
    revalidatePath("/notifications");
    return { ok: true, message: "A code is on its way in Slack. Type it below within 10 minutes.", fields: {} };
  },
);

/** Links the member id once the code from the DM is typed back. */
export const confirmSlackLinkAction = formAction<TSlackLinkState>(
  ({ message, fields }) => ({ ok: false, message, fields }),
  async (form) => {
    const { slackUserId } = await confirmSlackLink({
      actor: await requireActor(),
      code: text(form, "code"),
      context: await requestContext(),
    });
    revalidatePath("/notifications");
    return { ok: true, message: `Linked to Slack member ${slackUserId}.`, fields: {} };
  },
);

export const unlinkSlackAction = dataAction(
  ({ message }): TMarkReadResult => ({ ok: false, message }),
  async (): Promise<TMarkReadResult> => {
    await unlinkSlack({ actor: await requireActor(), context: await requestContext() });
    revalidatePath("/notifications");
    return { ok: true, message: "Slack link removed." };
  },
);
