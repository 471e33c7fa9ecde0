"use server";

import { revalidatePath } from "next/cache";
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import {
  acknowledgeRequest,
  cancelRequest,
  decideRequest,
  startDecision,
  ZDecideRequest,
  ZDecision,
} from "@/lib/access";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { dataAction, type TRefusal } from "@/lib/security/server-action-guard";

export type TActionFailure = { ok: false; message: string; fields: Record<string, string> };

const failure = ({ message, fields }: TRefusal): TActionFailure => ({ ok: false, message, fields });

const idOf = (value: unknown): string | null =>
  typeof value === "string" && value.length > 0 && value.length <= 64 ? value : null;

export const cancelRequestAction = dataAction(
  failure,
  async (requestId: unknown): Promise<{ ok: true } | TActionFailure> => {
    const id = idOf(requestId);
    if (!id) return { ok: false, message: "Invalid request.", fields: {} };
    await cancelRequest({ actor: await requireActor(), requestId: id, context: await requestContext() });
    revalidatePath(`/requests/${id}`);
    return { ok: true };
  },
);

/** The person a request was filed for acknowledges it (ADR 0057); their grant may then start. */
export const acknowledgeRequestAction = dataAction(
  failure,
  async (requestId: unknown): Promise<{ ok: true; started: boolean } | TActionFailure> => {
    const id = idOf(requestId);
    if (!id) return { ok: false, message: "Invalid request.", fields: {} };
    const { grantId } = await acknowledgeRequest({
      actor: await requireActor(),
      requestId: id,
      context: await requestContext(),
    });
    revalidatePath(`/requests/${id}`);
    return { ok: true, started: grantId !== null };
  },
);

/** Step one: the challenge for this approver, this request, this decision. */
export const startDecisionAction = dataAction(
  failure,
  async (
    requestId: unknown,
    decision: unknown,
  ): Promise<{ ok: true; options: PublicKeyCredentialRequestOptionsJSON } | TActionFailure> => {
    const id = idOf(requestId);
    const parsed = ZDecision.safeParse(decision);
    if (!id || !parsed.success) return { ok: false, message: "Invalid decision.", fields: {} };
    const options = await startDecision({
      actor: await requireActor(),
      requestId: id,
      decision: parsed.data,
      context: await requestContext(),
    });
    return { ok: true, options };
  },
);

/** Step two: the decision with its passkey assertion; the domain validates everything. */
export const decideRequestAction = dataAction(
  failure,
  async (
    input: unknown,
  ): Promise<
    { ok: true; status: string; approvals: number; required: number; awaitingAcknowledgment: boolean } | TActionFailure
  > => {
    const parsed = ZDecideRequest.safeParse(input);
    if (!parsed.success) return { ok: false, message: "Invalid decision.", fields: {} };
    const result = await decideRequest({
      actor: await requireActor(),
      input: parsed.data,
      context: await requestContext(),
    });
    revalidatePath(`/requests/${parsed.data.requestId}`);
    return {
      ok: true,
      status: result.status,
      approvals: result.approvals,
      required: result.required,
      awaitingAcknowledgment: result.awaitingAcknowledgment === true,
    };
  },
);
