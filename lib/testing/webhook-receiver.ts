/**
 * A real HTTP receiver for the webhook connector's tests: verifies every request's signature,
 * keeps the grants it was told about (deduplicated on `webhook-id`), and answers the inspect
 * URL with what it holds. `holdByHand` adds a grant nobody sent (drift).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook } from "../webhooks/signature";

export type TWebhookReceiver = {
  url: string;
  inspectUrl: string;
  secret: string;
  held: Map<string, string[]>;
  seenIds: Set<string>;
  rejected: number;
  holdByHand: (grantId: string, targets: string[]) => void;
  close: () => Promise<void>;
};

type TEvent = { type: string; data: { grantId: string; targets?: string[] } };

export const startWebhookReceiver = async (secret: string): Promise<TWebhookReceiver> => {
  const held = new Map<string, string[]>();
  const seenIds = new Set<string>();
  let rejected = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const verified = verifyWebhook({ secret, headers: request.headers, body });
      if (!verified.ok) {
        rejected += 1;
        response.writeHead(401).end(verified.reason);
        return;
      }
      if (request.method === "GET" && request.url === "/inspect") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ grants: [...held].map(([grantId, targets]) => ({ grantId, targets })) }));
        return;
      }
      const id = String(request.headers["webhook-id"]);
      const event = JSON.parse(body.toString("utf8") || "{}") as TEvent;
      const first = !seenIds.has(id);
      seenIds.add(id);
      let answer: Record<string, unknown> = {};
      if (first && (event.type === "grant.activated" || event.type === "grant.extended"))
        held.set(event.data.grantId, event.data.targets ?? []);
      if (event.type === "grant.expired" || event.type === "grant.revoked") {
        answer = { held: held.delete(event.data.grantId) };
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    inspectUrl: `http://127.0.0.1:${port}/inspect`,
    secret,
    held,
    seenIds,
    get rejected() {
      return rejected;
    },
    holdByHand: (grantId, targets) => held.set(grantId, targets),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
