import type { Metadata } from "next";
import Link from "next/link";
import { Badge, DataTable, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { listServiceClients } from "@/lib/services";
import { ClientActions, CreateServiceClientForm } from "./service-client-forms";

export const metadata: Metadata = { title: "Service clients" };

const ServiceClientsPage = async () => {
  const actor = await requirePageActor("/admin/services");
  await authorizePage(actor, "services.manage");
  const clients = await listServiceClients({ actor });
  return (
    <>
      <PageHeader
        title="Service clients"
        description="Machine identities of the services API: each gets 15-minute tokens with the OAuth 2.0 client credentials grant, limited to its scopes."
      />
      <p className="mb-6 text-sm">
        <Link href="/api-docs" className="underline">
          API documentation
        </Link>
      </p>
      <Section title="Clients">
        {clients.length === 0 ? (
          <Empty>No service client yet.</Empty>
        ) : (
          <DataTable
            caption="Service clients"
            columns={["Name", "Client id", "Scopes", "Resources", "Owner", "Secrets", "Status", "Actions"]}
          >
            {clients.map((client) => (
              <tr
                key={client.id}
                className="border-t border-slate-100 align-top"
                data-testid={`service-client-${client.name}`}
              >
                <td className="px-3 py-2 font-medium">{client.name}</td>
                <td className="px-3 py-2 font-mono text-xs">{client.id}</td>
                <td className="px-3 py-2">{client.scopes.join(", ")}</td>
                <td className="px-3 py-2">{client.resourceKeys.length ? client.resourceKeys.join(", ") : "all"}</td>
                <td className="px-3 py-2">{client.owner?.email ?? "—"}</td>
                <td className="px-3 py-2 text-xs">
                  {client.secrets.map((secret) => (
                    <div key={secret.id}>
                      created {formatDateTime(secret.createdAt)}
                      {secret.expiresAt ? `, retires ${formatDateTime(secret.expiresAt)}` : ""}
                    </div>
                  ))}
                </td>
                <td className="px-3 py-2">
                  {client.disabledAt ? <Badge tone="red">disabled</Badge> : <Badge tone="green">enabled</Badge>}
                </td>
                <td className="px-3 py-2">
                  {client.disabledAt ? null : <ClientActions clientId={client.id} name={client.name} />}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
      <Section title="Create a client">
        <CreateServiceClientForm />
      </Section>
    </>
  );
};

export default ServiceClientsPage;
