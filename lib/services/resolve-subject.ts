/**
 * The services API's subjects from PostgreSQL, by the rules the check answers by
 * (replica.ts `resolveSubject`): a subject id `<issuer>#<sub>`, an e-mail the IdP verified (only
 * verified ones are stored, so an unverified one names nobody), or the portal's user id.
 */
import { parseSubjectId } from "../auth/subject-id";
import { db, type Prisma } from "../db";

export const subjectUserWhere = (subject: string): Prisma.UserWhereInput => {
  const named = parseSubjectId(subject);
  if (named) return named;
  if (subject.includes("@")) return { email: { equals: subject, mode: "insensitive" } };
  return { id: subject };
};

export type TResolvedSubject = { userId: string } | { userId: null; reason: "unknown" | "ambiguous" };

/** One person, or why not: nobody by that name, or an e-mail that two people verified. */
export const resolveSubject = async (subject: string): Promise<TResolvedSubject> => {
  const users = await db.user.findMany({ where: subjectUserWhere(subject), select: { id: true }, take: 2 });
  if (users.length === 0) return { userId: null, reason: "unknown" };
  if (users.length > 1) return { userId: null, reason: "ambiguous" };
  return { userId: (users[0] as { id: string }).id };
};
