"use server";

import { revalidatePath } from "next/cache";
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { decideBundle, startBundleDecision, ZDecideBundle, ZStartBundleDecision } from "@/lib/bundles";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { dataAction, type TRefusal } from "@/lib/security/server-action-guard";

export type TActionFailure = { ok: false; message: string; fields: Record<string, string> };

const failure = ({ message, fields }: TRefusal): TActionFailure => ({ ok: false, message, fields });

/** Step one: the challenge for this approver and exactly this set of (request, decision) pairs. */
export const startBundleDecisionAction = dataAction(
  failure,
  async (input: unknown): Promise<{ ok: true; options: PublicKeyCredentialRequestOptionsJSON } | TActionFailure> => {
    const parsed = ZStartBundleDecision.safeParse(input);
    if (!parsed.success) return { ok: false, message: "Invalid decision.", fields: {} };
    const options = await startBundleDecision({
      actor: await requireActor(),
      input: parsed.data,
      context: await requestContext(),
    });
    return { ok: true, options };
  },
);

/** Step two: the decisions with their one passkey assertion; the domain validates everything. */
export const decideBundleAction = dataAction(
  failure,
  async (
    input: unknown,
  ): Promise<{ ok: true; decided: number; skipped: Array<{ requestId: string; reason: string }> } | TActionFailure> => {
    const parsed = ZDecideBundle.safeParse(input);
    if (!parsed.success) return { ok: false, message: "Invalid decision.", fields: {} };
    const result = await decideBundle({
      actor: await requireActor(),
      input: parsed.data,
      context: await requestContext(),
    });
    revalidatePath(`/submissions/${parsed.data.submissionId}`);
    return { ok: true, decided: result.decided.length, skipped: result.skipped };
  },
);
