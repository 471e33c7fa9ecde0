"use server";

import { confirmDeviceAuthorization } from "@/lib/devices";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { formAction } from "@/lib/security/server-action-guard";

export type TConfirmDeviceState = {
  ok: boolean;
  message: string;
  fields: Record<string, string>;
  status?: "approved" | "denied";
} | null;

const text = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const confirmDeviceAction = formAction<TConfirmDeviceState>(
  ({ message, fields }) => ({ ok: false, message, fields }),
  async (form) => {
    const { status } = await confirmDeviceAuthorization({
      actor: await requireActor(),
      // The domain's schema validates the decision (approve or deny) and the rest.
      input: {
        userCode: text(form, "userCode"),
        deviceName: text(form, "deviceName"),
        decision: text(form, "decision"),
      },
      context: await requestContext(),
    });
    return {
      ok: true,
      status,
      fields: {},
      message:
        status === "approved"
          ? "Device signed in. Go back to your terminal."
          : "Refused: that terminal gets no access. Nothing else changed.",
    };
  },
);
