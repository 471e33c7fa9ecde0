"use server";

import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import {
  issueGrantCredential,
  revealGrantCredential,
  type TOneTimeCredential,
  ZIssueGrantCredential,
  ZRevealGrantCredential,
} from "@/lib/provisioning";
import { dataAction, type TRefusal } from "@/lib/security/server-action-guard";

// Every export of a "use server" module is a public endpoint: each authenticates, and the
// domain function authorizes (only the grant's subject: "grant.credential") and validates.

type TFailure = { ok: false; message: string; fields: Record<string, string> };
const failure = ({ message, fields }: TRefusal): TFailure => ({ ok: false, message, fields });
type TAnswer = { ok: true; credential: TOneTimeCredential } | TFailure;

/** The grantee's one look at a credential a connector minted; erased as it is answered. */
export const revealCredentialAction = dataAction(failure, async (input: unknown): Promise<TAnswer> => {
  const parsed = ZRevealGrantCredential.safeParse(input);
  if (!parsed.success) return { ok: false, message: "No such grant.", fields: {} };
  const credential = await revealGrantCredential({
    actor: await requireActor(),
    input: parsed.data,
    context: await requestContext(),
  });
  return { ok: true, credential };
});

/** On-demand credentials (e.g. an SSH certificate for a public key): answered, never stored. */
export const issueCredentialAction = dataAction(failure, async (input: unknown): Promise<TAnswer> => {
  const parsed = ZIssueGrantCredential.safeParse(input);
  if (!parsed.success) return { ok: false, message: "Invalid request.", fields: {} };
  const credential = await issueGrantCredential({
    actor: await requireActor(),
    input: parsed.data,
    context: await requestContext(),
  });
  return { ok: true, credential };
});
