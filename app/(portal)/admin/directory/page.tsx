import type { Metadata } from "next";
import { Badge, DataTable, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { listDirectoryConnections } from "@/lib/scim/manage-connections";
import { scimBaseUrl } from "@/lib/scim/users";
import { listSignalTransmitters, signalsReceiverUrl } from "@/lib/ssf/manage-transmitters";
import { CreateConnectionForm, NewTokenForm, RevokeTokenForm } from "./directory-forms";
import { CreateTransmitterForm, DisableTransmitterForm } from "./signal-forms";

export const metadata: Metadata = { title: "Directory sync" };

const DirectorySyncPage = async () => {
  const actor = await requirePageActor("/admin/directory");
  await authorizePage(actor, "directory.manage");
  const connections = await listDirectoryConnections({ actor });
  const transmitters = await listSignalTransmitters({ actor });
  return (
    <>
      <PageHeader
        title="Directory sync"
        description="SCIM 2.0 provisioning from your IdP: people exist before their first sign-in, leavers are deactivated at once, and group changes apply to eligibility, approver rights and roles without a new sign-in."
      />
      <p className="mb-6 text-sm">
        SCIM base URL: <code className="font-mono">{scimBaseUrl()}</code>
      </p>
      <Section title="Connections">
        {connections.length === 0 ? (
          <Empty>No directory connection yet.</Empty>
        ) : (
          <DataTable
            caption="Directory connections"
            columns={["Name", "Issuer", "Link claim", "People", "Groups", "Tokens", "Actions"]}
          >
            {connections.map((connection) => (
              <tr
                key={connection.id}
                className="border-t border-slate-100 align-top"
                data-testid={`directory-${connection.name}`}
              >
                <td className="px-3 py-2 font-medium">{connection.name}</td>
                <td className="px-3 py-2 font-mono text-xs">{connection.issuer}</td>
                <td className="px-3 py-2 font-mono text-xs">{connection.linkClaim}</td>
                <td className="px-3 py-2">{connection._count.users}</td>
                <td className="px-3 py-2">{connection._count.groups}</td>
                <td className="px-3 py-2 text-xs">
                  {connection.tokens.map((token) => (
                    <div key={token.id} className="mb-2 flex flex-wrap items-center gap-2">
                      <span className="font-mono">…{token.hint}</span>
                      <span>created {formatDateTime(token.createdAt)}</span>
                      <span>{token.lastUsedAt ? `last used ${formatDateTime(token.lastUsedAt)}` : "never used"}</span>
                      {token.revokedAt ? (
                        <Badge tone="red">revoked</Badge>
                      ) : (
                        <RevokeTokenForm tokenId={token.id} hint={token.hint} />
                      )}
                    </div>
                  ))}
                </td>
                <td className="px-3 py-2">
                  <NewTokenForm connectionId={connection.id} name={connection.name} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
      <Section title="Connect an IdP">
        <CreateConnectionForm />
      </Section>
      <Section title="Shared Signals (CAEP)">
        <p className="mb-4 max-w-3xl text-sm">
          Security events pushed by your IdP (RFC 8935): a revoked session or a disabled account ends the person&apos;s
          access at once; a credential change asks for a new sign-in before the next request or decision; a device
          reported not compliant suspends their access until it is compliant again.
        </p>
        {transmitters.length === 0 ? (
          <Empty>No transmitter yet.</Empty>
        ) : (
          <DataTable
            caption="Shared Signals transmitters"
            columns={["Name", "Issuer and audience", "Receiver URL", "Not compliant", "Last event", "Actions"]}
          >
            {transmitters.map((transmitter) => (
              <tr
                key={transmitter.id}
                className="border-t border-slate-100 align-top"
                data-testid={`transmitter-${transmitter.name}`}
              >
                <td className="px-3 py-2 font-medium">{transmitter.name}</td>
                <td className="px-3 py-2 font-mono text-xs">
                  <div>{transmitter.issuer}</div>
                  <div>aud {transmitter.audience}</div>
                  {transmitter.subjectIssuer !== transmitter.issuer ? (
                    <div>people {transmitter.subjectIssuer}</div>
                  ) : null}
                </td>
                <td className="px-3 py-2 font-mono text-xs break-all select-all">
                  {signalsReceiverUrl(transmitter.id)}
                </td>
                <td className="px-3 py-2 text-xs">
                  {transmitter.onDeviceNonCompliant === "SUSPEND" ? "suspend" : "audit"}
                </td>
                <td className="px-3 py-2 text-xs">
                  {transmitter.lastEventAt ? formatDateTime(transmitter.lastEventAt) : "none yet"}
                </td>
                <td className="px-3 py-2">
                  {transmitter.disabledAt ? (
                    <Badge tone="red">disabled</Badge>
                  ) : (
                    <DisableTransmitterForm transmitterId={transmitter.id} name={transmitter.name} />
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
        <div className="mt-4">
          <CreateTransmitterForm />
        </div>
      </Section>
    </>
  );
};

export default DirectorySyncPage;
