import { z } from "zod";
import type { TConnector } from "../types";

export const ZWebhookSettings = z.strictObject({});
export type TWebhookSettings = z.output<typeof ZWebhookSettings>;

const notYet = () => Promise.reject(new Error("webhook connector: not implemented yet"));

export const webhookConnector: TConnector<TWebhookSettings> = {
  kind: "webhook",
  label: "Webhook",
  settingsSchema: ZWebhookSettings,
  credentialLabel: "Signing secret",
  provision: notYet,
  deprovision: notYet,
  inspect: notYet,
  test: notYet,
};
