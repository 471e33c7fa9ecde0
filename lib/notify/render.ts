/**
 * Turns a stored notification into an e-mail or a chat message. Pure, so the escaping can be
 * tested without a mail server. Titles and bodies carry text that users typed (a request's
 * justification, a denial comment): every value is escaped for the format it lands in, so it
 * renders as text and never as markup, a link or a mention.
 */

export type TRenderable = { title: string; body: string; link: string | null };

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** For HTML text and double- or single-quoted attribute values. */
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);

/**
 * Slack's mrkdwn gives `<...>` meaning (links, `<!channel>`, `<@user>`) and `&` starts its
 * escapes; these three are the only characters it asks senders to escape.
 */
export const escapeMrkdwn = (value: string): string =>
  value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A header value on one line: nodemailer refuses nothing, so a stray newline is folded here. */
const oneLine = (value: string): string => value.replace(/[\r\n\t]+/g, " ").trim();

/**
 * The absolute URL of a notification's in-app path. Links are stored as paths starting with
 * one "/" (notify() refuses anything else), so the result always stays on the portal's origin.
 */
export const absoluteLink = (link: string | null, appUrl: string): string | null => {
  if (!link) return null;
  const url = new URL(link, `${appUrl}/`);
  return url.origin === new URL(appUrl).origin ? url.toString() : null;
};

export type TRenderedEmail = { subject: string; text: string; html: string };

export const renderEmail = (
  notification: TRenderable,
  options: { appUrl: string; recipientName: string },
): TRenderedEmail => {
  const url = absoluteLink(notification.link, options.appUrl);
  const text = [
    `Hello ${options.recipientName},`,
    "",
    notification.title,
    "",
    notification.body,
    ...(url ? ["", `Open in JIT Access: ${url}`] : []),
    "",
  ].join("\n");
  const paragraphs = notification.body
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\r?\n/g, "<br>")}</p>`)
    .join("\n");
  const html = [
    "<!doctype html>",
    '<html><body style="font-family: sans-serif; line-height: 1.4">',
    `<p>Hello ${escapeHtml(options.recipientName)},</p>`,
    `<h1 style="font-size: 18px">${escapeHtml(notification.title)}</h1>`,
    paragraphs,
    ...(url ? [`<p><a href="${escapeHtml(url)}">Open in JIT Access</a></p>`] : []),
    "</body></html>",
    "",
  ].join("\n");
  return { subject: oneLine(notification.title), text, html };
};

export type TChatMessage = {
  text: string;
  blocks?: Array<{ type: "section"; text: { type: "mrkdwn"; text: string } }>;
};

// Slack refuses a section whose text is longer; `text` alone may be much longer.
const SECTION_TEXT_MAX = 3000;

/** A Slack-compatible incoming-webhook body; `text` is also the fallback for notifications. */
export const renderChat = (notification: TRenderable, options: { appUrl: string }): TChatMessage => {
  const url = absoluteLink(notification.link, options.appUrl);
  // The URL is ours, but escaped all the same: a `|` or `>` in it would end the link early.
  const linkLine = url ? `\n<${escapeMrkdwn(url).replace(/\|/g, "%7C")}|Open in JIT Access>` : "";
  const text = `*${escapeMrkdwn(oneLine(notification.title))}*\n${escapeMrkdwn(notification.body)}${linkLine}`;
  return text.length <= SECTION_TEXT_MAX
    ? { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] }
    : { text };
};
