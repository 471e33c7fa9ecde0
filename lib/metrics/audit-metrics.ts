import { incrementCounter } from "./registry";

/**
 * Counters derived from committed audit events: every domain change already writes exactly
 * one, so counting them here keeps the metrics and the audit log in step without a second
 * call at each site. Called after commit (lib/audit/append-audit-event.ts).
 */
export const countAuditEvent = (event: { action: string; outcome: string }): void => {
  const outcome = event.outcome.toLowerCase();
  incrementCounter("jit_audit_events_total", { action: event.action, outcome });
  if (event.action === "auth.sign_in") incrementCounter("jit_sign_ins_total", { outcome });
  if (event.action === "authz.denied") incrementCounter("jit_authz_denials_total");
  if (event.outcome !== "ALLOWED") return;
  if (event.action === "request.create") incrementCounter("jit_requests_total");
  if (event.action === "request.approve") incrementCounter("jit_decisions_total", { decision: "approve" });
  if (event.action === "request.deny") incrementCounter("jit_decisions_total", { decision: "deny" });
};
