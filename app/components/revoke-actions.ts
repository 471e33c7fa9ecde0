"use server";

import { revalidatePath } from "next/cache";
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { revokeGrant, startRevocation, ZRevokeGrant } from "@/lib/access";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { dataAction, type TRefusal } from "@/lib/security/server-action-guard";

type TFailure = { ok: false; message: string; fields: Record<string, string> };
const failure = ({ message, fields }: TRefusal): TFailure => ({ ok: false, message, fields });

/** Step one: null for one's own grant (no step-up), else a challenge bound to this grant. */
export const startRevocationAction = dataAction(
  failure,
  async (grantId: unknown): Promise<{ ok: true; options: PublicKeyCredentialRequestOptionsJSON | null } | TFailure> => {
    if (typeof grantId !== "string" || grantId.length === 0 || grantId.length > 64)
      return { ok: false, message: "Invalid grant.", fields: {} };
    return {
      ok: true,
      options: await startRevocation({ actor: await requireActor(), grantId, context: await requestContext() }),
    };
  },
);

export const revokeGrantAction = dataAction(failure, async (input: unknown): Promise<{ ok: true } | TFailure> => {
  const parsed = ZRevokeGrant.safeParse(input);
  if (!parsed.success) return { ok: false, message: "Invalid revocation.", fields: {} };
  await revokeGrant({ actor: await requireActor(), input: parsed.data, context: await requestContext() });
  revalidatePath("/");
  return { ok: true };
});
