import type { Metadata } from "next";
import Link from "next/link";
import { Empty, formatDateTime, PageHeader, Section, DataTable } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { listFailedJobs } from "@/lib/queue/dead-letter";
import { FailedJobButtons } from "./failed-job-buttons";

export const metadata: Metadata = { title: "Failed jobs" };

/** One line of JSON, cut short: payloads are ids here, but one written by a bug could be anything. */
const summarize = (value: unknown, max = 120): string => {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

const cell = "px-3 py-2 align-top";

const FailedJobsPage = async () => {
  const actor = await requirePageActor("/admin/jobs");
  await authorizePage(actor, "jobs.manage");
  const { jobs, totals, outbox } = await listFailedJobs({ actor });
  const total = Object.values(totals).reduce((sum, count) => sum + count, 0);
  return (
    <>
      <PageHeader
        title="Failed jobs"
        description="Background jobs that used every retry (with exponential backoff) or were refused as unrecoverable. Retry gives a job one more attempt; Discard deletes it."
      />
      <p className="mb-6">
        <Link href="/admin" className="underline">
          Back to Admin
        </Link>
      </p>
      <Section title="Failed jobs">
        {jobs.length === 0 ? (
          <Empty>No failed jobs.</Empty>
        ) : (
          <>
            {total > jobs.length ? (
              <p className="mb-2 text-sm text-slate-600">
                Showing the {jobs.length} most recent of {total} failed jobs.
              </p>
            ) : null}
            <DataTable
              caption="Failed background jobs, most recent failure first"
              columns={["Queue", "Job", "Payload", "Attempts", "Last error", "Failed at", "Action"]}
            >
              {jobs.map((job) => (
                <tr
                  key={`${job.queue}/${job.id}`}
                  className="border-t border-slate-100"
                  data-testid={`failed-job-${job.queue}-${job.id}`}
                >
                  <td className={cell}>{job.queue}</td>
                  <td className={cell}>
                    <div className="font-medium">{job.name}</div>
                    <div className="font-mono text-xs text-slate-600">{job.id}</div>
                  </td>
                  <td className={`${cell} max-w-xs font-mono text-xs break-all`}>{summarize(job.data)}</td>
                  <td className={cell}>{job.attemptsMade}</td>
                  <td className={`${cell} max-w-md break-words`}>
                    <div>{job.failedReason || "(no message)"}</div>
                    {job.stackFirstLine && job.stackFirstLine !== job.failedReason ? (
                      <div className="font-mono text-xs text-slate-600">{job.stackFirstLine}</div>
                    ) : null}
                  </td>
                  <td className={`${cell} whitespace-nowrap`}>
                    {job.failedAt ? formatDateTime(job.failedAt) : "unknown"}
                  </td>
                  <td className={cell}>
                    <FailedJobButtons queue={job.queue} jobId={job.id} />
                  </td>
                </tr>
              ))}
            </DataTable>
          </>
        )}
      </Section>
      <Section title="Outbox backlog">
        <p className="mb-2 text-sm text-slate-600">
          Jobs committed with a change but not yet handed to the queue because handing them over failed. The relay keeps
          trying them on its own.
        </p>
        {outbox.length === 0 ? (
          <Empty>No outbox rows are stuck.</Empty>
        ) : (
          <DataTable
            caption="Outbox rows that could not be relayed to the queue"
            columns={["Queue", "Job", "Payload", "Attempts", "Last error", "Created"]}
          >
            {outbox.map((row) => (
              <tr key={row.id} className="border-t border-slate-100" data-testid={`outbox-row-${row.id}`}>
                <td className={cell}>{row.queue}</td>
                <td className={cell}>
                  <div className="font-medium">{row.name}</div>
                  <div className="font-mono text-xs text-slate-600">{row.jobId}</div>
                </td>
                <td className={`${cell} max-w-xs font-mono text-xs break-all`}>{summarize(row.payload)}</td>
                <td className={cell}>{row.attempts}</td>
                <td className={`${cell} max-w-md break-words`}>{row.lastError}</td>
                <td className={`${cell} whitespace-nowrap`}>{formatDateTime(row.createdAt)}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
    </>
  );
};

export default FailedJobsPage;
