import { checkHealth, HEALTH_RETRY_AFTER_SECONDS } from "@/lib/health";

export const dynamic = "force-dynamic";

/** Readiness: 200 when PostgreSQL and Redis answer, 503 naming what does not (with Retry-After). No secrets. */
export const GET = async () => {
  const health = await checkHealth();
  const headers: Record<string, string> = {
    "cache-control": "no-store",
    ...(health.ok ? {} : { "retry-after": String(HEALTH_RETRY_AFTER_SECONDS) }),
  };
  return Response.json(health, { status: health.ok ? 200 : 503, headers });
};
