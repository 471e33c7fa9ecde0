-- Database objects that prisma/schema.prisma cannot express (expression indexes, triggers,
-- functions). Each is also created by the migration that introduced it. The migrations test
-- applies this file after the SQL Prisma derives from the schema, then compares both
-- databases' schemas, so a migration and this file cannot drift apart unnoticed.

-- 20261123205709_grant_history_indexes: full-text search over justifications.
CREATE INDEX "AccessRequest_justification_fts_idx" ON "AccessRequest" USING GIN (to_tsvector('english', "justification"));

-- 20261204145545_audit_append_only: the audit log is append-only for the application
-- (docs/decisions/0028-audit-append-only-and-anchors.md). Updates are refused for everyone,
-- truncation too, and deletes for everyone but the retention role inside jit_audit_prune(),
-- which deletes only the beginning of the chain and records the cut in "AuditRetention".
-- Bodies are E'' strings with \073 for each semicolon: `prisma migrate deploy` splits a
-- migration at every semicolon, dollar quotes included (ADR 0001).
CREATE FUNCTION jit_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''DELETE'' AND TG_TABLE_NAME = ''AuditEvent'' AND current_user = ''jit_audit_retention''
     AND current_setting(''jit.audit_prune'', true) = ''on'' THEN
    RETURN OLD\073
  END IF\073
  IF TG_OP = ''INSERT'' AND current_user = ''jit_audit_retention'' AND current_setting(''jit.audit_prune'', true) = ''on'' THEN
    RETURN NEW\073
  END IF\073
  RAISE EXCEPTION ''"%" is append-only: % refused (retention: jit_audit_prune() as jit_audit_retention)'', TG_TABLE_NAME, TG_OP
    USING ERRCODE = ''insufficient_privilege''\073
END\073
';

CREATE TRIGGER "AuditEvent_append_only" BEFORE UPDATE OR DELETE ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION jit_audit_append_only();
CREATE TRIGGER "AuditEvent_no_truncate" BEFORE TRUNCATE ON "AuditEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION jit_audit_append_only();
CREATE TRIGGER "AuditRetention_append_only" BEFORE INSERT OR UPDATE OR DELETE ON "AuditRetention"
  FOR EACH ROW EXECUTE FUNCTION jit_audit_append_only();
CREATE TRIGGER "AuditRetention_no_truncate" BEFORE TRUNCATE ON "AuditRetention"
  FOR EACH STATEMENT EXECUTE FUNCTION jit_audit_append_only();

-- Deletes the chain's beginning, every event up to the last one that occurred before
-- `cutoff` (UTC), under the chain's lock, and records where the chain now starts. Returns the
-- number of events deleted. Callable only as jit_audit_retention (docs/security.md).
CREATE FUNCTION jit_audit_prune(cutoff timestamptz) RETURNS bigint LANGUAGE plpgsql AS E'
DECLARE
  last_seq bigint\073
  last_hash text\073
  removed bigint\073
BEGIN
  IF current_user <> ''jit_audit_retention'' THEN
    RAISE EXCEPTION ''jit_audit_prune() runs only as jit_audit_retention (SET ROLE jit_audit_retention)''
      USING ERRCODE = ''insufficient_privilege''\073
  END IF\073
  PERFORM pg_advisory_xact_lock(7311001)\073
  SELECT seq, hash INTO last_seq, last_hash FROM "AuditEvent"
    WHERE seq = (SELECT max(seq) FROM "AuditEvent" WHERE "occurredAt" < (cutoff AT TIME ZONE ''UTC''))\073
  IF last_seq IS NULL THEN
    RETURN 0\073
  END IF\073
  PERFORM set_config(''jit.audit_prune'', ''on'', true)\073
  DELETE FROM "AuditEvent" WHERE seq <= last_seq\073
  GET DIAGNOSTICS removed = ROW_COUNT\073
  INSERT INTO "AuditRetention" ("cutoff", "throughSeq", "lastHash", "deleted", "prunedBy")
    VALUES (cutoff AT TIME ZONE ''UTC'', last_seq, last_hash, removed, session_user)\073
  PERFORM set_config(''jit.audit_prune'', ''off'', true)\073
  RETURN removed\073
END\073
';
REVOKE ALL ON FUNCTION jit_audit_prune(timestamptz) FROM PUBLIC;
