export { appendAuditEvent, appendAuditEvents, recordAuditEvent, type TAuditEventInput } from "./append-audit-event";
export { GENESIS_HASH, hashEvent } from "./canonical";
