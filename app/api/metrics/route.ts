import { collectMetrics, metricsAccess } from "@/lib/metrics/collect";

export const dynamic = "force-dynamic";

/**
 * GET /api/metrics: Prometheus text format, for a scraper holding METRICS_TOKEN as a bearer
 * token. Without METRICS_TOKEN configured the endpoint does not exist (404).
 */
export const GET = async (request: Request) => {
  const access = metricsAccess(request.headers.get("authorization"));
  if (access === "disabled")
    return new Response("Not found\n", { status: 404, headers: { "cache-control": "no-store" } });
  if (access === "denied") {
    return new Response("Unauthorized\n", {
      status: 401,
      headers: { "www-authenticate": 'Bearer realm="metrics"', "cache-control": "no-store" },
    });
  }
  return new Response(await collectMetrics(), {
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" },
  });
};
