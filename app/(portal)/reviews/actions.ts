"use server";

import { revalidatePath } from "next/cache";
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import {
  closeReview,
  decideReview,
  startReview,
  startReviewDecision,
  ZDecideReview,
  ZStartReviewDecision,
} from "@/lib/reviews";
import { dataAction, formAction, type TRefusal } from "@/lib/security/server-action-guard";
import { instantFromLocal } from "@/lib/time";

export type TReviewFormValues = {
  name: string;
  policyIds: string[];
  reviewerEmails: string;
  deadline: string;
  usageDays: string;
};
export type TReviewFormState =
  | { ok: true; reviewId: string; items: number }
  | { ok: false; message: string; fields: Record<string, string>; values: TReviewFormValues }
  | null;

const text = (form: FormData | null, name: string): string => {
  const value = form?.get(name);
  return typeof value === "string" ? value : "";
};

const valuesOf = (form: FormData | null): TReviewFormValues => ({
  name: text(form, "name"),
  policyIds: (form?.getAll("policyIds") ?? []).filter((value): value is string => typeof value === "string"),
  reviewerEmails: text(form, "reviewerEmails"),
  deadline: text(form, "deadline"),
  usageDays: text(form, "usageDays"),
});

/** Every export of a "use server" module is a public endpoint: these four are the only ones here. */
export const startReviewAction = formAction<TReviewFormState>(
  ({ message, fields }, form) => ({ ok: false, message, fields, values: valuesOf(form) }),
  async (form) => {
    const actor = await requireActor();
    const values = valuesOf(form);
    // datetime-local carries no zone: the browser sends its offset alongside.
    const offset = Number(text(form, "tzOffsetMinutes") || "0");
    const started = await startReview({
      actor,
      input: {
        name: values.name,
        policyIds: values.policyIds,
        reviewerEmails: values.reviewerEmails
          .split(/[\s,;]+/)
          .map((email) => email.trim())
          .filter(Boolean),
        deadline: instantFromLocal(values.deadline.trim() || undefined, offset) ?? "",
        usageDays: values.usageDays.trim() || undefined,
      },
      context: await requestContext(),
    });
    revalidatePath("/reviews");
    return { ok: true, reviewId: started.reviewId, items: started.items };
  },
);

export type TActionFailure = { ok: false; message: string; fields: Record<string, string> };
const failure = ({ message, fields }: TRefusal): TActionFailure => ({ ok: false, message, fields });

/** Step one: the challenge for this reviewer and exactly this set of verdicts. */
export const startReviewDecisionAction = dataAction(
  failure,
  async (input: unknown): Promise<{ ok: true; options: PublicKeyCredentialRequestOptionsJSON } | TActionFailure> => {
    const parsed = ZStartReviewDecision.safeParse(input);
    if (!parsed.success) return { ok: false, message: "Check your verdicts: a removal needs a reason.", fields: {} };
    const options = await startReviewDecision({
      actor: await requireActor(),
      input: parsed.data,
      context: await requestContext(),
    });
    return { ok: true, options };
  },
);

/** Step two: the verdicts with their one passkey assertion; the domain validates everything. */
export const decideReviewAction = dataAction(
  failure,
  async (input: unknown): Promise<{ ok: true; decided: number; removals: number } | TActionFailure> => {
    const parsed = ZDecideReview.safeParse(input);
    if (!parsed.success) return { ok: false, message: "Invalid verdicts.", fields: {} };
    const result = await decideReview({
      actor: await requireActor(),
      input: parsed.data,
      context: await requestContext(),
    });
    revalidatePath(`/reviews/${parsed.data.reviewId}`);
    return { ok: true, ...result };
  },
);

export const closeReviewAction = dataAction(
  ({ message }: TRefusal) => ({ ok: false as const, message }),
  async (reviewId: unknown): Promise<{ ok: true } | { ok: false; message: string }> => {
    if (typeof reviewId !== "string") return { ok: false, message: "No such review." };
    await closeReview({ actor: await requireActor(), input: { reviewId }, context: await requestContext() });
    revalidatePath(`/reviews/${reviewId}`);
    revalidatePath("/reviews");
    return { ok: true };
  },
);
