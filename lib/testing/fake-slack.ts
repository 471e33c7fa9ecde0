/**
 * A local stand-in for Slack's Web API that speaks only what Slack documents for the three
 * methods the portal calls (https://api.slack.com/methods/chat.postMessage, chat.update,
 * users.lookupByEmail) and FAILS LOUDLY on anything else: an unknown method, a missing or
 * malformed `Authorization: Bearer xoxb-…` header, a content type Slack does not take, a
 * missing required argument, or blocks that are not a JSON array. Each such call is answered
 * as Slack would (`ok: false` with Slack's error code) and recorded in `violations`, which a
 * test asserts empty. `GET /__inspect` answers what it holds, for end-to-end tests that run
 * it in another process.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type TFakeSlackCall = { method: string; args: Record<string, unknown>; at: number };
export type TFakeSlackMessage = { channel: string; ts: string; text: string; blocks: unknown[]; edits: number };

export type TFakeSlack = {
  /** The base URL for @slack/web-api's `slackApiUrl` (ends with /api/). */
  apiUrl: string;
  token: string;
  calls: TFakeSlackCall[];
  violations: string[];
  /** channel + ts → the message as it stands, with every version it had. */
  messages: Map<string, TFakeSlackMessage & { history: Array<{ text: string; blocks: unknown[] }> }>;
  /** e-mail (lower case) → member id: the workspace's members, for lookups and DMs. */
  users: Map<string, string>;
  /** The next calls of a method answer this instead (a 429, a Slack error). */
  failNext: (method: string, failure: { status?: number; retryAfter?: number; error?: string }) => void;
  /** Channels the app is not in / that do not exist. */
  notInChannel: Set<string>;
  close: () => Promise<void>;
};

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });

const METHODS = new Set(["chat.postMessage", "chat.update", "users.lookupByEmail"]);

export const startFakeSlack = async (
  options: { token?: string; users?: Record<string, string>; port?: number } = {},
): Promise<TFakeSlack> => {
  const token = options.token ?? "xoxb-test-0000000000-fake";
  const calls: TFakeSlackCall[] = [];
  const violations: string[] = [];
  const messages: TFakeSlack["messages"] = new Map();
  const users = new Map(Object.entries(options.users ?? {}));
  const failures = new Map<string, Array<{ status?: number; retryAfter?: number; error?: string }>>();
  const notInChannel = new Set<string>();
  let counter = 0;
  const dmOf = new Map<string, string>();

  const server: Server = createServer((request, response) => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      response.end(JSON.stringify(body));
    };
    const refuse = (why: string, error: string, status = 200) => {
      violations.push(why);
      answer(status, { ok: false, error });
    };
    void (async () => {
      const url = new URL(request.url ?? "/", "http://localhost");
      if (request.method === "GET" && url.pathname === "/__inspect")
        return answer(200, {
          calls,
          violations,
          messages: [...messages.values()],
        });
      const raw = await readBody(request);
      const method = url.pathname.replace(/^\/api\//, "");
      if (request.method !== "POST" || !url.pathname.startsWith("/api/") || !METHODS.has(method))
        return refuse(`unknown method ${request.method} ${url.pathname}`, "unknown_method", 404);
      const auth = request.headers.authorization ?? "";
      if (!/^Bearer xox[bp]-/.test(auth)) return refuse(`${method}: no bearer token`, "not_authed");
      if (auth !== `Bearer ${token}`) return refuse(`${method}: wrong token`, "invalid_auth");
      const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim();
      let args: Record<string, unknown>;
      if (type === "application/x-www-form-urlencoded") args = Object.fromEntries(new URLSearchParams(raw));
      else if (type === "application/json") {
        try {
          args = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          return refuse(`${method}: body is not JSON`, "invalid_json");
        }
      } else return refuse(`${method}: content type ${type ?? "none"}`, "invalid_form_data");
      calls.push({ method, args, at: Date.now() });

      const queued = failures.get(method)?.shift();
      if (queued) {
        if (queued.status === 429)
          return answer(429, { ok: false, error: "ratelimited" }, { "retry-after": String(queued.retryAfter ?? 1) });
        return answer(queued.status ?? 200, { ok: false, error: queued.error ?? "internal_error" });
      }

      const blocksOf = (): unknown[] | "invalid" | undefined => {
        if (args.blocks === undefined) return undefined;
        try {
          const blocks: unknown = typeof args.blocks === "string" ? JSON.parse(args.blocks) : args.blocks;
          return Array.isArray(blocks) && blocks.length <= 50 ? blocks : "invalid";
        } catch {
          return "invalid";
        }
      };

      if (method === "users.lookupByEmail") {
        if (typeof args.email !== "string" || !args.email)
          return refuse("users.lookupByEmail: no email", "invalid_arguments");
        const id = users.get(args.email.toLowerCase());
        if (!id) return answer(200, { ok: false, error: "users_not_found" });
        return answer(200, {
          ok: true,
          user: { id, team_id: "T0FAKE", name: args.email.split("@")[0], profile: { email: args.email } },
        });
      }

      const channel = typeof args.channel === "string" ? args.channel : "";
      if (!channel) return refuse(`${method}: no channel`, "channel_not_found");
      const blocks = blocksOf();
      if (blocks === "invalid") return refuse(`${method}: blocks are not a JSON array of at most 50`, "invalid_blocks");
      const text = typeof args.text === "string" ? args.text : "";
      if (!text && !blocks) return refuse(`${method}: neither text nor blocks`, "no_text");
      if (/^C0NOTFOUND/.test(channel)) return answer(200, { ok: false, error: "channel_not_found" });
      if (notInChannel.has(channel)) return answer(200, { ok: false, error: "not_in_channel" });

      if (method === "chat.postMessage") {
        // A user id opens (or reuses) the app's DM with that user, as Slack does.
        let conversation = channel;
        if (/^[UW]/.test(channel)) {
          // Slack answers channel_not_found for a member id that is not in the workspace.
          if (![...users.values()].includes(channel)) return answer(200, { ok: false, error: "channel_not_found" });
          conversation = dmOf.get(channel) ?? `D${channel.slice(1)}`;
          dmOf.set(channel, conversation);
        }
        counter += 1;
        const ts = `${Math.floor(Date.now() / 1000)}.${String(counter).padStart(6, "0")}`;
        const message = { channel: conversation, ts, text, blocks: blocks ?? [], edits: 0, history: [] };
        messages.set(`${conversation}/${ts}`, message);
        return answer(200, { ok: true, channel: conversation, ts, message: { type: "message", text, blocks, ts } });
      }
      // chat.update
      const ts = typeof args.ts === "string" ? args.ts : "";
      if (!ts) return refuse("chat.update: no ts", "message_not_found");
      const message = messages.get(`${channel}/${ts}`);
      if (!message) return refuse(`chat.update: no message ${channel}/${ts}`, "message_not_found");
      message.history.push({ text: message.text, blocks: message.blocks });
      message.text = text;
      message.blocks = blocks ?? [];
      message.edits += 1;
      return answer(200, { ok: true, channel, ts, text, message: { text, blocks } });
    })().catch((error: unknown) => {
      violations.push(`fake Slack crashed: ${String(error)}`);
      answer(500, { ok: false, error: "fatal_error" });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const fake: TFakeSlack = {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    token,
    calls,
    violations,
    messages,
    users,
    notInChannel,
    failNext: (method, failure) => failures.set(method, [...(failures.get(method) ?? []), failure]),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return fake;
};
