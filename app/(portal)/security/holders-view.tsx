import Link from "next/link";
import { DataTable, Empty, formatDateTime, PageHeader } from "@/app/components/ui";
import type { TUserActor } from "@/lib/authz";
import { filterQuery, listHolders } from "@/lib/history";

/** `?month=YYYY-MM` (UTC), last month by default: the range [first day, first day of next month). */
export const monthRange = (month: string | string[] | undefined, now = new Date()) => {
  const match = typeof month === "string" ? /^(\d{4})-(\d{2})$/.exec(month) : null;
  const year = match ? Number(match[1]) : now.getUTCMonth() === 0 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
  const index = match ? Number(match[2]) - 1 : (now.getUTCMonth() + 11) % 12;
  const from = new Date(Date.UTC(year, Math.min(Math.max(index, 0), 11), 1));
  const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  const label = from.toISOString().slice(0, 7);
  const shift = (months: number) =>
    new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + months, 1)).toISOString().slice(0, 7);
  return { from, to, label, previous: shift(-1), next: shift(1) };
};

/** Who held a resource (by: resource) or what a person held (by: person) in one month. */
export const HoldersView = async ({
  actor,
  by,
  id,
  title,
  basePath,
  month,
}: {
  actor: TUserActor;
  by: "resource" | "person";
  id: string;
  title: string;
  basePath: string;
  month: string | string[] | undefined;
}) => {
  const range = monthRange(month);
  const holders = await listHolders({ actor, by, id, from: range.from, to: range.to });
  const historyFilter = filterQuery({
    ...(by === "resource" ? { resource: id } : { person: id }),
    from: range.from,
    to: range.to,
  } as never);
  return (
    <>
      <PageHeader
        title={title}
        description={`Grants in force at some moment of ${range.label} (UTC), with their minutes inside the month.`}
      />
      <nav aria-label="Months" className="mb-4 flex gap-4 text-sm">
        <Link href="/security" className="underline">
          Grant history
        </Link>
        <Link href={`${basePath}?month=${range.previous}`} className="underline">
          ← {range.previous}
        </Link>
        <Link href={`${basePath}?month=${range.next}`} className="underline">
          {range.next} →
        </Link>
        <Link href={`/security?${historyFilter}`} className="underline">
          Each grant of {range.label}
        </Link>
      </nav>
      {holders.length === 0 ? (
        <Empty>Nothing in {range.label}.</Empty>
      ) : (
        <DataTable
          caption={`${title}, ${range.label}`}
          columns={[
            by === "resource" ? "Person" : "Resource",
            "Grants",
            "Minutes",
            "Permissions",
            "First start",
            "Last end",
          ]}
        >
          {holders.map((holder) => (
            <tr key={holder.id} className="border-t border-slate-100">
              <td className="px-3 py-2">
                <Link
                  href={
                    by === "resource"
                      ? `/security/people/${holder.id}?month=${range.label}`
                      : `/security/resources/${encodeURIComponent(holder.id)}?month=${range.label}`
                  }
                  className="underline"
                >
                  {holder.label}
                </Link>
                <span className="block text-xs text-slate-500">{holder.detail}</span>
              </td>
              <td className="px-3 py-2">{holder.grants}</td>
              <td className="px-3 py-2">{holder.minutes}</td>
              <td className="px-3 py-2 font-mono">{holder.permissions}</td>
              <td className="px-3 py-2 whitespace-nowrap">{formatDateTime(holder.firstStart)}</td>
              <td className="px-3 py-2 whitespace-nowrap">{formatDateTime(holder.lastEnd)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
};
