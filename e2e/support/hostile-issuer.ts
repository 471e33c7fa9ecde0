/**
 * A misbehaving issuer for the ID-token attacks (e2e/oidc-id-token.spec.ts): a pass-through
 * proxy in front of the e2e IdP, on the issuer's own address. Everything goes through untouched
 * except, when a test asks for it (`POST /__hostile/next-id-token {mode}`, once), the next token
 * response: its ID token is rewritten (wrong audience, wrong issuer, wrong nonce, expired, or
 * `alg: none`) and signed with a key the proxy adds to the issuer's published JWKS, so the
 * signature itself is valid and only the claim is wrong. `resigned` changes no claim: the
 * control that shows the rewritten tokens fail for their claim, not for the key.
 *
 * Test support only: it runs in the e2e harness, never in the portal.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { SignJWT, exportJWK, type KeyLike } from "jose";

export const ID_TOKEN_ATTACKS = ["wrong-audience", "wrong-issuer", "wrong-nonce", "expired", "alg-none"] as const;
export type TIdTokenMode = (typeof ID_TOKEN_ATTACKS)[number] | "resigned";
export const HOSTILE_CONTROL_PATH = "/__hostile/next-id-token";

const readBody = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

const rewrite = async (idToken: string, mode: TIdTokenMode, key: { kid: string; privateKey: KeyLike }) => {
  const [, payloadPart] = idToken.split(".");
  const payload = JSON.parse(Buffer.from(payloadPart ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  if (mode === "wrong-audience") payload.aud = "some-other-client";
  if (mode === "wrong-issuer") payload.iss = "http://evil.example";
  if (mode === "wrong-nonce") payload.nonce = "not-the-nonce-the-portal-sent";
  if (mode === "expired") Object.assign(payload, { iat: now - 7_200, exp: now - 3_600 });
  if (mode === "alg-none") return `${b64({ alg: "none", typ: "JWT" })}.${b64(payload)}.`;
  return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: key.kid }).sign(key.privateKey);
};

/** Starts the proxy on `port` (loopback, IPv4 and IPv6) in front of the IdP at `upstream`. */
export const startHostileIssuer = async (options: { port: number; upstream: string }) => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const key = { kid: `hostile-${randomUUID()}`, privateKey: privateKey as unknown as KeyLike };
  const publicJwk = { ...(await exportJWK(publicKey as unknown as KeyLike)), kid: key.kid, alg: "RS256", use: "sig" };
  let pending: TIdTokenMode | null = null;

  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", options.upstream);
    if (url.pathname === HOSTILE_CONTROL_PATH && req.method === "POST") {
      pending = (JSON.parse((await readBody(req)).toString("utf8")) as { mode: TIdTokenMode }).mode;
      return void res.writeHead(204).end();
    }
    const body = await readBody(req);
    // node:http, not fetch: the IdP builds its endpoints' URLs from the Host header, which must
    // stay the issuer's (fetch would send the upstream's).
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      const { "content-length": _length, ...headers } = req.headers;
      http
        .request(url, { method: req.method, headers: { ...headers, "content-length": body.length } }, resolve)
        .once("error", reject)
        .end(body);
    });
    let answer = await readBody(upstream);
    const ok = (upstream.statusCode ?? 500) < 300;
    if (url.pathname === "/jwks" && ok) {
      const jwks = JSON.parse(answer.toString("utf8")) as { keys: unknown[] };
      answer = Buffer.from(JSON.stringify({ keys: [...jwks.keys, publicJwk] }));
    }
    if (url.pathname === "/token" && ok && pending) {
      const tokens = JSON.parse(answer.toString("utf8")) as { id_token?: string };
      if (tokens.id_token) tokens.id_token = await rewrite(tokens.id_token, pending, key);
      pending = null;
      answer = Buffer.from(JSON.stringify(tokens));
    }
    const { "content-length": _sent, "transfer-encoding": _chunked, ...out } = upstream.headers;
    res.writeHead(upstream.statusCode ?? 502, { ...out, "content-length": String(answer.length) }).end(answer);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) =>
    void forward(req, res).catch((error: unknown) => {
      console.error("hostile issuer:", error);
      if (!res.headersSent) res.writeHead(502).end();
    });

  const servers = [http.createServer(handle), http.createServer(handle)];
  await new Promise<void>((resolve, reject) =>
    servers[0]?.once("error", reject).listen(options.port, "127.0.0.1", () => resolve()),
  );
  await new Promise<void>((resolve) =>
    servers[1]?.once("error", () => resolve()).listen(options.port, "::1", () => resolve()),
  );
  return {
    close: () =>
      Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      ),
  };
};
