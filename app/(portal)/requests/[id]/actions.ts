"use server";

import { revalidatePath } from "next/cache";
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { cancelRequest, decideRequest, startDecision, ZDecideRequest, ZDecision } from "@/lib/access";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { isAppError } from "@/lib/errors";

export type TActionFailure = { ok: false; message: string; fields: Record<string, string> };

const failure = (error: unknown): TActionFailure => {
  if (isAppError(error)) return { ok: false, message: error.message, fields: error.fields };
  throw error;
};

const idOf = (value: unknown): string | null => (typeof value === "string" && value.length > 0 && value.length <= 64 ? value : null);

export const cancelRequestAction = async (requestId: unknown): Promise<{ ok: true } | TActionFailure> => {
  try {
    const id = idOf(requestId);
    if (!id) return { ok: false, message: "Invalid request.", fields: {} };
    await cancelRequest({ actor: await requireActor(), requestId: id, context: await requestContext() });
    revalidatePath(`/requests/${id}`);
    return { ok: true };
  } catch (error) {
    return failure(error);
  }
};

/** Step one: the challenge for this approver, this request, this decision. */
export const startDecisionAction = async (
  requestId: unknown,
  decision: unknown,
): Promise<{ ok: true; options: PublicKeyCredentialRequestOptionsJSON } | TActionFailure> => {
  try {
    const id = idOf(requestId);
    const parsed = ZDecision.safeParse(decision);
    if (!id || !parsed.success) return { ok: false, message: "Invalid decision.", fields: {} };
    const options = await startDecision({ actor: await requireActor(), requestId: id, decision: parsed.data, context: await requestContext() });
    return { ok: true, options };
  } catch (error) {
    return failure(error);
  }
};

/** Step two: the decision with its passkey assertion; the domain validates everything. */
export const decideRequestAction = async (input: unknown): Promise<{ ok: true; status: string; approvals: number; required: number } | TActionFailure> => {
  try {
    const parsed = ZDecideRequest.safeParse(input);
    if (!parsed.success) return { ok: false, message: "Invalid decision.", fields: {} };
    const result = await decideRequest({ actor: await requireActor(), input: parsed.data, context: await requestContext() });
    revalidatePath(`/requests/${parsed.data.requestId}`);
    return { ok: true, status: result.status, approvals: result.approvals, required: result.required };
  } catch (error) {
    return failure(error);
  }
};
