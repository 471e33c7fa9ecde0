import { handleSlackInteraction } from "@/lib/chat/handle-slack-interaction";
import { getConfig } from "@/lib/config";

export const dynamic = "force-dynamic";

/** Slack's interactivity Request URL (docs/chat.md): signed by Slack, acknowledged at once. */
export const POST = async (request: Request) => {
  const result = await handleSlackInteraction({
    signingSecret: getConfig().slack?.signingSecret ?? null,
    rawBody: await request.text(),
    timestamp: request.headers.get("x-slack-request-timestamp"),
    signature: request.headers.get("x-slack-signature"),
    contentType: request.headers.get("content-type"),
  });
  return Response.json(result.body, { status: result.status, headers: { "cache-control": "no-store" } });
};
