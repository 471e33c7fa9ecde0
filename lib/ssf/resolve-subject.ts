import type { Db } from "../db";
import type { TSubjectId } from "./events";

/**
 * The person a SET names, among the people of the transmitter's IdP (`subjectIssuer`) only:
 * `iss_sub` by issuer and subject, `email` by the verified address the portal keeps (unique per
 * issuer; unverified addresses are never stored), `opaque` by the SCIM externalId the same
 * IdP's directory sync gave them. No match, or more than one, is null: acknowledged, not acted on.
 */
export const resolveSubject = async (
  tx: Db,
  options: { subjectIssuer: string; subject: TSubjectId },
): Promise<string | null> => {
  const { subjectIssuer, subject } = options;
  if (subject.format === "iss_sub") {
    if (subject.iss !== subjectIssuer) return null;
    const user = await tx.user.findUnique({
      where: { issuer_subject: { issuer: subjectIssuer, subject: subject.sub } },
      select: { id: true },
    });
    return user?.id ?? null;
  }
  const where =
    subject.format === "email"
      ? { issuer: subjectIssuer, email: subject.email.trim().toLowerCase() }
      : { issuer: subjectIssuer, scimExternalId: subject.id };
  const users = await tx.user.findMany({ where, select: { id: true }, take: 2 });
  return users.length === 1 ? (users[0]?.id ?? null) : null;
};
