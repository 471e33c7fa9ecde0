/**
 * Admin -> Directory sync -> Shared Signals: the transmitters whose Security Event Tokens the
 * portal accepts (ADR 0040). Beside the directory connections and under the same right
 * (`directory.manage`): both are an IdP telling the portal about its people. Every change is
 * audited with the administrator as actor.
 */
import { z } from "zod";
import { appendAuditEvent } from "../audit";
import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db, Prisma } from "../db";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { checkOutboundUrl, type TOutboundPolicy } from "../security/outbound";
import { storableText } from "../storable-text";
import { forgetJwks } from "./jwks";

type TAdminOptions<TInput> = { actor: TUserActor; input: TInput; context?: TAuditContext };

const auditOf = (context: TAuditContext = {}) => ({
  ip: context.ip ?? null,
  userAgent: context.userAgent ?? null,
  requestId: context.requestId ?? null,
});

const ZHttpUrl = (what: string) =>
  z
    .string()
    .trim()
    .max(500)
    .url()
    .refine((value) => /^https?:\/\//i.test(value) && !value.includes("#"), `${what}, http(s) and without #.`);

export const ZCreateSignalTransmitter = z
  .object({
    name: z.string().trim().min(2).max(100).transform(storableText),
    /** The SETs' `iss`, e.g. https://example.okta.com. */
    issuer: z.string().trim().min(1).max(500),
    jwksUrl: ZHttpUrl("A JWKS URL"),
    /** The `aud` the transmitter puts in its SETs (the stream's audience). */
    audience: z.string().trim().min(1).max(500),
    /** The OpenID issuer of the people it reports on; the SET issuer when left empty. */
    subjectIssuer: z
      .string()
      .trim()
      .max(500)
      .optional()
      .transform((value) => value || undefined),
    onDeviceNonCompliant: z
      .string()
      .trim()
      .toUpperCase()
      .optional()
      .transform((value) => value || "SUSPEND")
      .pipe(z.enum(["SUSPEND", "AUDIT"], { message: "suspend or audit." })),
  })
  .strict();

type TCreateOptions = TAdminOptions<z.input<typeof ZCreateSignalTransmitter>> & { outboundPolicy?: TOutboundPolicy };

/** A transmitter; the receiver URL to give the IdP is /api/ssf/events/<id>. */
export const createSignalTransmitter = async ({ actor, input, context, outboundPolicy }: TCreateOptions) => {
  await assertCan(actor, "directory.manage", undefined, context);
  const parsed = ZCreateSignalTransmitter.safeParse(input);
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join("."), issue.message]));
    throw new AppError("INVALID_INPUT", "Check the transmitter's fields.", fields);
  }
  const { name, issuer, jwksUrl, audience, onDeviceNonCompliant } = parsed.data;
  const subjectIssuer = parsed.data.subjectIssuer ?? issuer;
  // The JWKS is fetched at receive time through the outbound guard; say now if it never could be.
  await checkOutboundUrl({ url: jwksUrl, field: "jwksUrl" }, outboundPolicy);
  try {
    return await db.$transaction(async (tx) => {
      const transmitter = await tx.signalTransmitter.create({
        data: { name, issuer, jwksUrl, audience, subjectIssuer, onDeviceNonCompliant, createdById: actor.userId },
        select: { id: true },
      });
      await appendAuditEvent(tx, {
        actorType: "USER",
        actorId: actor.userId,
        action: "signals.transmitter.create",
        targetType: "signal_transmitter",
        targetId: transmitter.id,
        outcome: "ALLOWED",
        details: { name, issuer, jwksUrl, audience, subjectIssuer, onDeviceNonCompliant },
        ...auditOf(context),
      });
      return { transmitterId: transmitter.id };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
      throw new AppError("CONFLICT", "A transmitter with that issuer exists already.", { issuer: "Already added." });
    throw error;
  }
};

const ZId = z.string().min(1).max(64);

/** Disables a transmitter: its next SET is refused (authentication_failed). */
export const disableSignalTransmitter = async ({ actor, input, context }: TAdminOptions<{ transmitterId: string }>) => {
  await assertCan(actor, "directory.manage", undefined, context);
  const parsed = ZId.safeParse(input.transmitterId);
  if (!parsed.success) throw new AppError("INVALID_INPUT", "Choose a transmitter.", { transmitterId: "Missing." });
  const transmitterId = parsed.data;
  await db.$transaction(async (tx) => {
    const disabled = await tx.signalTransmitter.updateMany({
      where: { id: transmitterId, disabledAt: null },
      data: { disabledAt: new Date() },
    });
    if (disabled.count === 0) throw new AppError("NOT_FOUND", "No such transmitter, or it is disabled already.");
    await appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "signals.transmitter.disable",
      targetType: "signal_transmitter",
      targetId: transmitterId,
      outcome: "ALLOWED",
      ...auditOf(context),
    });
  });
  forgetJwks(transmitterId);
};

export const listSignalTransmitters = async ({ actor, context }: { actor: TUserActor; context?: TAuditContext }) => {
  await assertCan(actor, "directory.manage", undefined, context);
  return db.signalTransmitter.findMany({
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      name: true,
      issuer: true,
      jwksUrl: true,
      audience: true,
      subjectIssuer: true,
      onDeviceNonCompliant: true,
      createdAt: true,
      disabledAt: true,
      lastEventAt: true,
    },
  });
};

/** The receiver URL to give the IdP for one transmitter (RFC 8935 push endpoint). */
export const signalsReceiverUrl = (transmitterId: string): string =>
  `${getConfig().appUrl.replace(/\/$/, "")}/api/ssf/events/${transmitterId}`;
