/** The bodies of the engineers' API (api/me.ts), shared with its OpenAPI document. */
import { z } from "zod";

export const ZMeCreateRequest = z.strictObject({
  resource: z.string().min(1).max(100),
  permissions: z.array(z.string().min(1).max(32)).min(1).max(16),
  durationMinutes: z.number().int().positive(),
  justification: z.string().max(2000),
  ticket: z.string().max(64).optional(),
  startAt: z.iso.datetime({ offset: true }).optional(),
  /** Needed only when more than one of the person's policies on the resource allows the permissions. */
  policyId: z.string().min(1).max(64).optional(),
  /** For a teammate, where the policy allows it (ADR 0057): their e-mail address. */
  onBehalfOfEmail: z.string().max(320).optional(),
});

export const ZMeExtend = z.strictObject({ minutes: z.number().int(), justification: z.string().max(2000) });
export const ZMeEnd = z.strictObject({ reason: z.string().max(2000).optional() });
export const ZMeCredential = z.strictObject({
  connectorId: z.uuid().optional(),
  publicKey: z.string().max(10_000).optional(),
});
