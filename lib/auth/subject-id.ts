/**
 * A person's stable identity for other systems: the IdP's issuer and its subject for them,
 * written `<issuer>#<sub>` (docs/decisions/0027-identity-by-issuer-and-subject.md). An OpenID
 * issuer is an https URL with no fragment, so the first `#` always separates the two, and an
 * integrator can build the same string from an ID token's `iss` and `sub`.
 */
export const subjectIdOf = (user: { issuer: string; subject: string }): string => `${user.issuer}#${user.subject}`;

/** The issuer and subject a subject id names; null when the value is not one (an e-mail, a user id). */
export const parseSubjectId = (value: string): { issuer: string; subject: string } | null => {
  if (!/^https?:\/\//i.test(value)) return null;
  const at = value.indexOf("#");
  if (at <= 0 || at === value.length - 1) return null;
  return { issuer: value.slice(0, at), subject: value.slice(at + 1) };
};
