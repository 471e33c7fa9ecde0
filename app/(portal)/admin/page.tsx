import type { Metadata } from "next";
import Link from "next/link";
import { Badge, formatDateTime, PageHeader, Section, DataTable } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { workerStatus } from "@/lib/queue/heartbeat";
import { listUsers } from "@/lib/users";
import { UserActiveForm } from "./user-active-form";

export const metadata: Metadata = { title: "Admin" };

const AdminPage = async () => {
  const actor = await requirePageActor("/admin");
  await authorizePage(actor, "admin.view");
  const [users, workers] = await Promise.all([listUsers({ actor }), workerStatus()]);
  return (
    <>
      <PageHeader title="Admin" description="People from single sign-on, and the health of the background workers." />
      <Section title="Workers">
        <p data-testid="worker-status">
          {workers.up ? <Badge tone="green">worker up</Badge> : <Badge tone="red">worker down</Badge>}{" "}
          {workers.workers.length > 0
            ? `${workers.workers.length} worker(s); last heartbeat ${formatDateTime(new Date(workers.workers[0]!.beatAt))}`
            : "No worker has reported a heartbeat in the last 15 seconds: scheduled starts, expiry notices and webhooks wait until one runs. Grants still expire on time."}
        </p>
        <p className="mt-2">
          <Link href="/admin/jobs" className="underline">
            Failed jobs
          </Link>
          : background jobs that used every retry, to retry or discard.
        </p>
      </Section>
      <Section title="Catalog">
        <ul className="list-disc space-y-1 pl-5">
          <li>
            <Link href="/admin/resources" className="underline">
              Resources and access policies
            </Link>
            : what can be requested, by whom, approved by whom.
          </li>
          <li>
            <Link href="/admin/bundles" className="underline">
              Bundles
            </Link>
            : several resources and permissions requested together, each under its own policy.
          </li>
          <li>
            <Link href="/admin/policies" className="underline">
              Export or import the catalog
            </Link>{" "}
            as YAML or JSON, to review it in git.
          </li>
        </ul>
      </Section>
      <Section title="Services API">
        <p>
          <Link href="/admin/services" className="underline">
            Service clients
          </Link>
          : machine identities that ask whether a person holds a permission right now (
          <Link href="/api-docs" className="underline">
            API documentation
          </Link>
          ).
        </p>
      </Section>
      <Section title="Directory sync">
        <p>
          <Link href="/admin/directory" className="underline">
            Directory sync
          </Link>
          : SCIM 2.0 provisioning from your IdP (tokens per connection).
        </p>
      </Section>
      <Section title="Users">
        <DataTable
          caption="Users: signed in through single sign-on, or created by directory sync"
          columns={["Name", "Email", "Groups", "Last sign-in", "Status", "Action"]}
        >
          {users.map((user) => (
            <tr key={user.id} className="border-t border-slate-100" data-testid={`user-row-${user.email ?? user.id}`}>
              <td className="px-3 py-2">{user.name}</td>
              <td className="px-3 py-2">{user.email ?? "no verified e-mail"}</td>
              <td className="px-3 py-2">{user.groups.join(", ")}</td>
              <td className="px-3 py-2 whitespace-nowrap">
                {user.lastSignInAt ? formatDateTime(user.lastSignInAt) : "never"}
              </td>
              <td className="px-3 py-2">
                {user.deactivatedAt ? <Badge tone="red">deactivated</Badge> : <Badge tone="green">active</Badge>}
              </td>
              <td className="px-3 py-2">
                {user.id === actor.userId ? (
                  <span className="text-slate-500">(you)</span>
                ) : (
                  <UserActiveForm userId={user.id} userName={user.name} active={!user.deactivatedAt} />
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      </Section>
    </>
  );
};

export default AdminPage;
