import { outboundRequest, type TOutboundPolicy } from "../security/outbound";

const TEAMS_TIMEOUT_MS = 10_000;

/**
 * Posts one card to a Teams Workflows webhook through the outbound guard (ADR 0032). The URL
 * carries its own signature and is a credential: it never appears in an error or a log line.
 */
export const postTeamsCard = async (options: { url: string; body: unknown; policy?: TOutboundPolicy }) => {
  let response: Awaited<ReturnType<typeof outboundRequest>>;
  try {
    response = await outboundRequest({
      url: options.url,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(options.body),
      timeoutMs: TEAMS_TIMEOUT_MS,
      policy: options.policy,
    });
  } catch (error) {
    throw new Error(`Teams webhook failed: ${(error as { errorClass?: string }).errorClass ?? "network"}`);
  }
  if (response.errorClass) throw new Error(`Teams webhook answered ${response.status} (${response.errorClass})`);
};
