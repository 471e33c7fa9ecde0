import { z } from "zod";

/** The events a target system can subscribe to, as sent in the payload's `type`. */
export const WEBHOOK_EVENT_TYPES = ["grant.activated", "grant.expired", "grant.revoked", "grant.extended"] as const;
export type TWebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const ZWebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);

export const ZWebhookUrl = z
  .string()
  .trim()
  .min(1, "is required")
  .max(2000, "is too long (2000 characters at most)")
  .refine((value) => URL.canParse(value), "must be an absolute URL, e.g. https://hooks.example.com/jit")
  .refine(
    (value) => !URL.canParse(value) || ["http:", "https:"].includes(new URL(value).protocol),
    "must start with http:// or https://",
  )
  .refine(
    (value) => !URL.canParse(value) || (new URL(value).username === "" && new URL(value).password === ""),
    "must not contain a user name or password",
  );

export const ZCreateEndpoint = z.strictObject({
  url: ZWebhookUrl,
  events: z
    .array(ZWebhookEventType, { error: "choose events from the list" })
    .min(1, "choose at least one event")
    .transform((events) => WEBHOOK_EVENT_TYPES.filter((type) => events.includes(type))),
});
export type TCreateEndpointInput = z.input<typeof ZCreateEndpoint>;

/** The JSON body POSTed to an endpoint. */
export type TWebhookPayload = {
  type: TWebhookEventType;
  timestamp: string;
  data: {
    grantId: string;
    /** `subjectId` is issuer#sub, the key to use; `email` is verified, or null. */
    subject: { id: string; subjectId: string; email: string | null };
    resource: string;
    permissions: string[];
    startsAt: string;
    expiresAt: string;
    revokedAt?: string;
    reason?: string;
    previousExpiresAt?: string;
  };
};
