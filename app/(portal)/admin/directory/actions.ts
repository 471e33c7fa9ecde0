"use server";

import { revalidatePath } from "next/cache";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { createDirectoryConnection, createDirectoryToken, revokeDirectoryToken } from "@/lib/scim/manage-connections";
import { formAction, type TRefusal } from "@/lib/security/server-action-guard";
import { createSignalTransmitter, disableSignalTransmitter } from "@/lib/ssf/manage-transmitters";
import { submittedValues } from "../resources/form-data";

// Every export of a "use server" module is a public endpoint: each one authenticates, and
// the domain function it calls authorizes (directory.manage) and validates.

export type TDirectoryFormResult =
  | { ok: true; message: string; token?: string }
  | { ok: false; message: string; fields: Record<string, string>; values: Record<string, string[]> };

const text = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value.slice(0, 2000) : "";
};

const refusal = (refused: TRefusal, form: FormData | null): TDirectoryFormResult => ({
  ok: false,
  message: refused.message,
  fields: refused.fields,
  values: form ? submittedValues(form) : {},
});

export const createDirectoryConnectionAction = formAction<TDirectoryFormResult | null>(refusal, async (form) => {
  const actor = await requireActor();
  const created = await createDirectoryConnection({
    actor,
    input: { name: text(form, "name"), issuer: text(form, "issuer"), linkClaim: text(form, "linkClaim") },
    context: await requestContext(),
  });
  revalidatePath("/admin/directory");
  return { ok: true, message: "Directory connection created.", token: created.token };
});

export const createDirectoryTokenAction = formAction<TDirectoryFormResult | null>(refusal, async (form) => {
  const actor = await requireActor();
  const created = await createDirectoryToken({
    actor,
    input: { connectionId: text(form, "connectionId") },
    context: await requestContext(),
  });
  revalidatePath("/admin/directory");
  return {
    ok: true,
    message: "New token created; revoke the old one once the IdP uses this one.",
    token: created.token,
  };
});

export const revokeDirectoryTokenAction = formAction<TDirectoryFormResult | null>(refusal, async (form) => {
  const actor = await requireActor();
  await revokeDirectoryToken({ actor, input: { tokenId: text(form, "tokenId") }, context: await requestContext() });
  revalidatePath("/admin/directory");
  return { ok: true, message: "Token revoked: the IdP's next request with it is refused." };
});

export const createSignalTransmitterAction = formAction<TDirectoryFormResult | null>(refusal, async (form) => {
  const actor = await requireActor();
  await createSignalTransmitter({
    actor,
    input: {
      name: text(form, "name"),
      issuer: text(form, "issuer"),
      jwksUrl: text(form, "jwksUrl"),
      audience: text(form, "audience"),
      subjectIssuer: text(form, "subjectIssuer"),
      onDeviceNonCompliant: text(form, "onDeviceNonCompliant"),
    },
    context: await requestContext(),
  });
  revalidatePath("/admin/directory");
  return { ok: true, message: "Transmitter added: give the IdP its receiver URL from the list." };
});

export const disableSignalTransmitterAction = formAction<TDirectoryFormResult | null>(refusal, async (form) => {
  const actor = await requireActor();
  await disableSignalTransmitter({
    actor,
    input: { transmitterId: text(form, "transmitterId") },
    context: await requestContext(),
  });
  revalidatePath("/admin/directory");
  return { ok: true, message: "Transmitter disabled: its next event is refused." };
});
