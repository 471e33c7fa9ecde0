import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { OutboundError, outboundErrorClass, type TOutboundErrorClass } from "./errors";
import { type TOutboundPolicy, type TVettedTarget, vetOutboundTarget } from "./vet-outbound-target";

export type TOutboundRequest = {
  url: string;
  method?: "POST" | "PUT" | "GET";
  headers?: Record<string, string>;
  body?: string;
  /** The whole call, from DNS to the response's status line (default 10 s). */
  timeoutMs?: number;
  /** Connection set-up only (default 5 s). */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  policy?: TOutboundPolicy;
  /**
   * Read a 2xx answer's body, up to this many bytes (more fails as `network`), for a document
   * the caller needs from a vetted host (a JWKS, ADR 0040). Without it the body stays unread.
   */
  readBodyMaxBytes?: number;
};

export type TOutboundResponse = {
  status: number;
  headers: IncomingHttpHeaders;
  /** Null on a 2xx; otherwise why it counts as a failure (`redirect`, `http_4xx`, `http_5xx`, ...). */
  errorClass: TOutboundErrorClass | null;
  /** The 2xx body, only when `readBodyMaxBytes` asked for it. */
  body?: Buffer;
};

/** The vetted address and nothing else, whatever name the socket asks about (no DNS rebinding). */
const pinnedLookup =
  (target: TVettedTarget): LookupFunction =>
  (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };

const statusClass = (status: number): TOutboundErrorClass | null => {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) return "redirect";
  if (status >= 400 && status < 500) return "http_4xx";
  if (status >= 500 && status < 600) return "http_5xx";
  return "http_other";
};

/**
 * One HTTP(S) call through the outbound guard (ADR 0032): the URL's host is vetted
 * (vetOutboundTarget) and the connection made to the vetted address, with the URL's host as
 * Host header and TLS server name, so the certificate is still checked against the name.
 * Redirects are never followed (a 3xx is `redirect`); the response body is discarded unread,
 * so no receiver's answer ever reaches the caller, unless the caller asks for a 2xx body with a
 * size limit (`readBodyMaxBytes`: a JWKS from a vetted host). Resolves with the status on any answer;
 * rejects with an OutboundError (class blocked_address, dns, refused, timeout, tls, network).
 */
export const outboundRequest = async (options: TOutboundRequest): Promise<TOutboundResponse> => {
  const url = new URL(options.url);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new OutboundError("blocked_address", `${url.protocol} is not an outbound protocol.`);
  const totalMs = options.timeoutMs ?? 10_000;
  const timeout = AbortSignal.timeout(totalMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const secure = url.protocol === "https:";
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const target = await vetOutboundTarget({ host: url.hostname, port }, options.policy);
  if (signal.aborted) throw new OutboundError("timeout", `no answer within ${totalMs / 1000} s`);

  const body = options.body === undefined ? undefined : Buffer.from(options.body, "utf8");
  const requestOptions: RequestOptions & { servername?: string } = {
    method: options.method ?? "POST",
    host: target.host,
    port,
    path: `${url.pathname}${url.search}`,
    headers: {
      ...options.headers,
      host: url.host,
      ...(body ? { "content-length": String(body.length) } : {}),
    },
    lookup: pinnedLookup(target),
    // A fresh connection per call: a pooled socket would skip the vetting of the next call.
    agent: false,
    signal,
    ...(secure && !/^[\d.]+$|:/.test(target.host) ? { servername: target.host } : {}),
  };

  return new Promise<TOutboundResponse>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      const errorClass = timeout.aborted ? "timeout" : outboundErrorClass(error);
      reject(
        error instanceof OutboundError
          ? error
          : new OutboundError(
              errorClass,
              `${url.origin}: ${errorClass === "timeout" ? `no answer within ${totalMs / 1000} s` : errorClass}`,
            ),
      );
    };
    const request = (secure ? httpsRequest : httpRequest)(requestOptions, (response) => {
      const answer = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        errorClass: statusClass(response.statusCode ?? 0),
      };
      const limit = options.readBodyMaxBytes;
      if (limit === undefined || answer.errorClass !== null) {
        settled = true;
        // Unread: the guard never hands an internal service's answer to anyone.
        response.resume();
        response.on("error", () => undefined);
        resolve(answer);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          response.destroy();
          request.destroy(new OutboundError("network", `${url.origin}: the answer is larger than ${limit} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on("error", fail);
      response.on("end", () => {
        if (settled) return;
        settled = true;
        resolve({ ...answer, body: Buffer.concat(chunks) });
      });
    });
    const connectTimer = setTimeout(
      () =>
        request.destroy(
          new OutboundError(
            "timeout",
            `${url.origin}: no connection within ${(options.connectTimeoutMs ?? 5_000) / 1000} s`,
          ),
        ),
      options.connectTimeoutMs ?? 5_000,
    );
    request.on("socket", (socket) => {
      socket.once(secure ? "secureConnect" : "connect", () => clearTimeout(connectTimer));
    });
    request.on("close", () => clearTimeout(connectTimer));
    request.on("error", fail);
    request.end(body);
  });
};
