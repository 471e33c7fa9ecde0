/**
 * Unauthenticated floods, run as a process of their own so the flood's event loop is not the
 * caller's (a test timing an approval, the token-flood benchmark):
 *
 *   node --import tsx lib/testing/flood.ts tokens <api url> <count> <concurrency> <address,...>
 *   node --import tsx lib/testing/flood.ts cookies <count> <concurrency>
 *   node --import tsx lib/testing/flood.ts attack <api url> <seconds> <concurrency> <addresses> <victim id>
 *
 * `tokens` posts client-credentials requests with random client ids and secrets, each claiming
 * one of the addresses in X-Forwarded-For (the server must trust one proxy to believe it).
 * `cookies` asks next-auth for the session with a fresh garbage cookie each time, with the
 * portal's own options: what every page does with a request's cookie (lib/auth/current-actor.ts),
 * and what makes next-auth log JWT_SESSION_ERROR. It writes its aggregate before it exits.
 * `attack` (the token-flood benchmark) alternates random ids and a real client's id with wrong
 * secrets for `seconds`, from `addresses` distinct addresses (a botnet, as X-Forwarded-For).
 * Each prints one JSON line: `{ "answers": { "<status or outcome>": count }, "ms": elapsed }`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { getServerSession } from "next-auth";
import { flushFailedSignIns } from "../auth/count-failed-sign-in";
import { getAuthOptions } from "../auth/next-auth-options";
import { disconnectDb } from "../db";

/** Runs `call` with `concurrency` in flight, `count` times or until `until` (epoch ms); tallies the answers. */
export const flood = async (options: {
  count?: number;
  until?: number;
  concurrency: number;
  call: (index: number) => Promise<string>;
}) => {
  const { count = Number.MAX_SAFE_INTEGER, until = Number.MAX_SAFE_INTEGER, concurrency, call } = options;
  const answers: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && Date.now() < until) {
        const answer = await call(next++).catch((error: unknown) => `error: ${String(error).slice(0, 80)}`);
        answers[answer] = (answers[answer] ?? 0) + 1;
      }
    }),
  );
  return answers;
};

export const randomIdTokenRequest = async (url: string, from: string, id: string = randomUUID()): Promise<string> => {
  const credentials = Buffer.from(`${id}:jcs_${randomBytes(8).toString("hex")}`).toString("base64");
  const res = await fetch(`${url}/api/v1/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${credentials}`,
      "x-forwarded-for": from,
    },
    body: "grant_type=client_credentials",
  });
  await res.arrayBuffer();
  return String(res.status);
};

const noResponseCookies = { getHeader: () => undefined, setHeader: () => undefined };

export const garbageCookieSession = async (): Promise<string> => {
  // Each request arrives as its own I/O event, as over a socket: a loop of promises that resolve
  // at once would starve every other I/O of this process, which no server does.
  await new Promise((resolve) => setImmediate(resolve));
  const garbage = Array.from({ length: 5 }, () => randomBytes(12).toString("base64url")).join(".");
  const session = await getServerSession(
    { headers: {}, cookies: { "next-auth.session-token": garbage } } as never,
    noResponseCookies as never,
    getAuthOptions(),
  );
  return session === null ? "nobody" : "someone";
};

const main = async (args: string[]) => {
  const started = Date.now();
  const [mode, ...rest] = args;
  let answers: Record<string, number>;
  if (mode === "tokens") {
    const [url = "", count = "0", concurrency = "1", addresses = "203.0.113.1"] = rest;
    const from = addresses.split(",");
    answers = await flood({
      count: Number(count),
      concurrency: Number(concurrency),
      call: (index) => randomIdTokenRequest(url, from[index % from.length] as string),
    });
  } else if (mode === "attack") {
    const [url = "", seconds = "10", concurrency = "1", addresses = "1000", victim = ""] = rest;
    const from = (index: number) => {
      const n = index % Number(addresses);
      return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    };
    answers = await flood({
      until: Date.now() + Number(seconds) * 1000,
      concurrency: Number(concurrency),
      call: (index) => randomIdTokenRequest(url, from(index), index % 2 === 0 ? victim : randomUUID()),
    });
  } else if (mode === "cookies") {
    const [count = "0", concurrency = "1"] = rest;
    answers = await flood({ count: Number(count), concurrency: Number(concurrency), call: garbageCookieSession });
    await flushFailedSignIns();
    await disconnectDb();
  } else
    throw new Error("usage: flood.ts tokens <url> <count> <concurrency> <addresses> | cookies <count> <concurrency>");
  console.log(JSON.stringify({ answers, ms: Date.now() - started }));
};

if (process.argv[1]?.endsWith("flood.ts")) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
