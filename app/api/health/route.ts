import { checkHealth } from "@/lib/health";

export const dynamic = "force-dynamic";

/** Readiness: 200 when PostgreSQL and Redis answer, 503 naming what does not. No secrets. */
export const GET = async () => {
  const health = await checkHealth();
  return Response.json(health, { status: health.ok ? 200 : 503, headers: { "cache-control": "no-store" } });
};
