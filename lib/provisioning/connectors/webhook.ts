/**
 * Webhooks as a connector: the receiver is the target. `provision` POSTs `grant.activated` (or
 * `grant.extended` once the receiver holds the grant), `deprovision` POSTs `grant.expired` or
 * `grant.revoked`, signed per Standard Webhooks with the connector's secret, in the same
 * payload shape as the resource's webhook endpoints. Event ids are deterministic per grant,
 * event and instant, so a repeat is one event to a receiver that deduplicates on `webhook-id`.
 *
 * A receiver that can list what it holds answers a signed GET on the inspect URL with
 * `{"grants": [{"grantId": "...", "targets": ["..."]}]}`, which makes drift visible; one that
 * answers `{"held": false}` to a deprovision says it had nothing to remove, and
 * `{"sessionsTerminated": n}` how many sessions it ended.
 */
import { z } from "zod";
import { ZWebhookUrl } from "../../webhooks/schemas";
import { signWebhook } from "../../webhooks/signature";
import { openTarget } from "../outbound";
import type { TConnector, TConnectorContext, TInspectEntry, TProvisioningGrant } from "../types";

export const ZWebhookConnectorSettings = z.strictObject({
  url: ZWebhookUrl,
  inspectUrl: ZWebhookUrl.optional(),
});
export type TWebhookConnectorSettings = z.output<typeof ZWebhookConnectorSettings>;
type TContext = TConnectorContext<TWebhookConnectorSettings>;

const TIMEOUT_MS = 10_000;

const signedFetch = async (
  context: TContext,
  url: string,
  options: { method: "POST" | "GET"; id: string; body: string },
): Promise<{ status: number; json: unknown }> => {
  if (!context.credential) throw new Error("webhook connector: no signing secret");
  await openTarget(url, new URL(url).protocol === "https:" ? 443 : 80);
  const timestamp = Math.floor(Date.now() / 1000);
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  const response = await fetch(url, {
    method: options.method,
    headers: {
      ...(options.method === "POST" ? { "content-type": "application/json" } : {}),
      "user-agent": "jit-access-connector/1",
      "webhook-id": options.id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signWebhook({ secret: context.credential, id: options.id, timestamp, body: options.body }),
    },
    ...(options.method === "POST" ? { body: options.body } : {}),
    redirect: "manual",
    signal: context.signal ? AbortSignal.any([timeout, context.signal]) : timeout,
  });
  const text = (await response.text()).slice(0, 100_000);
  if (response.status < 200 || response.status >= 300)
    throw new Error(`receiver answered HTTP ${response.status}: ${text.slice(0, 200)}`);
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, json };
};

const post = (context: TContext, grant: TProvisioningGrant, type: string, instant: Date) => {
  const payload = {
    type,
    timestamp: instant.toISOString(),
    data: {
      grantId: grant.grantId,
      subject: { id: grant.subject.id, subjectId: grant.subject.subjectId, email: grant.subject.email },
      resource: grant.resource.key,
      permissions: grant.permissions,
      targets: grant.targets,
      startsAt: grant.startsAt.toISOString(),
      expiresAt: grant.expiresAt.toISOString(),
      ...(grant.revokedAt ? { revokedAt: grant.revokedAt.toISOString() } : {}),
    },
  };
  return signedFetch(context, context.settings.url, {
    method: "POST",
    id: `evt_${grant.grantId}_${type}_${instant.getTime()}`,
    body: JSON.stringify(payload),
  });
};

const ZDeprovisionAnswer = z.looseObject({
  held: z.boolean().optional(),
  sessionsTerminated: z.number().int().min(0).optional(),
});
const ZInspectAnswer = z.looseObject({
  grants: z
    .array(z.looseObject({ grantId: z.string().max(200), targets: z.array(z.string().max(200)).max(100).optional() }))
    .max(100_000),
});

export const webhookConnector: TConnector<TWebhookConnectorSettings> = {
  kind: "webhook",
  label: "Webhook",
  settingsSchema: ZWebhookConnectorSettings,
  credentialLabel: "Signing secret (whsec_…)",
  provision: async (context, grant) => {
    const type = grant.externalRef ? "grant.extended" : "grant.activated";
    await post(context, grant, type, type === "grant.extended" ? grant.expiresAt : grant.startsAt);
    return {
      externalRef: grant.grantId,
      outcome: grant.externalRef ? "updated" : "created",
      summary: `Webhook ${type} delivered`,
    };
  },
  deprovision: async (context, grant) => {
    const type = grant.revokedAt ? "grant.revoked" : "grant.expired";
    const { json } = await post(context, grant, type, grant.revokedAt ?? grant.expiresAt);
    const answer = ZDeprovisionAnswer.safeParse(json);
    const held = answer.success ? answer.data.held : undefined;
    return {
      outcome: held === false ? "absent" : "removed",
      sessionsTerminated: answer.success ? (answer.data.sessionsTerminated ?? null) : null,
      summary: `Webhook ${type} delivered`,
    };
  },
  inspect: async (context) => {
    if (!context.settings.inspectUrl) return [];
    const { json } = await signedFetch(context, context.settings.inspectUrl, {
      method: "GET",
      id: `inspect_${Date.now()}`,
      body: "",
    });
    const parsed = ZInspectAnswer.safeParse(json);
    if (!parsed.success) throw new Error("inspect URL answered something other than {grants: [...]}");
    return parsed.data.grants.flatMap((held): TInspectEntry[] =>
      held.targets && held.targets.length > 0
        ? held.targets.map((target) => ({
            principal: held.grantId,
            target,
            description: `receiver holds ${target} for grant ${held.grantId}`,
          }))
        : [{ principal: held.grantId, target: null, description: `receiver holds grant ${held.grantId}` }],
    );
  },
  test: async (context) => {
    try {
      const { status } = await signedFetch(context, context.settings.url, {
        method: "POST",
        id: `test_${Date.now()}`,
        body: JSON.stringify({ type: "connector.test", timestamp: new Date().toISOString(), data: {} }),
      });
      return { ok: true, detail: `Receiver answered HTTP ${status}.` };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  },
};
