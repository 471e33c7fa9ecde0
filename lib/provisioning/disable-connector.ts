import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { type TConnectorRef, ZConnectorRef } from "./schemas";

type TDisableConnectorOptions = { actor: TUserActor; input: TConnectorRef; context?: TAuditContext };

/**
 * Administrators: stop provisioning new grants through a connector. Access it already gave is
 * still taken away at each grant's end (deprovisioning and the sweeper ignore the switch).
 */
export const disableConnector = async ({ actor, input, context }: TDisableConnectorOptions): Promise<void> => {
  await assertCan(actor, "catalog.manage", undefined, context);
  const parsed = ZConnectorRef.safeParse(input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Unknown connector.");
  await db.$transaction(async (tx) => {
    const { count } = await tx.connector.updateMany({
      where: { id: parsed.data.connectorId, disabledAt: null },
      data: { disabledAt: new Date() },
    });
    if (count === 0) throw new AppError("NOT_FOUND", "No such connector, or it is already disabled.");
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "connector.disable",
      targetType: "connector",
      targetId: parsed.data.connectorId,
      outcome: "ALLOWED",
      ip: context?.ip ?? null,
      userAgent: context?.userAgent ?? null,
      requestId: context?.requestId ?? null,
    });
  });
};
