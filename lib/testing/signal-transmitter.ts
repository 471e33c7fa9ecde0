/**
 * A real Shared Signals transmitter for tests: its own signing keys (jose), its JWKS served over
 * HTTP on an ephemeral loopback port, SETs signed as Okta or Entra ID would, pushed through the
 * receiver's route handler (app/api/ssf/events) as Next.js calls it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type KeyLike, SignJWT } from "jose";
import * as eventsRoute from "@/app/api/ssf/events/[transmitterId]/route";
import { getConfig } from "../config";
import { createSignalTransmitter } from "../ssf/manage-transmitters";
import { createActor, TEST_ISSUER, uniqueId } from "./fixtures";

export type TSignedSetOptions = {
  events: Record<string, unknown>;
  subId?: unknown;
  jti?: string;
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch; now by default. */
  iat?: number;
  key?: KeyLike;
  kid?: string;
  alg?: string;
};

export type TTestTransmitter = {
  id: string;
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** Requests the JWKS server answered. */
  jwksFetches: () => number;
  sign: (options: TSignedSetOptions) => Promise<string>;
  push: (token: string, contentType?: string) => Promise<{ status: number; body: Record<string, unknown> | null }>;
  /** A key pair the JWKS does not publish (an attacker's). */
  foreignKey: () => Promise<KeyLike>;
  close: () => Promise<void>;
};

export const pushSet = async (transmitterId: string, token: string, contentType = "application/secevent+jwt") => {
  const response = await eventsRoute.POST(
    new Request(`http://portal.test/api/ssf/events/${transmitterId}`, {
      method: "POST",
      headers: { "content-type": contentType, "x-forwarded-for": "203.0.113.9" },
      body: token,
    }),
    { params: Promise.resolve({ transmitterId }) },
  );
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
};

export const startTestTransmitter = async (
  options: { onDeviceNonCompliant?: "suspend" | "audit" } = {},
): Promise<TTestTransmitter> => {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const kid = uniqueId("kid");
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  let fetches = 0;
  const server: Server = createServer((_request, response) => {
    fetches += 1;
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  const issuer = `https://${uniqueId("ssf")}.idp.test.example`;
  const audience = `https://portal.test.example/${uniqueId("aud")}`;
  const admin = await createActor({ groups: [getConfig().adminGroups[0] ?? "portal-admins"] });
  const { transmitterId } = await createSignalTransmitter({
    actor: admin,
    input: {
      name: uniqueId("Okta"),
      issuer,
      jwksUrl,
      audience,
      subjectIssuer: TEST_ISSUER,
      onDeviceNonCompliant: options.onDeviceNonCompliant ?? "suspend",
    },
  });
  const sign = async (set: TSignedSetOptions) => {
    const jwt = new SignJWT({ events: set.events, ...(set.subId === undefined ? {} : { sub_id: set.subId }) })
      .setProtectedHeader({ alg: set.alg ?? "ES256", kid: set.kid ?? kid, typ: "secevent+jwt" })
      .setIssuer(set.issuer ?? issuer)
      .setAudience(set.audience ?? audience)
      .setIssuedAt(set.iat ?? Math.floor(Date.now() / 1000))
      .setJti(set.jti ?? uniqueId("jti"));
    return jwt.sign(set.key ?? privateKey);
  };
  return {
    id: transmitterId,
    issuer,
    audience,
    jwksUrl,
    jwksFetches: () => fetches,
    sign,
    push: (token, contentType) => pushSet(transmitterId, token, contentType),
    foreignKey: async () => (await generateKeyPair("ES256")).privateKey,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
