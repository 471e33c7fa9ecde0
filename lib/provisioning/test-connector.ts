import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { CONNECTOR_ROW_SELECT, describeFailure, loadConnector } from "./internal";
import { type TConnectorRef, ZConnectorRef } from "./schemas";
import type { TTestResult } from "./types";

type TTestConnectorOptions = { actor: TUserActor; input: TConnectorRef; context?: TAuditContext };

/** Administrators' "Test connection": reaches the target with the stored settings and credential. */
export const testConnector = async ({ actor, input, context }: TTestConnectorOptions): Promise<TTestResult> => {
  await assertCan(actor, "catalog.manage", undefined, context);
  const parsed = ZConnectorRef.safeParse(input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Unknown connector.");
  const row = await db.connector.findUnique({ where: { id: parsed.data.connectorId }, select: CONNECTOR_ROW_SELECT });
  if (!row) throw new AppError("NOT_FOUND", "No such connector.");
  let result: TTestResult;
  try {
    const { connector, context: connectorContext } = loadConnector(row, AbortSignal.timeout(15_000));
    result = await connector.test(connectorContext);
  } catch (error) {
    result = { ok: false, error: describeFailure(error) };
  }
  const at = new Date();
  await db.$transaction(async (tx) => {
    await tx.connector.update({
      where: { id: row.id },
      data: {
        lastTestAt: at,
        lastTestOk: result.ok,
        lastTestDetail: (result.ok ? result.detail : result.error).slice(0, 500),
      },
    });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "connector.test",
      targetType: "connector",
      targetId: row.id,
      outcome: result.ok ? "ALLOWED" : "ERROR",
      reason: result.ok ? null : result.error.slice(0, 500),
      details: { resource: row.resource.key, kind: row.kind },
      ip: context?.ip ?? null,
      userAgent: context?.userAgent ?? null,
      requestId: context?.requestId ?? null,
    });
  });
  return result;
};
