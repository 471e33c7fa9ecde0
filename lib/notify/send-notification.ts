import nodemailer, { type Transporter } from "nodemailer";
import { z } from "zod";
import { getConfig } from "../config";
import { db } from "../db";
import { outboundRequest, type TOutboundPolicy } from "../security/outbound";
import { renderChat, renderEmail } from "./render";

export const ZSendNotification = z.strictObject({
  notificationId: z.string().min(1).max(64),
  channel: z.enum(["email", "chat"]),
});
export type TSendNotification = z.infer<typeof ZSendNotification>;

export type TSendResult = { status: "sent" } | { status: "skipped"; reason: string };

/** Where deliveries go. Read from the configuration; tests pass their own. */
export type TDeliverySettings = {
  smtpUrl: string | null;
  mailFrom: string;
  chatWebhookUrl: string | null;
  appUrl: string;
  /** Which internal hosts the chat post may reach; OUTBOUND_ALLOWED_HOSTS when absent. */
  outboundPolicy?: TOutboundPolicy;
};

const log = (event: string, fields: Record<string, unknown> = {}): void =>
  console.log(JSON.stringify({ at: new Date().toISOString(), event, ...fields }));

const skipped = (notificationId: string, channel: string, reason: string): TSendResult => {
  log("notify.skipped", { notificationId, channel, reason });
  return { status: "skipped", reason };
};

/** A copy that can never be sent (no SMTP, no chat URL, recipient deactivated) is no longer owed. */
const settle = async (notificationId: string, channel: "email" | "chat", reason: string): Promise<TSendResult> => {
  await db.$executeRaw`update "Notification" set channels = array_remove(channels, ${channel}::text) where id = ${notificationId}`;
  return skipped(notificationId, channel, reason);
};

// Bounded, so a mail server or webhook that hangs costs one job attempt, not a worker slot.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };
const CHAT_TIMEOUT_MS = 10_000;

// One pooled transport per SMTP URL per process.
const transports = new Map<string, Transporter>();
const transportFor = (smtpUrl: string): Transporter => {
  let transport = transports.get(smtpUrl);
  if (!transport) {
    transport = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: 2, ...SMTP_TIMEOUTS });
    transports.set(smtpUrl, transport);
  }
  return transport;
};

/** Closes the pooled SMTP connections (worker shutdown, tests). Idempotent. */
export const closeMailTransports = (): void => {
  for (const transport of transports.values()) transport.close();
  transports.clear();
};

const settingsFromConfig = (): TDeliverySettings => {
  const config = getConfig();
  return {
    smtpUrl: config.smtpUrl,
    mailFrom: config.mailFrom,
    chatWebhookUrl: config.chatWebhookUrl,
    appUrl: config.appUrl,
  };
};

/** `<notification id@portal host>`: stable per notification, unique across portals. */
export const notificationMessageId = (notificationId: string, appUrl: string): string =>
  `<${notificationId}@${new URL(appUrl).hostname}>`;

/**
 * Delivers one stored notification on one channel; the notify worker's only call. Throws on a
 * failure worth retrying (SMTP refused, webhook non-2xx), so BullMQ retries with backoff.
 *
 * At least once, not exactly once: a mail server that accepted the message but whose answer was
 * lost (or a worker killed before markSent) makes the job retry and send again, and nothing can
 * un-send an e-mail; the re-sent copy carries the same Message-ID. Duplicates are
 * kept to that case by the deterministic job id, which stops the same copy being enqueued twice.
 */
export const sendNotification = async (
  options: TSendNotification & { settings?: TDeliverySettings },
): Promise<TSendResult> => {
  const { notificationId, channel } = ZSendNotification.parse({
    notificationId: options.notificationId,
    channel: options.channel,
  });
  const settings = options.settings ?? settingsFromConfig();

  const notification = await db.notification.findUnique({
    where: { id: notificationId },
    select: {
      id: true,
      kind: true,
      title: true,
      body: true,
      link: true,
      emailSentAt: true,
      chatSentAt: true,
      user: { select: { email: true, name: true, deactivatedAt: true } },
    },
  });
  // Gone with its user (cascade): retrying cannot bring it back.
  if (!notification) return skipped(notificationId, channel, "notification not found");
  // A re-created or retried job after a successful send (a crash between the send and the
  // job's completion) sends nothing more.
  if ((channel === "email" ? notification.emailSentAt : notification.chatSentAt) !== null)
    return skipped(notificationId, channel, "already sent");
  const markSent = () =>
    db.notification.update({
      where: { id: notificationId },
      data: channel === "email" ? { emailSentAt: new Date() } : { chatSentAt: new Date() },
    });

  if (channel === "chat") {
    if (!settings.chatWebhookUrl) return settle(notificationId, channel, "CHAT_WEBHOOK_URL is not set");
    // Through the outbound guard (ADR 0032): no internal address unless allowed, no redirect,
    // the answer's body never read. The webhook URL is a credential: never in an error or a log line.
    let response: Awaited<ReturnType<typeof outboundRequest>>;
    try {
      response = await outboundRequest({
        url: settings.chatWebhookUrl,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(renderChat(notification, { appUrl: settings.appUrl })),
        timeoutMs: CHAT_TIMEOUT_MS,
        policy: settings.outboundPolicy,
      });
    } catch (error) {
      throw new Error(`chat webhook failed: ${(error as { errorClass?: string }).errorClass ?? "network"}`);
    }
    if (response.errorClass) throw new Error(`chat webhook answered ${response.status} (${response.errorClass})`);
    await markSent();
    log("notify.sent", { notificationId, channel, kind: notification.kind });
    return { status: "sent" };
  }

  if (!settings.smtpUrl) return settle(notificationId, channel, "SMTP_URL is not set");
  if (notification.user.deactivatedAt) return settle(notificationId, channel, "recipient is deactivated");
  // Never to an address the IdP did not vouch for: it may be someone else's.
  if (!notification.user.email) return settle(notificationId, channel, "recipient has no verified e-mail address");
  const message = renderEmail(notification, { appUrl: settings.appUrl, recipientName: notification.user.name });
  await transportFor(settings.smtpUrl).sendMail({
    from: settings.mailFrom,
    to: { name: notification.user.name, address: notification.user.email },
    subject: message.subject,
    text: message.text,
    html: message.html,
    headers: { "X-JIT-Notification-Id": notification.id, "X-JIT-Notification-Kind": notification.kind },
    // The same Message-ID on every attempt: a copy re-sent after a crash between the server's
    // acceptance and markSent() is the same message to mail stores and clients, which show it once.
    messageId: notificationMessageId(notification.id, settings.appUrl),
  });
  await markSent();
  log("notify.sent", { notificationId, channel, kind: notification.kind });
  return { status: "sent" };
};
