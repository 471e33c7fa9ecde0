import type { TUserActor } from "../authz";
import { assertCan } from "../authz/enforce";
import { db } from "../db";

export type TUserRow = {
  id: string;
  /** Verified by the IdP, or null. */
  email: string | null;
  name: string;
  groups: string[];
  lastSignInAt: Date | null;
  deactivatedAt: Date | null;
};

/** Administrators: every user the IdP has signed in, with their groups. */
export const listUsers = async (options: { actor: TUserActor }): Promise<TUserRow[]> => {
  await assertCan(options.actor, "users.read");
  return db.user.findMany({
    orderBy: [{ deactivatedAt: { sort: "asc", nulls: "first" } }, { email: "asc" }],
    select: { id: true, email: true, name: true, groups: true, lastSignInAt: true, deactivatedAt: true },
  });
};
