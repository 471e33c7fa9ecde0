import type { Metadata } from "next";
import Link from "next/link";
import { HorizontalBarChart } from "@/app/components/charts";
import { Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { listFlaggedSignals } from "@/lib/signals";
import { SecurityNav } from "../security-nav";

export const metadata: Metadata = { title: "Signals" };

const RESPONSES: Record<string, string> = {
  alert: "alerted",
  revoke: "grant ended",
  extra_approval: "next request +1 approval",
};

/** Charts for the latest few flagged metrics: enough to see the outlier against its baseline. */
const CHARTS = 5;

const round = (value: number) => Math.round(value * 100) / 100;

const SignalsPage = async () => {
  const actor = await requirePageActor("/security/signals");
  await authorizePage(actor, "security.view");
  const { signals, baselineDays } = await listFlaggedSignals({ actor });
  const charted = signals.filter((signal) => signal.metric !== null && signal.perMinute !== null).slice(0, CHARTS);
  return (
    <>
      <PageHeader
        title="Signals"
        description={`Usage reported by services that was flagged: far outside the person's ${baselineDays}-day baseline for the resource and metric, above a policy's ceiling, or a high or critical event. Each row says what the policy did.`}
      />
      <SecurityNav current="/security/signals" />
      {signals.length === 0 ? (
        <Empty>No flagged signals.</Empty>
      ) : (
        <table className="mb-8 w-full text-left text-sm" aria-label="Flagged signals">
          <thead className="border-b border-slate-200 text-slate-600">
            <tr>
              <th className="py-1 pr-3 font-medium">When</th>
              <th className="py-1 pr-3 font-medium">Person</th>
              <th className="py-1 pr-3 font-medium">Resource</th>
              <th className="py-1 pr-3 font-medium">Service</th>
              <th className="py-1 pr-3 font-medium">Why</th>
              <th className="py-1 font-medium">Response</th>
            </tr>
          </thead>
          <tbody>
            {signals.map((signal) => (
              <tr key={signal.id} className="border-b border-slate-100 align-top">
                <td className="py-1 pr-3 whitespace-nowrap">{formatDateTime(signal.createdAt)}</td>
                <td className="py-1 pr-3">{signal.person}</td>
                <td className="py-1 pr-3">{signal.resource}</td>
                <td className="py-1 pr-3">{signal.client}</td>
                <td className="py-1 pr-3">{signal.reason}</td>
                <td className="py-1">
                  {RESPONSES[signal.response ?? "alert"] ?? signal.response}
                  {signal.grantId ? (
                    <>
                      {" "}
                      (
                      <Link href={`/grants/${signal.grantId}`} className="underline">
                        grant
                      </Link>
                      )
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {charted.length > 0 ? (
        <Section title="Baseline and outlier">
          {charted.map((signal) => (
            <HorizontalBarChart
              key={signal.id}
              id={`signal-${signal.id}`}
              title={`${signal.metric} per minute: ${signal.person} on ${signal.resource}, ${formatDateTime(signal.createdAt)}`}
              items={[
                { label: "reported", value: round(signal.perMinute ?? 0) },
                ...(signal.baseline
                  ? [
                      { label: "usual (median)", value: round(signal.baseline.median) },
                      { label: "flag threshold", value: round(signal.baseline.threshold) },
                    ]
                  : []),
              ]}
            />
          ))}
        </Section>
      ) : null}
    </>
  );
};

export default SignalsPage;
