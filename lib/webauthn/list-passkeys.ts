import type { TUserActor } from "../authz";
import { assertCan } from "../authz/enforce";
import { db } from "../db";

export type TPasskeyRow = {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** "multiDevice": synced (e.g. iCloud Keychain, Google Password Manager). */
  deviceType: string;
  backedUp: boolean;
};

export const PASSKEY_ROW_SELECT = {
  id: true,
  name: true,
  createdAt: true,
  lastUsedAt: true,
  deviceType: true,
  backedUp: true,
} as const;

/** The actor's own passkeys, oldest first. Nobody lists another person's. */
export const listPasskeys = async (options: { actor: TUserActor }): Promise<TPasskeyRow[]> => {
  const { actor } = options;
  await assertCan(actor, "passkeys.manage", { type: "user", id: actor.userId });
  return db.passkey.findMany({
    where: { userId: actor.userId },
    orderBy: { createdAt: "asc" },
    select: PASSKEY_ROW_SELECT,
  });
};
