/**
 * Development only: mail caught by the dev SMTP listener (dev-smtp.ts), kept as one JSON file
 * per message in `.dev/mail/`. Files, not memory, because the listener runs in `npm run dev`'s
 * process and the page that lists them in the web app's. This module must not import
 * smtp-server (a dev dependency), since the web app imports it.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export type TDevMail = {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** The HTML part as source text, for inspection; never rendered as HTML. */
  html: string | null;
  date: string;
};

export const DEV_MAIL_KEEP = 200;

export const defaultDevMailDir = (): string => path.join(/*turbopackIgnore: true*/ process.cwd(), ".dev", "mail");

// ---------------------------------------------------------------------------------------
// A minimal MIME reader: enough for what nodemailer sends (multipart/alternative, 7bit,
// quoted-printable or base64, RFC 2047 encoded words), not a general mail parser.
// ---------------------------------------------------------------------------------------

type TPart = { headers: Map<string, string>; body: string };

const splitPart = (raw: string): TPart => {
  const normalized = raw.replace(/\r\n/g, "\n");
  const end = normalized.indexOf("\n\n");
  const head = end === -1 ? normalized : normalized.slice(0, end);
  const body = end === -1 ? "" : normalized.slice(end + 2);
  const headers = new Map<string, string>();
  // Folded header lines continue with whitespace.
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
};

const param = (header: string, name: string): string | null => {
  const match = header.match(new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, "i"));
  return match ? (match[1] ?? match[2] ?? null) : null;
};

const decodeBytes = (bytes: Buffer, charset: string | null): string => {
  try {
    return new TextDecoder(charset ?? "utf-8").decode(bytes);
  } catch {
    return bytes.toString("utf8");
  }
};

export const decodeQuotedPrintable = (value: string): Buffer => {
  const withoutSoftBreaks = value.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let index = 0; index < withoutSoftBreaks.length; index += 1) {
    const char = withoutSoftBreaks[index] as string;
    const hex = withoutSoftBreaks.slice(index + 1, index + 3);
    if (char === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(char, "utf8"));
    }
  }
  return Buffer.from(bytes);
};

const decodeBody = (part: TPart): string => {
  const encoding = (part.headers.get("content-transfer-encoding") ?? "7bit").toLowerCase();
  const charset = param(part.headers.get("content-type") ?? "", "charset");
  if (encoding === "base64") return decodeBytes(Buffer.from(part.body.replace(/\s+/g, ""), "base64"), charset);
  if (encoding === "quoted-printable") return decodeBytes(decodeQuotedPrintable(part.body), charset);
  return part.body;
};

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`) in a header value. */
export const decodeHeader = (value: string): string =>
  value
    .replace(/\?=\s+=\?/g, "?==?") // whitespace between adjacent encoded words is not text
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_all, charset: string, kind: string, text: string) =>
      kind.toUpperCase() === "B"
        ? decodeBytes(Buffer.from(text, "base64"), charset)
        : decodeBytes(decodeQuotedPrintable(text.replace(/_/g, " ")), charset),
    );

/** The text/plain and text/html parts, depth-first through multiparts. */
const collectText = (part: TPart, found: { text: string | null; html: string | null }, depth = 0): void => {
  const type = (part.headers.get("content-type") ?? "text/plain").toLowerCase();
  const boundary = param(part.headers.get("content-type") ?? "", "boundary");
  if (type.startsWith("multipart/") && boundary && depth < 5) {
    const sections = part.body.split(`--${boundary}`).slice(1);
    for (const section of sections) {
      if (section.startsWith("--")) break; // the closing delimiter
      collectText(splitPart(section.replace(/^\r?\n/, "")), found, depth + 1);
    }
    return;
  }
  if (type.startsWith("text/plain") && found.text === null) found.text = decodeBody(part).replace(/\n$/, "");
  else if (type.startsWith("text/html") && found.html === null) found.html = decodeBody(part);
};

export const parseMail = (raw: string, envelope: { from?: string; to?: string[] } = {}): Omit<TDevMail, "id"> => {
  const message = splitPart(raw);
  const found = { text: null as string | null, html: null as string | null };
  collectText(message, found);
  const headerTo = message.headers.get("to");
  const date = new Date(message.headers.get("date") ?? Date.now());
  return {
    from: decodeHeader(message.headers.get("from") ?? envelope.from ?? ""),
    to: envelope.to && envelope.to.length > 0 ? envelope.to : headerTo ? [decodeHeader(headerTo)] : [],
    subject: decodeHeader(message.headers.get("subject") ?? ""),
    text: found.text ?? "",
    html: found.html,
    date: (Number.isNaN(date.getTime()) ? new Date() : date).toISOString(),
  };
};

// ---------------------------------------------------------------------------------------
// The folder
// ---------------------------------------------------------------------------------------

// File names sort by arrival: a zero-padded millisecond timestamp, then random characters.
const fileNameFor = (): string => `${String(Date.now()).padStart(15, "0")}-${randomBytes(4).toString("hex")}.json`;
const isMailFile = (name: string): boolean => /^\d{15}-[0-9a-f]{8}\.json$/.test(name);

export const saveDevMail = async (mail: Omit<TDevMail, "id">, options: { dir?: string } = {}): Promise<TDevMail> => {
  const dir = options.dir ?? defaultDevMailDir();
  await mkdir(/*turbopackIgnore: true*/ dir, { recursive: true });
  const name = fileNameFor();
  const stored: TDevMail = { id: name.replace(/\.json$/, ""), ...mail };
  await writeFile(path.join(/*turbopackIgnore: true*/ dir, name), JSON.stringify(stored, null, 2));
  // Keep the newest DEV_MAIL_KEEP.
  const names = (await readdir(/*turbopackIgnore: true*/ dir)).filter(isMailFile).sort();
  await Promise.all(
    names
      .slice(0, Math.max(0, names.length - DEV_MAIL_KEEP))
      .map((old) => rm(path.join(/*turbopackIgnore: true*/ dir, old), { force: true })),
  );
  return stored;
};

/** Captured mail, newest first (at most DEV_MAIL_KEEP). An absent folder means none yet. */
export const listDevMail = async (options: { dir?: string } = {}): Promise<TDevMail[]> => {
  const dir = options.dir ?? defaultDevMailDir();
  let names: string[];
  try {
    names = (await readdir(/*turbopackIgnore: true*/ dir)).filter(isMailFile).sort().reverse().slice(0, DEV_MAIL_KEEP);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const mails = await Promise.all(
    names.map(async (name) => {
      try {
        return JSON.parse(await readFile(path.join(/*turbopackIgnore: true*/ dir, name), "utf8")) as TDevMail;
      } catch {
        return null; // removed or half-written meanwhile
      }
    }),
  );
  return mails.filter((mail): mail is TDevMail => mail !== null);
};
