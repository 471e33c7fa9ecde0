import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { answerError, downloadResponse } from "@/lib/errors";
import { exportGrantHistory, filterInputFrom } from "@/lib/history";

export const dynamic = "force-dynamic";

const CONTENT_TYPES = { csv: "text/csv; charset=utf-8", jsonl: "application/jsonl; charset=utf-8" } as const;

/**
 * GET /security/export?format=csv|jsonl&<history filters>: the filtered grant history as a
 * download, streamed batch by batch from the database (no size limit in memory). Security
 * reviewers and administrators; the export is audited.
 */
export const GET = async (request: Request) => {
  try {
    const actor = await requireActor();
    const params = new URL(request.url).searchParams;
    const { format, lines } = await exportGrantHistory({
      actor,
      input: filterInputFrom(params),
      format: params.get("format") ?? "csv",
      context: await requestContext(),
    });
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      // One keyset batch per pull: the stream asks for more only as the client reads.
      pull: async (controller) => {
        const { value, done } = await lines.next();
        if (done) controller.close();
        else if (value) controller.enqueue(encoder.encode(value));
      },
      cancel: async () => {
        await lines.return(undefined);
      },
    });
    const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
    return downloadResponse(body, { contentType: CONTENT_TYPES[format], filename: `grant-history-${stamp}.${format}` });
  } catch (error) {
    return answerError(error);
  }
};
