import type { Metadata } from "next";
import Link from "next/link";
import { Badge, DataTable, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { isAppError } from "@/lib/errors";
import {
  filterInputFrom,
  filterQuery,
  GRANT_STATUSES,
  listGrantHistory,
  listHistoryFacets,
  type TGrantHistoryRow,
  type THistoryFilter,
} from "@/lib/history";
import { VerifyChainForm } from "./verify-chain-form";
import { SecurityNav } from "./security-nav";

export const metadata: Metadata = { title: "Security" };

const STATUS_TONE = { active: "green", scheduled: "blue", expired: "slate", revoked: "red" } as const;

const inputClass = "mt-1 block w-full rounded border border-slate-300 px-2 py-1";
const day = (date: Date | undefined) => date?.toISOString().slice(0, 10) ?? "";

const FilterForm = ({
  filter,
  facets,
}: {
  filter: THistoryFilter;
  facets: Awaited<ReturnType<typeof listHistoryFacets>>;
}) => (
  <form
    method="get"
    action="/security"
    aria-label="Filter the grant history"
    className="mb-4 grid grid-cols-2 gap-3 rounded-md border border-slate-200 bg-white p-4 text-sm md:grid-cols-4"
  >
    <label>
      Person (name or e-mail)
      <input name="person" defaultValue={filter.person ?? ""} className={inputClass} />
    </label>
    <label>
      Resource
      <select name="resource" defaultValue={filter.resource ?? ""} className={inputClass}>
        <option value="">Any</option>
        {facets.resources.map((resource) => (
          <option key={resource.key} value={resource.key}>
            {resource.key}
          </option>
        ))}
      </select>
    </label>
    <label>
      Environment
      <select name="environment" defaultValue={filter.environment ?? ""} className={inputClass}>
        <option value="">Any</option>
        {facets.environments.map((environment) => (
          <option key={environment} value={environment}>
            {environment}
          </option>
        ))}
      </select>
    </label>
    <label>
      Status
      <select name="status" defaultValue={filter.status ?? ""} className={inputClass}>
        <option value="">Any</option>
        {GRANT_STATUSES.map((status) => (
          <option key={status} value={status}>
            {status}
          </option>
        ))}
      </select>
    </label>
    <label>
      In force from
      <input type="date" name="from" defaultValue={day(filter.from)} className={inputClass} />
    </label>
    <label>
      until (inclusive)
      <input
        type="date"
        name="to"
        defaultValue={filter.to ? day(new Date(filter.to.getTime() - 1)) : ""}
        className={inputClass}
      />
    </label>
    <label>
      Break-glass
      <select name="breakGlass" defaultValue={filter.breakGlass ?? ""} className={inputClass}>
        <option value="">Any</option>
        <option value="yes">Only break-glass</option>
        <option value="no">No break-glass</option>
      </select>
    </label>
    <label>
      Approver (name or e-mail)
      <input name="approver" defaultValue={filter.approver ?? ""} className={inputClass} />
    </label>
    <label className="col-span-2">
      Search justifications
      <input
        type="search"
        name="q"
        defaultValue={filter.q ?? ""}
        placeholder="e.g. replication lag -staging"
        className={inputClass}
      />
    </label>
    <div className="col-span-2 flex items-end gap-3">
      <button type="submit" className="rounded bg-slate-900 px-3 py-1.5 font-medium text-white">
        Apply filters
      </button>
      <Link href="/security" className="text-slate-700 underline">
        Clear
      </Link>
    </div>
  </form>
);

const minutes = (value: number | null) =>
  value === null ? "–" : value >= 120 ? `${Math.round(value / 6) / 10} h` : `${value} min`;

const HistoryRow = ({ row }: { row: TGrantHistoryRow }) => (
  <tr className="border-t border-slate-100 align-top">
    <td className="px-3 py-2">
      <Link href={`/security/people/${row.subjectId}`} className="underline">
        {row.subjectName}
      </Link>
      <span className="block text-xs text-slate-500">{row.subjectEmail}</span>
    </td>
    <td className="px-3 py-2">
      <Link href={`/security/resources/${encodeURIComponent(row.resourceKey)}`} className="font-mono underline">
        {row.resourceKey}
      </Link>
      <span className="block text-xs text-slate-500">{row.environment}</span>
    </td>
    <td className="px-3 py-2 font-mono">{row.permissions.join(", ")}</td>
    <td className="px-3 py-2 whitespace-nowrap">{formatDateTime(row.startsAt)}</td>
    <td className="px-3 py-2 whitespace-nowrap">
      {minutes(row.requestedMinutes)} / {minutes(row.actualMinutes)}
      {row.extensions > 0 ? ` (+${row.extensions} ext.)` : ""}
    </td>
    <td className="max-w-xs px-3 py-2">
      {row.breakGlass ? <Badge tone="red">break-glass</Badge> : null} {row.justification ?? ""}
    </td>
    <td className="px-3 py-2 font-mono">{row.ticket ?? ""}</td>
    <td className="px-3 py-2">{row.approvers.join(", ")}</td>
    <td className="px-3 py-2">
      <Badge tone={STATUS_TONE[row.status]}>{row.status}</Badge>
      <span className="block text-xs text-slate-600">{row.ending}</span>
    </td>
  </tr>
);

const SecurityPage = async ({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) => {
  const actor = await requirePageActor("/security");
  await authorizePage(actor, "security.view");
  const input = filterInputFrom(await searchParams);
  const facets = await listHistoryFacets({ actor });
  let history: Awaited<ReturnType<typeof listGrantHistory>> | null = null;
  let problem: string | null = null;
  try {
    history = await listGrantHistory({ actor, input });
  } catch (error) {
    if (!isAppError(error) || error.code !== "INVALID_INPUT") throw error;
    problem = error.message;
  }
  const filter = history?.filter ?? ({} as THistoryFilter);
  const query = filterQuery({ ...filter, after: undefined });
  return (
    <>
      <PageHeader
        title="Security"
        description="Who had what, when, why and approved by whom; and proof that the record is intact."
      />
      <SecurityNav current="/security" />
      <Section title="Grant history">
        <FilterForm filter={filter} facets={facets} />
        {problem ? (
          <p role="alert" className="mb-4 rounded border border-red-200 bg-red-50 p-3 text-red-900">
            {problem}
          </p>
        ) : null}
        <p className="mb-3 flex gap-4 text-sm">
          <span>Export this view:</span>
          <a
            href={`/security/export?${filterQuery({ ...filter, after: undefined }, { format: "csv" })}`}
            className="underline"
            download
          >
            CSV
          </a>
          <a
            href={`/security/export?${filterQuery({ ...filter, after: undefined }, { format: "jsonl" })}`}
            className="underline"
            download
          >
            JSON Lines
          </a>
        </p>
        {history && history.rows.length > 0 ? (
          <DataTable
            caption="Grants matching the filters, newest first"
            columns={[
              "Subject",
              "Resource",
              "Permissions",
              "Started",
              "Requested / actual",
              "Justification",
              "Ticket",
              "Approvers",
              "Ended",
            ]}
          >
            {history.rows.map((row) => (
              <HistoryRow key={row.id} row={row} />
            ))}
          </DataTable>
        ) : (
          <Empty>No grants match these filters.</Empty>
        )}
        <nav aria-label="Pages" className="mt-3 flex gap-4 text-sm">
          {filter.after ? (
            <Link href={`/security${query ? `?${query}` : ""}`} className="underline">
              First page
            </Link>
          ) : null}
          {history?.next ? (
            <Link href={`/security?${filterQuery({ ...filter, after: history.next })}`} className="underline">
              Next page
            </Link>
          ) : null}
        </nav>
      </Section>
      <Section title="Audit chain">
        <p className="mb-3 text-sm text-slate-600">
          Recomputes every event&apos;s hash and link (or those of a date range) and names the first event where the
          chain breaks. The run is itself audited.
        </p>
        <VerifyChainForm />
      </Section>
    </>
  );
};

export default SecurityPage;
