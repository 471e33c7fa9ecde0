import { appendFile, mkdir, open } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../../config";

/**
 * Where anchors are kept outside the database (ADR 0028), and read back from.
 *
 * - `file:/path`: one JSON line appended per anchor (a volume the database host cannot write:
 *   a WORM bucket mount, a log shipper's input, another team's host).
 * - `https://…`: each anchor is POSTed as JSON; a GET on the same URL answers the anchors
 *   kept so far as JSON lines (newest last; the newest few hundred are enough). With
 *   AUDIT_ANCHOR_SINK_TOKEN, both carry `Authorization: Bearer <token>`.
 */
export type TAnchorSink = NonNullable<Config["auditAnchor"]["sink"]>;

const TIMEOUT_MS = 10_000;
/** Reading back: the newest anchors are what a check needs; this much of a file's end holds thousands. */
export const READ_TAIL_BYTES = 1_048_576;

const headers = (token: string | null, extra: Record<string, string> = {}): Record<string, string> => ({
  ...extra,
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

export class AnchorSinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AnchorSinkError";
  }
}

/** A sink fit for messages: an HTTPS sink's URL without query string or user info. */
export const describeSink = (sink: TAnchorSink): string => {
  if (sink.kind === "file") return `file:${sink.path}`;
  const url = new URL(sink.url);
  return `${url.origin}${url.pathname}`;
};

export const writeAnchorLine = async (sink: TAnchorSink, token: string | null, line: string): Promise<void> => {
  if (sink.kind === "file") {
    await mkdir(path.dirname(path.resolve(sink.path)), { recursive: true });
    await appendFile(sink.path, `${line}\n`, { encoding: "utf8", mode: 0o640 });
    return;
  }
  const response = await fetch(sink.url, {
    method: "POST",
    headers: headers(token, { "content-type": "application/json" }),
    body: line,
    redirect: "error",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).catch((error: unknown) => {
    throw new AnchorSinkError(`anchor sink ${describeSink(sink)} did not answer (${(error as Error).message})`);
  });
  await response.body?.cancel().catch(() => undefined);
  if (!response.ok) throw new AnchorSinkError(`anchor sink ${describeSink(sink)} answered ${response.status}`);
};

/** The newest lines of the sink (at most `limit`), oldest first; [] when nothing was written yet. */
export const readAnchorLines = async (sink: TAnchorSink, token: string | null, limit: number): Promise<string[]> => {
  let text: string;
  if (sink.kind === "file") {
    let handle;
    try {
      handle = await open(sink.path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new AnchorSinkError(`cannot read ${describeSink(sink)} (${(error as NodeJS.ErrnoException).code})`);
    }
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, READ_TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      text = buffer.toString("utf8");
      // A read that starts mid-file starts mid-line: drop the partial first line.
      if (length < size) text = text.slice(text.indexOf("\n") + 1);
    } finally {
      await handle.close();
    }
  } else {
    const response = await fetch(sink.url, {
      headers: headers(token, { accept: "application/x-ndjson, application/json" }),
      redirect: "error",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }).catch((error: unknown) => {
      throw new AnchorSinkError(`anchor sink ${describeSink(sink)} did not answer (${(error as Error).message})`);
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new AnchorSinkError(`anchor sink ${describeSink(sink)} answered ${response.status}`);
    }
    text = await response.text();
  }
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .slice(-limit);
};
