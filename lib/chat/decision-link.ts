/**
 * Signed decision links for chat buttons (ADR 0047). A link names one request, one approver
 * and one decision, expires after DECISION_LINK_TTL_MS and is redeemed at most once. Redeeming
 * only preselects the decision on the request's page: the approver must be signed in as the
 * person the link names, and the decision itself still needs the passkey assertion over a
 * challenge bound to the request and the decision (lib/access/decide-request.ts). A link that
 * leaks therefore decides nothing; refusing the rest keeps a forwarded or replayed link from
 * even preselecting.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { appendAuditEvent, recordAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { getConfig } from "../config";
import { db, Prisma } from "../db";
import { AppError, isAppError } from "../errors";

export const DECISION_LINK_TTL_MS = 30 * 60_000;

const ZLinkPayload = z.strictObject({
  v: z.literal(1),
  r: z.uuid(),
  a: z.uuid(),
  d: z.enum(["APPROVE", "DENY"]),
  n: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  e: z.number().int().positive(),
});
type TLinkPayload = z.infer<typeof ZLinkPayload>;

/** A key of its own, derived from AUTH_SECRET, so a link's MAC is no session's or seal's. */
const linkKey = (secret: string): Buffer =>
  Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), "jit-access chat decision link v1", 32));

const mac = (body: string, secret: string): string =>
  createHmac("sha256", linkKey(secret)).update(body).digest("base64url");

export type TSignDecisionLink = {
  requestId: string;
  approverId: string;
  decision: "APPROVE" | "DENY";
  now?: Date;
  secret?: string;
};

/** The token for `/requests/<id>?link=<token>`. */
export const signDecisionLink = (options: TSignDecisionLink): string => {
  const payload: TLinkPayload = {
    v: 1,
    r: options.requestId,
    a: options.approverId,
    d: options.decision,
    n: randomBytes(16).toString("base64url"),
    e: Math.floor(((options.now ?? new Date()).getTime() + DECISION_LINK_TTL_MS) / 1000),
  };
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${body}.${mac(body, options.secret ?? getConfig().authSecret)}`;
};

/** The whole path an approver's button opens. */
export const decisionLinkPath = (options: TSignDecisionLink): string =>
  `/requests/${options.requestId}?link=${signDecisionLink(options)}`;

const refused = (message: string) => new AppError("FORBIDDEN", message);

/** Signature and shape only; no clock, no database. */
const readDecisionLink = (token: string, secret: string): TLinkPayload => {
  const [body, signature, extra] = token.split(".");
  if (!body || !signature || extra !== undefined || token.length > 1000) throw refused("This link is not valid.");
  const expected = Buffer.from(mac(body, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused("This link is not valid.");
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    throw refused("This link is not valid.");
  }
  const parsed = ZLinkPayload.safeParse(json);
  if (!parsed.success) throw refused("This link is not valid.");
  return parsed.data;
};

export type TRedeemDecisionLink = {
  actor: TUserActor;
  requestId: string;
  token: string;
  context?: TAuditContext;
  now?: Date;
  secret?: string;
};

/**
 * Checks and uses up a link. Answers the decision to preselect; refuses (FORBIDDEN) a link that
 * is forged, tampered, expired, for another request or another approver, and (CONFLICT) a link
 * already used or a request no longer waiting ("already decided"). Each refusal is audited.
 */
export const redeemDecisionLink = async (options: TRedeemDecisionLink): Promise<{ decision: "APPROVE" | "DENY" }> => {
  const { actor, requestId, context } = options;
  const now = options.now ?? new Date();
  const audit = {
    ip: context?.ip ?? null,
    userAgent: context?.userAgent ?? null,
    requestId: context?.requestId ?? null,
  };
  try {
    const link = readDecisionLink(options.token, options.secret ?? getConfig().authSecret);
    if (link.r !== requestId) throw refused("This link is for another request.");
    if (link.a !== actor.userId) throw refused("This link was sent to another approver. Decide from the request page.");
    if (now.getTime() >= link.e * 1000) throw refused("This link has expired. Decide from the request page.");
    return await db.$transaction(async (tx) => {
      const request = await tx.accessRequest.findUnique({ where: { id: requestId }, select: { status: true } });
      if (!request) throw new AppError("NOT_FOUND", "No such request.");
      try {
        await tx.chatDecisionLinkUse.create({ data: { nonce: link.n, requestId, approverId: actor.userId } });
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
          throw new AppError("CONFLICT", "This link has been used already. Decide from the request page.");
        throw error;
      }
      if (request.status !== "PENDING")
        throw new AppError("CONFLICT", `This request is already decided (${request.status.toLowerCase()}).`);
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "chat.link.redeem",
        targetType: "request",
        targetId: requestId,
        outcome: "ALLOWED",
        details: { decision: link.d },
        ...audit,
      });
      return { decision: link.d };
    });
  } catch (error) {
    if (isAppError(error) && (error.code === "FORBIDDEN" || error.code === "CONFLICT"))
      await recordAuditEvent({
        actorType: "USER",
        actorId: actor.userId,
        action: "chat.link.redeem",
        targetType: "request",
        targetId: requestId,
        outcome: "DENIED",
        reason: error.message,
        ...audit,
      });
    throw error;
  }
};
