import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { getConfig } from "../config";
import { db } from "../db";
import { AppError } from "../errors";
import { auditableUrl } from "./auditable-url";
import { checkOutboundUrl, type TOutboundPolicy } from "../security/outbound";
import { auditEndpointChange, boundedText, resourceNotFound } from "./internal";
import { type TWebhookEventType, ZCreateEndpoint } from "./schemas";
import { encryptSecret, generateSecret } from "./secrets";

/**
 * Administrators: registers an endpoint for one resource's grant events. Returns the signing
 * secret, which is shown this once and stored only encrypted. A URL whose host is or resolves
 * to an internal address that OUTBOUND_ALLOWED_HOSTS does not name is refused here with the
 * reason (INVALID_INPUT on `url`); deliveries are vetted again at every send (ADR 0032).
 */
export const createEndpoint = async (options: {
  actor: TUserActor;
  resourceKey: string;
  url: string;
  events: readonly string[];
  context?: TAuditContext;
  /** Tests: another allow-list than OUTBOUND_ALLOWED_HOSTS. */
  outboundPolicy?: TOutboundPolicy;
}): Promise<{ endpointId: string; secret: string }> => {
  const { actor, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);
  const parsed = ZCreateEndpoint.safeParse({ url: options.url, events: [...options.events] });
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) fields[String(issue.path[0] ?? "form")] ??= issue.message;
    throw new AppError("INVALID_INPUT", "Some fields need attention.", fields);
  }
  const { url, events } = parsed.data;
  // Grant events name people and their access: never sent in clear text in production.
  if (getConfig().isProduction && new URL(url).protocol !== "https:") {
    throw new AppError("INVALID_INPUT", "Some fields need attention.", {
      url: "must start with https:// in production",
    });
  }
  await checkOutboundUrl({ url, field: "url" }, options.outboundPolicy);
  const resourceKey = boundedText(options.resourceKey);
  const secret = generateSecret();

  const endpointId = await db.$transaction(async (tx) => {
    const resource = await tx.resource.findUnique({
      where: { key: resourceKey },
      select: { id: true, archivedAt: true },
    });
    if (!resource) throw resourceNotFound(resourceKey);
    if (resource.archivedAt)
      throw new AppError(
        "CONFLICT",
        "The resource is archived: it is kept as it was. Existing endpoints keep receiving events.",
      );
    const endpoint = await tx.webhookEndpoint.create({
      data: {
        resourceId: resource.id,
        url,
        events: events satisfies TWebhookEventType[],
        secretEncrypted: encryptSecret(secret),
      },
      select: { id: true },
    });
    // Never the secret, not even a part of it.
    await auditEndpointChange(tx, {
      actor,
      context,
      action: "webhook.endpoint.create",
      endpointId: endpoint.id,
      details: { resourceKey, url: auditableUrl(url), events },
    });
    return endpoint.id;
  });
  return { endpointId, secret };
};
