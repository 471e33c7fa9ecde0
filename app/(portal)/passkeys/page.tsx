import type { Metadata } from "next";
import { Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { safeCallbackPath } from "@/lib/auth/safe-callback";
import { getConfig } from "@/lib/config";
import { listPasskeys } from "@/lib/webauthn";
import { AddPasskeyForm, PasskeyTable } from "./passkey-manager";

export const metadata: Metadata = { title: "Passkeys" };

type TSearchParams = Promise<Record<string, string | string[] | undefined>>;

const PasskeysPage = async ({ searchParams }: { searchParams: TSearchParams }) => {
  const actor = await requirePageActor("/passkeys");
  await authorizePage(actor, "passkeys.manage", { type: "user", id: actor.userId });
  const passkeys = await listPasskeys({ actor });
  // Pages that need a passkey (a decision) link here with ?returnTo=<their path>.
  const returnToParam = (await searchParams).returnTo;
  const raw = Array.isArray(returnToParam) ? returnToParam[0] : returnToParam;
  const returnTo = raw ? safeCallbackPath(raw, getConfig().appUrl) : null;

  return (
    <>
      <PageHeader
        title="Passkeys"
        description="A passkey confirms each approval, denial and other sensitive action you take here. It stays on your device or password manager; the portal keeps only its public key."
      />
      <Section title="Your passkeys">
        {passkeys.length === 0 ? (
          <Empty>You have no passkey yet. Add one below to approve or deny requests.</Empty>
        ) : (
          <PasskeyTable
            rows={passkeys.map((passkey) => ({
              id: passkey.id,
              name: passkey.name,
              created: formatDateTime(passkey.createdAt),
              lastUsed: passkey.lastUsedAt ? formatDateTime(passkey.lastUsedAt) : null,
              synced: passkey.backedUp,
            }))}
          />
        )}
      </Section>
      <Section title="Add a passkey">
        <p className="mb-3 max-w-2xl text-sm text-slate-600">
          Adding a passkey needs a sign-in from the last 10 minutes, or a confirmation with a passkey you already have.
        </p>
        <AddPasskeyForm returnTo={returnTo && returnTo !== "/passkeys" ? returnTo : null} />
      </Section>
    </>
  );
};

export default PasskeysPage;
