/**
 * The OAuth 2.0 Device Authorization Grant (RFC 8628) for the `jit` CLI, and refresh-token
 * rotation with reuse detection (docs/decisions/0044-person-tokens-device-grant.md):
 *
 * - `startDeviceAuthorization` (3.1/3.2): a device code (32 random bytes, stored as its SHA-256)
 *   and a user code (8 letters without vowels, XXXX-XXXX) valid 10 minutes;
 * - `confirmDeviceAuthorization`: the signed-in person, on the portal's /device page, confirms
 *   the user code and names the device; a PersonDevice is made for them;
 * - `exchangeDeviceCode` (3.4/3.5): authorization_pending, slow_down, access_denied,
 *   expired_token; once confirmed, one exchange only: an access token and the device's first
 *   refresh token;
 * - `refreshPersonToken`: a refresh token is spent once, the next issued in the same
 *   transaction; a spent one presented again is reuse: the device and all its tokens are revoked.
 *
 * Each mutation is one transaction with its audit event.
 */
import { createHash, randomBytes, randomInt } from "node:crypto";
import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import type { TKeyRing } from "../services/signing-keys";
import { storableText } from "../storable-text";
import { REFRESH_TOKEN_TTL_SECONDS, signPersonToken } from "./person-tokens";

export const DEVICE_CODE_TTL_SECONDS = 600;
export const DEVICE_POLL_INTERVAL_SECONDS = 5;
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

export type TDeviceGrantErrorCode =
  "invalid_request" | "invalid_grant" | "authorization_pending" | "slow_down" | "access_denied" | "expired_token";

/** RFC 6749 5.2 / RFC 8628 3.5 errors: 400 with `error` and `error_description`. */
export class DeviceGrantError extends Error {
  constructor(
    readonly error: TDeviceGrantErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DeviceGrantError";
  }
}

export const digest = (value: string): string => createHash("sha256").update(value, "utf8").digest("base64url");

const newUserCode = (): string => {
  let code = "";
  for (let i = 0; i < 8; i += 1) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
};

/** What a person types: case, spaces and the dash do not matter. */
export const normalizeUserCode = (raw: string): string | null => {
  const letters = raw.toUpperCase().replace(/[\s-]/g, "");
  if (letters.length !== 8 || [...letters].some((c) => !USER_CODE_ALPHABET.includes(c))) return null;
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
};

const audit = (context: TAuditContext) => ({
  ip: context.ip ?? null,
  userAgent: context.userAgent ?? null,
  requestId: context.requestId ?? null,
});

export type TDeviceAuthorizationResponse = {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
};

export const ZStartDeviceAuthorization = z.strictObject({
  client_id: z.literal("jit-cli", { error: "client_id must be jit-cli." }),
  client_name: z.string().trim().min(1).max(100).transform(storableText).optional(),
  scope: z.string().max(200).optional(),
});

export const startDeviceAuthorization = async (options: {
  input: Record<string, string>;
  portalUrl: string;
  context?: TAuditContext;
  now?: Date;
}): Promise<TDeviceAuthorizationResponse> => {
  const parsed = ZStartDeviceAuthorization.safeParse(options.input);
  if (!parsed.success)
    throw new DeviceGrantError("invalid_request", parsed.error.issues.map((issue) => issue.message).join("; "));
  const now = options.now ?? new Date();
  const context = options.context ?? {};
  const deviceCode = randomBytes(32).toString("base64url");
  // A collision of user codes (20^8) is retried, never shared.
  for (let attempt = 0; ; attempt += 1) {
    const userCode = newUserCode();
    try {
      await db.deviceAuthorization.create({
        data: {
          deviceCodeHash: digest(deviceCode),
          userCode,
          clientName: parsed.data.client_name ?? "jit CLI",
          ip: context.ip?.slice(0, 100) ?? null,
          userAgent: context.userAgent ? storableText(context.userAgent.slice(0, 500)) : null,
          expiresAt: new Date(now.getTime() + DEVICE_CODE_TTL_SECONDS * 1000),
        },
      });
      const verification = new URL("/device", options.portalUrl).toString();
      return {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: verification,
        verification_uri_complete: `${verification}?code=${encodeURIComponent(userCode)}`,
        expires_in: DEVICE_CODE_TTL_SECONDS,
        interval: DEVICE_POLL_INTERVAL_SECONDS,
      };
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
};

/** What the /device page shows before the person confirms: where the request came from. */
export const describeDeviceAuthorization = async (options: { userCode: string; now?: Date }) => {
  const code = normalizeUserCode(options.userCode);
  if (!code) return null;
  const row = await db.deviceAuthorization.findUnique({ where: { userCode: code } });
  const now = options.now ?? new Date();
  if (!row || row.expiresAt <= now || row.approvedAt || row.deniedAt) return null;
  return {
    userCode: row.userCode,
    clientName: row.clientName,
    ip: row.ip,
    userAgent: row.userAgent,
    createdAt: row.createdAt,
  };
};

export const ZConfirmDevice = z.strictObject({
  userCode: z.string().max(40),
  deviceName: z
    .string()
    .trim()
    .min(1, { error: "Name this device." })
    .max(80, { error: "At most 80 characters." })
    .transform(storableText),
  decision: z.enum(["approve", "deny"]),
});
export type TConfirmDevice = z.input<typeof ZConfirmDevice>;

const NO_SUCH_CODE = "No such code, or it has expired. Run `jit login` again.";

/** The signed-in person confirms (or refuses) a code shown by their CLI and names the device. */
export const confirmDeviceAuthorization = async (options: {
  actor: TUserActor;
  /** As the form sends it; validated here. */
  input: Record<keyof TConfirmDevice, string>;
  context?: TAuditContext;
  now?: Date;
}): Promise<{ status: "approved" | "denied" }> => {
  const parsed = ZConfirmDevice.safeParse(options.input);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) fields[issue.path.join(".") || "form"] = issue.message;
    throw new AppError("INVALID_INPUT", "Check the form.", fields);
  }
  const code = normalizeUserCode(parsed.data.userCode);
  if (!code)
    throw new AppError("INVALID_INPUT", "That is not a code of the form XXXX-XXXX.", { userCode: "Invalid code." });
  const now = options.now ?? new Date();
  const { actor } = options;
  return db.$transaction(async (tx) => {
    const approve = parsed.data.decision === "approve";
    const { count } = await tx.deviceAuthorization.updateMany({
      where: { userCode: code, approvedAt: null, deniedAt: null, expiresAt: { gt: now } },
      data: approve
        ? { approvedAt: now, approvedById: actor.userId, deviceName: parsed.data.deviceName }
        : { deniedAt: now, approvedById: actor.userId },
    });
    if (count === 0) throw new AppError("NOT_FOUND", NO_SUCH_CODE, { userCode: NO_SUCH_CODE });
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: approve ? "device.authorize" : "device.deny",
      targetType: "device_authorization",
      targetId: code,
      outcome: "ALLOWED",
      details: { deviceName: parsed.data.deviceName },
      ...audit(options.context ?? {}),
    });
    return { status: approve ? "approved" : "denied" };
  });
};

export type TPersonTokenResponse = {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
};

const issueRefreshToken = async (
  tx: Parameters<Parameters<typeof db.$transaction>[0]>[0],
  deviceId: string,
  now: Date,
) => {
  const refreshToken = randomBytes(32).toString("base64url");
  await tx.deviceRefreshToken.create({
    data: {
      deviceId,
      tokenHash: digest(refreshToken),
      expiresAt: new Date(now.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000),
    },
  });
  return refreshToken;
};

/** RFC 8628 3.4: the CLI's poll. One exchange per confirmed code. */
export const exchangeDeviceCode = async (options: {
  deviceCode: string | undefined;
  keyRing: TKeyRing;
  context?: TAuditContext;
  now?: Date;
}): Promise<TPersonTokenResponse> => {
  if (!options.deviceCode || options.deviceCode.length > 200)
    throw new DeviceGrantError("invalid_request", "device_code is required.");
  const now = options.now ?? new Date();
  const context = options.context ?? {};
  const hash = digest(options.deviceCode);
  const result = await db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      select id from "DeviceAuthorization" where "deviceCodeHash" = ${hash} for update`;
    const row = rows[0] ? await tx.deviceAuthorization.findUnique({ where: { id: rows[0].id } }) : null;
    if (!row || row.consumedAt) throw new DeviceGrantError("invalid_grant", "Unknown or already used device code.");
    if (row.expiresAt <= now) throw new DeviceGrantError("expired_token", "The code expired; run `jit login` again.");
    if (row.deniedAt) throw new DeviceGrantError("access_denied", "The sign-in was refused in the browser.");
    if (!row.approvedAt || !row.approvedById) {
      const tooSoon =
        row.lastPolledAt && now.getTime() - row.lastPolledAt.getTime() < DEVICE_POLL_INTERVAL_SECONDS * 1000 - 500;
      await tx.deviceAuthorization.update({ where: { id: row.id }, data: { lastPolledAt: now } });
      return tooSoon ? ("slow_down" as const) : ("pending" as const);
    }
    const user = await tx.user.findUnique({ where: { id: row.approvedById }, select: { deactivatedAt: true } });
    if (!user || user.deactivatedAt) throw new DeviceGrantError("access_denied", "This person is deactivated.");
    await tx.deviceAuthorization.update({ where: { id: row.id }, data: { consumedAt: now } });
    const device = await tx.personDevice.create({
      data: {
        userId: row.approvedById,
        name: row.deviceName ?? row.clientName,
        ip: context.ip?.slice(0, 100) ?? null,
        userAgent: context.userAgent ? storableText(context.userAgent.slice(0, 500)) : null,
        lastUsedAt: now,
      },
    });
    const refreshToken = await issueRefreshToken(tx, device.id, now);
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: row.approvedById,
      action: "device.token.issue",
      targetType: "device",
      targetId: device.id,
      outcome: "ALLOWED",
      details: { grant: "device_code", deviceName: device.name },
      ...audit(context),
    });
    return { userId: row.approvedById, deviceId: device.id, refreshToken };
  });
  if (result === "pending") throw new DeviceGrantError("authorization_pending", "Waiting for the browser.");
  if (result === "slow_down") throw new DeviceGrantError("slow_down", "Polling too fast; wait 5 seconds more.");
  const access = await signPersonToken({
    keyRing: options.keyRing,
    userId: result.userId,
    deviceId: result.deviceId,
    now,
  });
  return {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: access.expiresIn,
    refresh_token: result.refreshToken,
  };
};

export const DEVICE_REUSE_REASON = "a refresh token was used twice";

/**
 * A refresh token for a new access token and the next refresh token. A spent one presented
 * again (a copy in someone else's hands, or the CLI's own after a theft) revokes the device:
 * both holders must sign in again, and the audit says why.
 */
export const refreshPersonToken = async (options: {
  refreshToken: string | undefined;
  keyRing: TKeyRing;
  context?: TAuditContext;
  now?: Date;
}): Promise<TPersonTokenResponse> => {
  if (!options.refreshToken || options.refreshToken.length > 200)
    throw new DeviceGrantError("invalid_request", "refresh_token is required.");
  const now = options.now ?? new Date();
  const context = options.context ?? {};
  const hash = digest(options.refreshToken);
  const outcome = await db.$transaction(async (tx) => {
    const found = await tx.deviceRefreshToken.findUnique({ where: { tokenHash: hash }, select: { deviceId: true } });
    if (!found) return { kind: "unknown" as const };
    // The device row is the lock: two refreshes of one device run one after the other.
    await tx.$queryRaw`select id from "PersonDevice" where id = ${found.deviceId} for update`;
    const token = await tx.deviceRefreshToken.findUniqueOrThrow({
      where: { tokenHash: hash },
      include: { device: { include: { user: { select: { deactivatedAt: true } } } } },
    });
    const { device } = token;
    if (device.revokedAt) return { kind: "revoked" as const };
    if (token.usedAt) {
      await tx.personDevice.update({
        where: { id: device.id },
        data: { revokedAt: now, revokeReason: DEVICE_REUSE_REASON },
      });
      await tx.deviceRefreshToken.deleteMany({ where: { deviceId: device.id } });
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: device.userId,
        action: "device.revoke",
        targetType: "device",
        targetId: device.id,
        outcome: "ALLOWED",
        reason: DEVICE_REUSE_REASON,
        details: { reuse: true },
        ...audit(context),
      });
      return { kind: "reused" as const };
    }
    if (token.expiresAt <= now || device.user.deactivatedAt) return { kind: "revoked" as const };
    await tx.deviceRefreshToken.update({ where: { id: token.id }, data: { usedAt: now } });
    await tx.personDevice.update({ where: { id: device.id }, data: { lastUsedAt: now } });
    const refreshToken = await issueRefreshToken(tx, device.id, now);
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: device.userId,
      action: "device.token.refresh",
      targetType: "device",
      targetId: device.id,
      outcome: "ALLOWED",
      ...audit(context),
    });
    return { kind: "ok" as const, userId: device.userId, deviceId: device.id, refreshToken };
  });
  if (outcome.kind === "reused")
    throw new DeviceGrantError("invalid_grant", "This refresh token was already used; the device is signed out.");
  if (outcome.kind !== "ok")
    throw new DeviceGrantError("invalid_grant", "The refresh token is not valid; run `jit login`.");
  const access = await signPersonToken({
    keyRing: options.keyRing,
    userId: outcome.userId,
    deviceId: outcome.deviceId,
    now,
  });
  return {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: access.expiresIn,
    refresh_token: outcome.refreshToken,
  };
};
