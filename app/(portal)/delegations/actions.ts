"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { createDelegation, endDelegation } from "@/lib/delegation";
import { dataAction, formAction, type TRefusal } from "@/lib/security/server-action-guard";
import { instantFromLocal } from "@/lib/time";

export type TDelegationFormValues = { delegateEmail: string; startsAt: string; endsAt: string; reason: string };
export type TDelegationFormState =
  { ok: true } | { ok: false; message: string; fields: Record<string, string>; values: TDelegationFormValues } | null;

const text = (form: FormData | null, name: string): string => {
  const value = form?.get(name);
  return typeof value === "string" ? value : "";
};

const valuesOf = (form: FormData | null): TDelegationFormValues => ({
  delegateEmail: text(form, "delegateEmail"),
  startsAt: text(form, "startsAt"),
  endsAt: text(form, "endsAt"),
  reason: text(form, "reason"),
});

/** Every export of a "use server" module is a public endpoint: these two are the only ones here. */
export const createDelegationAction = formAction<TDelegationFormState>(
  ({ message, fields }, form) => ({ ok: false, message, fields, values: valuesOf(form) }),
  async (form) => {
    const actor = await requireActor();
    // datetime-local carries no zone: the browser sends its offset alongside.
    const offset = Number(text(form, "tzOffsetMinutes") || "0");
    await createDelegation({
      actor,
      input: {
        delegateEmail: text(form, "delegateEmail"),
        startsAt: instantFromLocal(text(form, "startsAt").trim() || undefined, offset),
        endsAt: instantFromLocal(text(form, "endsAt").trim() || undefined, offset) ?? "",
        reason: text(form, "reason"),
      },
      context: await requestContext(),
    });
    revalidatePath("/delegations");
    return { ok: true };
  },
);

type TFailure = { ok: false; message: string };
const failure = ({ message }: TRefusal): TFailure => ({ ok: false, message });

export const endDelegationAction = dataAction(
  failure,
  async (delegationId: unknown): Promise<{ ok: true } | TFailure> => {
    const actor = await requireActor();
    if (typeof delegationId !== "string") return { ok: false, message: "No such delegation." };
    await endDelegation({ actor, input: { delegationId }, context: await requestContext() });
    revalidatePath("/delegations");
    return { ok: true };
  },
);
