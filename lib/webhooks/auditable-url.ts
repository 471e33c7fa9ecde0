/**
 * What the audit log and the logs keep of a webhook endpoint's URL: its origin and path.
 * Receivers often carry a credential in the query string (`?token=…`, Slack-style paths are
 * the operator's choice) or, if it ever got through, in the user info; the audit log is read
 * by every security reviewer and copied to a SIEM, so neither goes there. The fragment is
 * never sent anyway.
 */
export const auditableUrl = (url: string): string => {
  if (!URL.canParse(url)) return "(not a URL)";
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
};

/** `text` with every occurrence of `url` replaced by its auditable form (for error messages). */
export const redactUrl = (text: string, url: string): string =>
  url === "" ? text : text.split(url).join(auditableUrl(url));
