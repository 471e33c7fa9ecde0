import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db, type Prisma } from "../db";
import { AppError } from "../errors";
import { seal } from "../security/sealed";
import { SEAL } from "./internal";
import { connectorKinds, connectorOf } from "./registry";
import { type TAttachConnector, ZAttachConnector } from "./schemas";

type TAttachConnectorOptions = { actor: TUserActor; input: TAttachConnector; context?: TAuditContext };

const fieldsOf = (error: { issues: Array<{ path: PropertyKey[]; message: string }> }, prefix: string) =>
  Object.fromEntries(
    error.issues.map((issue) => [[prefix, ...issue.path.map(String)].filter(Boolean).join("."), issue.message]),
  );

/**
 * Administrators: attach a provisioning connector to a resource (or replace the one of that
 * name). Settings are checked by the kind's schema; the mapping may name only the resource's
 * permissions; the credential is sealed at once and appears in no answer, log or audit
 * detail again. One transaction with its audit event.
 */
export const attachConnector = async ({ actor, input, context }: TAttachConnectorOptions) => {
  await assertCan(actor, "catalog.manage", undefined, context);
  const parsed = ZAttachConnector.safeParse(input);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Some fields need attention.", fieldsOf(parsed.error, ""));
  const { resourceKey, kind, name, mapping, autoRemoveDrift } = parsed.data;
  const connector = connectorOf(kind);
  if (!connector)
    throw new AppError("INVALID_INPUT", `Unknown connector kind; one of ${connectorKinds().join(", ")}.`, {
      kind: "Unknown kind.",
    });
  const settings = connector.settingsSchema.safeParse(parsed.data.settings);
  if (!settings.success)
    throw new AppError("INVALID_INPUT", "The settings need attention.", fieldsOf(settings.error, "settings"));
  const resource = await db.resource.findUnique({
    where: { key: resourceKey },
    select: { id: true, key: true, permissions: true, archivedAt: true },
  });
  if (!resource || resource.archivedAt) throw new AppError("NOT_FOUND", "No such resource.");
  const unknown = Object.keys(mapping).filter((permission) => !resource.permissions.includes(permission));
  if (unknown.length > 0)
    throw new AppError("INVALID_INPUT", `The mapping names permissions this resource lacks: ${unknown.join(", ")}.`, {
      mapping: "Map only the resource's permissions.",
    });
  const typed = parsed.data.credential?.trim() ?? "";
  const generated = !typed && connector.generateCredential ? await connector.generateCredential(settings.data) : "";

  return db.$transaction(async (tx) => {
    const existing = await tx.connector.findUnique({
      where: { resourceId_name: { resourceId: resource.id, name } },
      select: { id: true, kind: true, credentialSealed: true },
    });
    // A generated credential (an SSH CA key) is minted once: re-attaching to change settings
    // keeps it, or every host's TrustedUserCAKeys would go stale.
    const credential = typed || (existing?.credentialSealed ? "" : generated);
    if (existing && existing.kind !== kind)
      throw new AppError("CONFLICT", `A ${existing.kind} connector named "${name}" exists; choose another name.`);
    if (!credential && !existing?.credentialSealed && connector.credentialLabel && kind !== "postgres")
      throw new AppError("INVALID_INPUT", `${connector.credentialLabel} is required.`, { credential: "Required." });
    const data = {
      kind,
      settings: settings.data as Prisma.InputJsonValue,
      mapping,
      autoRemoveDrift,
      disabledAt: null,
      // Keep the stored credential when the form leaves it blank: it is never shown to refill.
      ...(credential ? { credentialSealed: seal(credential, SEAL) } : {}),
    };
    const row = existing
      ? await tx.connector.update({ where: { id: existing.id }, data, select: { id: true } })
      : await tx.connector.create({ data: { ...data, resourceId: resource.id, name }, select: { id: true } });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: existing ? "connector.update" : "connector.attach",
      targetType: "connector",
      targetId: row.id,
      outcome: "ALLOWED",
      // Settings and mapping are not secret; the credential is only said to have changed.
      details: {
        resource: resource.key,
        kind,
        name,
        settings: settings.data,
        mapping,
        autoRemoveDrift,
        credentialChanged: Boolean(credential),
      },
      ip: context?.ip ?? null,
      userAgent: context?.userAgent ?? null,
      requestId: context?.requestId ?? null,
    });
    return { id: row.id, created: !existing };
  });
};
