import type { Metadata } from "next";
import { HorizontalBarChart, StackedBarChart } from "@/app/components/charts";
import { PageHeader } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { getHistoryCharts } from "@/lib/history";
import { SecurityNav } from "../security-nav";

export const metadata: Metadata = { title: "Security charts" };

const ChartsPage = async () => {
  const actor = await requirePageActor("/security/charts");
  await authorizePage(actor, "security.view");
  const charts = await getHistoryCharts({ actor, days: 30 });
  return (
    <>
      <PageHeader title="Security charts" description="The last 30 days (UTC)." />
      <SecurityNav current="/security/charts" />
      <StackedBarChart
        id="grants-per-day"
        title="Grants started per day, by resource"
        labels={charts.days}
        series={charts.grantsByResource}
      />
      <StackedBarChart
        id="time-to-decision"
        title="Median time to decision per day (minutes)"
        labels={charts.days}
        series={[{ name: "median minutes", values: charts.medianDecisionMinutes }]}
        unit=" min"
      />
      <StackedBarChart
        id="denials-break-glass"
        title="Denied attempts and break-glass grants per day"
        labels={charts.days}
        series={[
          { name: "denied attempts", values: charts.denials },
          { name: "break-glass grants", values: charts.breakGlass },
        ]}
      />
      <HorizontalBarChart
        id="top-requesters"
        title="Top requesters (requests in 30 days)"
        items={charts.topRequesters.map((requester) => ({ label: requester.name, value: requester.count }))}
      />
    </>
  );
};

export default ChartsPage;
