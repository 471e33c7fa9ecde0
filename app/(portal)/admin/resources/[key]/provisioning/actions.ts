"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { attachConnector, disableConnector, testConnector } from "@/lib/provisioning";
import { formAction, type TRefusal } from "@/lib/security/server-action-guard";
import { formRefusal, type TFormResult } from "../../form-data";

// Every export of a "use server" module is a public endpoint: each one authenticates, and the
// domain function it calls authorizes (catalog.manage) and validates.

const text = (form: FormData, name: string, max = 4000): string => {
  const value = form.get(name);
  return typeof value === "string" ? value.slice(0, max) : "";
};

/** Like formRefusal, but the typed credential is never sent back to the browser. */
const refuseWithoutSecret = (refusal: TRefusal, form: FormData | null): TFormResult => {
  const refused = formRefusal(refusal, form);
  if (refused.ok) return refused;
  const { credential: _dropped, ...values } = refused.values;
  return { ...refused, values };
};

const pagePath = (resourceKey: string) => `/admin/resources/${encodeURIComponent(resourceKey)}/provisioning`;

/** "read" -> "app_readonly, app_reports": one field per permission, named `map.<permission>`. */
const mappingOf = (form: FormData): Record<string, string[]> => {
  const mapping = new Map<string, string[]>();
  for (const [name, value] of form.entries()) {
    if (!name.startsWith("map.") || typeof value !== "string") continue;
    const targets = value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    if (targets.length > 0) mapping.set(name.slice(4), targets);
  }
  return Object.fromEntries(mapping);
};

const settingsOf = (form: FormData): Record<string, unknown> => {
  const raw = text(form, "settings", 10_000).trim();
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { settings: "not an object" };
  } catch {
    return { settings: "not JSON" };
  }
};

export const attachConnectorAction = formAction<TFormResult | null>(refuseWithoutSecret, async (form) => {
  const actor = await requireActor();
  const resourceKey = text(form, "resourceKey", 100);
  const { created } = await attachConnector({
    actor,
    input: {
      resourceKey,
      kind: text(form, "kind", 40),
      name: text(form, "name", 64),
      settings: settingsOf(form),
      mapping: mappingOf(form),
      credential: text(form, "credential", 8_192),
      autoRemoveDrift: form.get("autoRemoveDrift") === "on",
    },
    context: await requestContext(),
  });
  revalidatePath(pagePath(resourceKey));
  return { ok: true, message: created ? "Connector attached." : "Connector updated." };
});

export const testConnectorAction = formAction<TFormResult | null>(formRefusal, async (form) => {
  const actor = await requireActor();
  const result = await testConnector({
    actor,
    input: { connectorId: text(form, "connectorId", 64) },
    context: await requestContext(),
  });
  revalidatePath(pagePath(text(form, "resourceKey", 100)));
  return result.ok
    ? { ok: true, message: `Connection works. ${result.detail}` }
    : { ok: false, message: `Connection failed: ${result.error}`, fields: {}, values: {} };
});

export const disableConnectorAction = formAction<TFormResult | null>(formRefusal, async (form) => {
  const actor = await requireActor();
  await disableConnector({
    actor,
    input: { connectorId: text(form, "connectorId", 64) },
    context: await requestContext(),
  });
  revalidatePath(pagePath(text(form, "resourceKey", 100)));
  return { ok: true, message: "Connector disabled: no new grants are provisioned through it." };
});
