import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCanOrHide, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { unseal } from "../security/sealed";
import { SEAL } from "./internal";
import type { TOneTimeCredential } from "./types";

export const ZRevealGrantCredential = z.strictObject({ grantId: z.string().min(1).max(64), connectorId: z.uuid() });
export type TRevealGrantCredential = z.input<typeof ZRevealGrantCredential>;

type TRevealOptions = { actor: TUserActor; input: TRevealGrantCredential; context?: TAuditContext; now?: Date };

const NOT_FOUND = "No such grant.";
const ZCredential = z.strictObject({
  title: z.string(),
  fields: z.array(z.strictObject({ label: z.string(), value: z.string(), secret: z.boolean().optional() })),
});

/**
 * The grantee's one look at a credential a connector minted: returned once and erased in the
 * same transaction, so the portal keeps no readable copy after this view (a second call is a
 * CONFLICT). Only the grant's subject, and only while the grant is live. The audit event says
 * it was seen, never what it was.
 */
export const revealGrantCredential = async ({
  actor,
  input,
  context,
  now,
}: TRevealOptions): Promise<TOneTimeCredential> => {
  const parsed = ZRevealGrantCredential.safeParse(input);
  if (!parsed.success) throw new AppError("NOT_FOUND", NOT_FOUND);
  const { grantId, connectorId } = parsed.data;
  const grant = await db.grant.findUnique({ where: { id: grantId }, select: { id: true, subjectId: true } });
  if (!grant) throw new AppError("NOT_FOUND", NOT_FOUND);
  const target = { type: "grant" as const, id: grant.id, subjectId: grant.subjectId };
  await assertCanOrHide({ actor, action: "grant.credential", target, visible: false, notFound: NOT_FOUND, context });
  const at = now ?? new Date();
  return db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<Array<{ id: string; credentialSealed: string | null; live: boolean }>>`
      select p.id, p."credentialSealed",
             (g."revokedAt" is null and g."expiresAt" > ${at}::timestamp(3)) as live
        from "GrantProvisioning" p join "Grant" g on g.id = p."grantId"
       where p."grantId" = ${grantId} and p."connectorId" = ${connectorId} and g."subjectId" = ${actor.userId}
       for update of p`;
    if (!row) throw new AppError("NOT_FOUND", "No credential for this grant.");
    if (!row.credentialSealed)
      throw new AppError("CONFLICT", "This credential was already shown once; it is not kept.");
    if (!row.live) throw new AppError("CONFLICT", "This grant has ended; its credential no longer works.");
    const credential = ZCredential.parse(
      JSON.parse(unseal(row.credentialSealed, { ...SEAL, label: "grant credential" })),
    );
    await tx.grantProvisioning.update({
      where: { id: row.id },
      data: { credentialSealed: null, credentialViewedAt: at },
    });
    await tx.provisioningEvent.create({
      data: { grantId, connectorId, kind: "credential-viewed", message: `${credential.title} shown to its grantee` },
    });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "grant.credential_viewed",
      targetType: "grant",
      targetId: grantId,
      outcome: "ALLOWED",
      details: { connectorId },
      ip: context?.ip ?? null,
      userAgent: context?.userAgent ?? null,
      requestId: context?.requestId ?? null,
    });
    return credential;
  });
};
