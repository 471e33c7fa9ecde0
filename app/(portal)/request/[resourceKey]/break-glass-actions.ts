"use server";

import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { startBreakGlass, takeBreakGlass, ZBreakGlass, ZStartBreakGlass } from "@/lib/access";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { dataAction, type TRefusal } from "@/lib/security/server-action-guard";

export type TBreakGlassFailure = { ok: false; message: string; fields: Record<string, string> };

const failure = ({ message, fields }: TRefusal): TBreakGlassFailure => ({ ok: false, message, fields });

/** Step one: a passkey challenge for break-glass on this policy and these permissions. */
export const startBreakGlassAction = dataAction(
  failure,
  async (
    input: unknown,
  ): Promise<{ ok: true; options: PublicKeyCredentialRequestOptionsJSON } | TBreakGlassFailure> => {
    const parsed = ZStartBreakGlass.safeParse(input);
    if (!parsed.success)
      return {
        ok: false,
        message: "Choose at least one permission.",
        fields: { permissions: "Choose at least one permission." },
      };
    return {
      ok: true,
      options: await startBreakGlass({
        actor: await requireActor(),
        input: parsed.data,
        context: await requestContext(),
      }),
    };
  },
);

/** Step two: the emergency access itself; the domain repeats every rule and verifies the passkey. */
export const takeBreakGlassAction = dataAction(
  failure,
  async (input: unknown): Promise<{ ok: true; requestId: string } | TBreakGlassFailure> => {
    const parsed = ZBreakGlass.safeParse(input);
    if (!parsed.success) return { ok: false, message: "Check the highlighted fields.", fields: {} };
    const result = await takeBreakGlass({
      actor: await requireActor(),
      input: parsed.data,
      context: await requestContext(),
    });
    return { ok: true, requestId: result.requestId };
  },
);
