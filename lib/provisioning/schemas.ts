import { z } from "zod";
import { ZConnectorMapping } from "./internal";

const ZConnectorName = z
  .string()
  .trim()
  .min(1, "is required")
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, "letters, digits, space, _ . -");

/** Attach a connector to a resource, or replace one of the same name (an empty credential keeps the stored one). */
export const ZAttachConnector = z.strictObject({
  resourceKey: z.string().trim().min(1).max(100),
  kind: z.string().trim().min(1).max(40),
  name: ZConnectorName,
  /** Validated by the kind's own schema. */
  settings: z.record(z.string().max(100), z.unknown()),
  mapping: ZConnectorMapping,
  credential: z.string().max(8_192).optional(),
  autoRemoveDrift: z.boolean().default(false),
});
export type TAttachConnector = z.input<typeof ZAttachConnector>;

export const ZConnectorRef = z.strictObject({ connectorId: z.uuid({ error: "Unknown connector." }) });
export type TConnectorRef = z.input<typeof ZConnectorRef>;
