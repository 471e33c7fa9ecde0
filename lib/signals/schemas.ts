/**
 * POST /api/v1/signals in zod: the handler parses with this and the OpenAPI document is built
 * from it. A report is either a usage observation (metric, value, window) or a discrete event
 * (event, severity), never both (ADR 0042).
 */
import { z } from "zod";
import { parseWindow } from "./window";

export const SIGNAL_NAME_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type TSeverity = (typeof SEVERITIES)[number];
/** Discrete events at these severities flag (the policy then decides the response). */
export const FLAGGING_SEVERITIES: readonly TSeverity[] = ["high", "critical"];

/** What a policy does with a flagged report. */
export const USAGE_RESPONSES = ["alert", "revoke", "extra_approval"] as const;
export type TUsageResponse = (typeof USAGE_RESPONSES)[number];

const name = (what: string) =>
  z
    .string()
    .regex(
      SIGNAL_NAME_PATTERN,
      `${what} must be 1 to 64 characters: lowercase letters, digits, _ . -, starting with a letter`,
    );

export const ZUsageSignalRequest = z
  .strictObject({
    subject: z
      .string()
      .min(1)
      .max(1024)
      .describe("The person, as for /api/v1/access/check: `<issuer>#<sub>`, their user id, or a verified e-mail"),
    resource: z.string().min(1).max(100).describe("The resource key, e.g. prod-postgres"),
    metric: name("metric").optional().describe("A usage observation's metric, e.g. rows_read"),
    value: z.number().finite().min(0).max(1e15).optional().describe("The amount observed over the window"),
    window: z
      .string()
      .max(20)
      .optional()
      .describe("ISO 8601 duration the value covers: PT#S, PT#M or PT#H, one second to one day"),
    event: name("event").optional().describe("A discrete event, e.g. bulk_export"),
    severity: z.enum(SEVERITIES).optional().describe("The event's severity; high and critical flag"),
  })
  .superRefine((body, ctx) => {
    const usage = body.metric !== undefined || body.value !== undefined || body.window !== undefined;
    const event = body.event !== undefined || body.severity !== undefined;
    if (usage && event)
      ctx.addIssue({
        code: "custom",
        message: "send either metric, value and window, or event and severity, not both",
      });
    else if (!usage && !event)
      ctx.addIssue({ code: "custom", message: "send either metric, value and window, or event and severity" });
    else if (usage) {
      for (const key of ["metric", "value", "window"] as const)
        if (body[key] === undefined)
          ctx.addIssue({ code: "custom", path: [key], message: "is required with a metric" });
      if (body.window !== undefined && parseWindow(body.window) === null)
        ctx.addIssue({
          code: "custom",
          path: ["window"],
          message: "must be PT#S, PT#M or PT#H (a whole number), from one second to one day",
        });
    } else {
      for (const key of ["event", "severity"] as const)
        if (body[key] === undefined)
          ctx.addIssue({ code: "custom", path: [key], message: "is required with an event" });
    }
  });
export type TUsageSignalRequest = z.infer<typeof ZUsageSignalRequest>;

export const ZUsageSignalResponse = z.object({
  id: z.string(),
  flagged: z.boolean(),
  reason: z.string().nullable(),
  response: z.enum(USAGE_RESPONSES).nullable().describe("What the policy did; null when not flagged"),
  revokedGrantIds: z.array(z.string()),
});
