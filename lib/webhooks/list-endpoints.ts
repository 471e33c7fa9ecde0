import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { boundedText, resourceNotFound } from "./internal";

export type TWebhookEndpoint = {
  id: string;
  url: string;
  events: string[];
  createdAt: Date;
  disabledAt: Date | null;
};

/** Administrators: a resource's endpoints, newest first. Never their secrets. */
export const listEndpoints = async (options: {
  actor: TUserActor;
  resourceKey: string;
  context?: TAuditContext;
}): Promise<TWebhookEndpoint[]> => {
  await assertCan(options.actor, "catalog.manage", undefined, options.context);
  const resourceKey = boundedText(options.resourceKey);
  const resource = await db.resource.findUnique({
    where: { key: resourceKey },
    select: {
      webhookEndpoints: {
        orderBy: { createdAt: "desc" },
        select: { id: true, url: true, events: true, createdAt: true, disabledAt: true },
      },
    },
  });
  if (!resource) throw resourceNotFound(resourceKey);
  return resource.webhookEndpoints;
};
