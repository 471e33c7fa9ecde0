/**
 * The person hears of every change to their passkeys, by e-mail and in the app (ADR 0033): a
 * passkey added or removed by someone holding their session is the first thing they should
 * learn of. Written in the change's own transaction, so there is no notice without the change.
 */
import type { TAuditContext } from "../authz/enforce";
import type { Db } from "../db";
import { notify } from "../notify";
import { formatUtc } from "../time";

type TPasskeyNotice = {
  tx: Db;
  userId: string;
  change: "added" | "removed";
  passkeyName: string;
  context?: TAuditContext;
  at: Date;
};

export const notifyPasskeyChange = ({ tx, userId, change, passkeyName, context, at }: TPasskeyNotice) =>
  notify(tx, {
    recipients: { userIds: [userId] },
    kind: change === "added" ? "passkey.added" : "passkey.removed",
    title: change === "added" ? `Passkey “${passkeyName}” added` : `Passkey “${passkeyName}” removed`,
    body: [
      `A passkey named “${passkeyName}” was ${change} ${change === "added" ? "to" : "from"} your account at ${formatUtc(at)}` +
        `${context?.ip ? ` from ${context.ip}` : ""}.`,
      change === "added"
        ? "If this was not you, remove it on the Passkeys page at once and tell your security team: whoever holds it can confirm approvals as you."
        : "If this was not you, tell your security team: someone may be using your session.",
    ].join("\n\n"),
    link: "/passkeys",
  });
