/**
 * After an encryption secret is rotated (ADR 0033): every stored value that only the
 * `_PREVIOUS` secret opens is sealed again under the current one, so the previous secret can
 * then be removed. Run by `npm run secrets:reseal`; safe to run again (a value already under
 * the current secret is left alone).
 *
 * Connector credentials are sealed for the purpose "connector-credentials": the connectors'
 * table joins the list below when it exists.
 */
import { recordAuditEvent } from "../audit";
import { db } from "../db";
import { resealSigningKeys } from "../services/signing-keys";
import { resealed } from "./sealed";

export type TResealResult = Record<string, { resealed: number; unreadable: number }>;

const resealWebhookSecrets = async (): Promise<{ resealed: number; unreadable: number }> => {
  const rows = await db.webhookEndpoint.findMany({ select: { id: true, secretEncrypted: true } });
  let count = 0;
  let unreadable = 0;
  for (const row of rows) {
    let next: string | null;
    try {
      next = resealed(row.secretEncrypted, { purpose: "webhook-secrets", label: "webhook secret" });
    } catch {
      unreadable += 1;
      continue;
    }
    if (next === null) continue;
    // Conditional: an endpoint re-created meanwhile keeps its new secret.
    const { count: updated } = await db.webhookEndpoint.updateMany({
      where: { id: row.id, secretEncrypted: row.secretEncrypted },
      data: { secretEncrypted: next },
    });
    count += updated;
  }
  return { resealed: count, unreadable };
};

export const resealSecrets = async (): Promise<TResealResult> => {
  const result: TResealResult = {
    "webhook-secrets": await resealWebhookSecrets(),
    "signing-keys": await resealSigningKeys(),
  };
  await recordAuditEvent({
    actorType: "SYSTEM",
    actorId: "system:cli",
    action: "secrets.reseal",
    targetType: "system",
    targetId: "encryption-secrets",
    outcome: "ALLOWED",
    details: result,
  });
  return result;
};
