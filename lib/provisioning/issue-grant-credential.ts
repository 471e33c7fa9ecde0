import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCanOrHide, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { CONNECTOR_ROW_SELECT, GRANT_SELECT, isLive, loadConnector, provisioningGrantOf } from "./internal";
import type { TOneTimeCredential } from "./types";

export const ZIssueGrantCredential = z.strictObject({
  grantId: z.string().min(1).max(64),
  connectorId: z.uuid(),
  /** The connector's own input (e.g. an SSH public key), parsed by its `issueCredentialInput`. */
  input: z.unknown(),
});
export type TIssueGrantCredential = z.input<typeof ZIssueGrantCredential>;

type TIssueOptions = { actor: TUserActor; input: TIssueGrantCredential; context?: TAuditContext; now?: Date };

const NOT_FOUND = "No such grant.";

/**
 * On-demand credentials after activation (the SSH connector's certificates): the grant's
 * subject, while the grant is live, asks a connector that supports it for a credential; it is
 * returned to them directly and not stored. The connector's state (e.g. a serial) is recorded.
 */
export const issueGrantCredential = async ({
  actor,
  input,
  context,
  now,
}: TIssueOptions): Promise<TOneTimeCredential> => {
  const parsed = ZIssueGrantCredential.safeParse(input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Invalid request.");
  const { grantId, connectorId } = parsed.data;
  const grant = await db.grant.findUnique({ where: { id: grantId }, select: GRANT_SELECT });
  if (!grant) throw new AppError("NOT_FOUND", NOT_FOUND);
  const target = { type: "grant" as const, id: grant.id, subjectId: grant.subjectId };
  await assertCanOrHide({ actor, action: "grant.credential", target, visible: false, notFound: NOT_FOUND, context });
  if (!isLive(grant, now ?? new Date())) throw new AppError("CONFLICT", "This grant is not active.");
  const row = await db.connector.findUnique({ where: { id: connectorId }, select: CONNECTOR_ROW_SELECT });
  if (!row || row.resource.id !== grant.resource.id || row.disabledAt)
    throw new AppError("NOT_FOUND", "No such connector.");
  const { connector, context: connectorContext } = loadConnector(row);
  if (!connector.issueCredential || !connector.issueCredentialInput)
    throw new AppError("INVALID_INPUT", `${connector.label} issues no credentials on demand.`);
  const connectorInput = connector.issueCredentialInput.safeParse(parsed.data.input);
  if (!connectorInput.success)
    throw new AppError("INVALID_INPUT", connectorInput.error.issues[0]?.message ?? "Invalid input.", {
      input: connectorInput.error.issues[0]?.message ?? "Invalid input.",
    });
  const state = await db.grantProvisioning.findUnique({ where: { grantId_connectorId: { grantId, connectorId } } });
  const result = await connector.issueCredential(
    connectorContext,
    provisioningGrantOf(grant, connectorContext.mapping, state),
    connectorInput.data,
  );
  await db.$transaction(async (tx) => {
    await tx.grantProvisioning.upsert({
      where: { grantId_connectorId: { grantId, connectorId } },
      create: { grantId, connectorId, ...(result.state ? { state: result.state as object } : {}) },
      update: { ...(result.state ? { state: result.state as object } : {}) },
    });
    await tx.provisioningEvent.create({
      data: { grantId, connectorId, kind: "credential-issued", message: result.summary.slice(0, 1000) },
    });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "grant.credential_issued",
      targetType: "grant",
      targetId: grantId,
      outcome: "ALLOWED",
      details: { connectorId, kind: row.kind, summary: result.summary.slice(0, 300) },
      ip: context?.ip ?? null,
      userAgent: context?.userAgent ?? null,
      requestId: context?.requestId ?? null,
    });
  });
  return result.credential;
};
