/**
 * Development only: an SMTP listener that accepts every message and keeps it, so notification
 * e-mail can be read at /dev/mail without a real mail server. `npm run dev` starts it on
 * DEV_SMTP_PORT when SMTP_URL is left at its local default. No TLS, no authentication: it
 * binds to loopback and must never face a network.
 */
import { SMTPServer } from "smtp-server";
import { DEV_MAIL_KEEP, parseMail, saveDevMail, type TDevMail } from "./dev-mail-store";

export { listDevMail, type TDevMail } from "./dev-mail-store";

// Far more than any notification; a runaway sender cannot fill the memory.
const MAX_MESSAGE_BYTES = 5 * 1024 * 1024;

export type TDevSmtp = {
  port: number;
  /** The messages this process received, newest first (at most 200). */
  messages: () => TDevMail[];
  close: () => Promise<void>;
};

export const startDevSmtp = async (options: { port: number; host?: string; dir?: string }): Promise<TDevSmtp> => {
  const received: TDevMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    hideSTARTTLS: true,
    size: MAX_MESSAGE_BYTES,
    banner: "JIT Access development mail catcher",
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", callback);
      stream.on("end", () => {
        if (stream.sizeExceeded) return callback(Object.assign(new Error("Message too large"), { responseCode: 552 }));
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined;
        const mail = parseMail(Buffer.concat(chunks).toString("utf8"), {
          ...(envelopeFrom ? { from: envelopeFrom } : {}),
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
        });
        saveDevMail(mail, options.dir ? { dir: options.dir } : {})
          .then((stored) => {
            received.unshift(stored);
            received.splice(DEV_MAIL_KEEP);
            callback();
          })
          .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      });
    },
  });
  server.on("error", (error) => console.error(JSON.stringify({ event: "dev_smtp.error", error: error.message })));

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.server.once("error", onError);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.server.off("error", onError);
      resolve();
    });
  });
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;

  return {
    port,
    messages: () => [...received],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
