"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { discardFailedJob, retryFailedJob } from "@/lib/queue/dead-letter";
import { formAction } from "@/lib/security/server-action-guard";

export type TJobActionResult = { ok: true; message: string } | { ok: false; message: string };

// Queue and id are checked again (and authorization decided) by lib/queue/dead-letter.ts.
const ZForm = z.object({
  queue: z.string().min(1).max(64),
  jobId: z.string().min(1).max(200),
  intent: z.enum(["retry", "discard"]),
});

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const failedJobAction = formAction<TJobActionResult | null>(
  ({ message }) => ({ ok: false, message }),
  async (form) => {
    const parsed = ZForm.safeParse({ queue: form.get("queue"), jobId: form.get("jobId"), intent: form.get("intent") });
    if (!parsed.success) return { ok: false, message: "Invalid request." };
    const { queue, jobId, intent } = parsed.data;
    const actor = await requireActor();
    const options = { actor, queue, jobId, context: await requestContext() };
    if (intent === "retry") await retryFailedJob(options);
    else await discardFailedJob(options);
    revalidatePath("/admin/jobs");
    return { ok: true, message: intent === "retry" ? `Job ${jobId} queued again.` : `Job ${jobId} discarded.` };
  },
);
