import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { auditableUrl } from "./auditable-url";
import { auditEndpointChange, boundedText, endpointNotFound } from "./internal";

/**
 * Administrators: stops deliveries to an endpoint, including those already queued (the
 * worker checks at send time). Scoped to the resource the administrator is looking at.
 * Disabling twice is not an error and writes no second event.
 */
export const disableEndpoint = async (options: {
  actor: TUserActor;
  resourceKey: string;
  endpointId: string;
  context?: TAuditContext;
}): Promise<{ disabled: boolean }> => {
  const { actor, context } = options;
  await assertCan(actor, "catalog.manage", undefined, context);
  const resourceKey = boundedText(options.resourceKey);
  const endpointId = boundedText(options.endpointId);

  return db.$transaction(async (tx) => {
    const endpoint = await tx.webhookEndpoint.findFirst({
      where: { id: endpointId, resource: { key: resourceKey } },
      select: { id: true, url: true },
    });
    if (!endpoint) throw endpointNotFound();
    // Conditional update under the row's lock: of two concurrent disables exactly one counts.
    const { count } = await tx.webhookEndpoint.updateMany({
      where: { id: endpoint.id, disabledAt: null },
      data: { disabledAt: new Date() },
    });
    if (count === 0) return { disabled: false };
    await auditEndpointChange(tx, {
      actor,
      context,
      action: "webhook.endpoint.disable",
      endpointId: endpoint.id,
      details: { resourceKey, url: auditableUrl(endpoint.url) },
    });
    return { disabled: true };
  });
};
