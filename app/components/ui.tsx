import type { ReactNode } from "react";

export const PageHeader = ({ title, description }: { title: string; description?: string }) => (
  <header className="mb-6">
    <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
    {description ? <p className="mt-1 text-slate-600">{description}</p> : null}
  </header>
);

export const Section = ({ title, children }: { title: string; children: ReactNode }) => (
  <section aria-label={title} className="mb-8">
    <h2 className="mb-3 text-lg font-medium">{title}</h2>
    {children}
  </section>
);

export const Empty = ({ children }: { children: ReactNode }) => (
  <p className="rounded-md border border-dashed border-slate-300 bg-white p-4 text-slate-600">{children}</p>
);

export const Badge = ({
  children,
  tone = "slate",
}: {
  children: ReactNode;
  tone?: "slate" | "green" | "amber" | "red" | "blue";
}) => {
  const tones = {
    slate: "bg-slate-100 text-slate-800",
    green: "bg-green-100 text-green-900",
    amber: "bg-amber-100 text-amber-900",
    red: "bg-red-100 text-red-900",
    blue: "bg-blue-100 text-blue-900",
  };
  return <span className={`inline-block rounded px-2 py-0.5 text-xs font-medium ${tones[tone]}`}>{children}</span>;
};

export { formatUtc as formatDateTime } from "@/lib/time";

/**
 * The portal's table: scrolls sideways on small screens, a caption for screen readers and
 * column headers with `scope="col"`. Rows are the caller's `<tr>` elements.
 */
export const DataTable = ({
  caption,
  columns,
  children,
}: {
  caption: string;
  columns: ReactNode[];
  children: ReactNode;
}) => (
  <div className="overflow-x-auto rounded-md border border-slate-200 bg-white">
    <table className="min-w-full text-left text-sm">
      <caption className="sr-only">{caption}</caption>
      <thead className="bg-slate-100">
        <tr>
          {columns.map((column, index) => (
            <th key={index} scope="col" className="px-3 py-2">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
);
