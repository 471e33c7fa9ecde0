-- CreateTable
CREATE TABLE "ServiceSigningKey" (
    "id" TEXT NOT NULL,
    "alg" TEXT NOT NULL,
    "publicJwk" JSONB NOT NULL,
    "privateKeyEncrypted" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMP(3),

    CONSTRAINT "ServiceSigningKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReplicaChange" (
    "seq" BIGSERIAL NOT NULL,
    "entity" TEXT NOT NULL,
    "entityId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReplicaChange_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE INDEX "ReplicaChange_createdAt_idx" ON "ReplicaChange"("createdAt");


-- The grant replicas' change feed (lib/services/replica, docs/decisions/0007-grant-replica-change-feed.md).
-- Prisma's schema language cannot express triggers, so this file is appended verbatim to the
-- migration that created "ReplicaChange", and prisma/migrations.integration.test.ts applies it
-- to the database built from schema.prisma too: both must stay identical.
--
-- The advisory lock is the audit chain's (lib/audit/append-audit-event.ts), taken before
-- nextval and held until commit: sequence numbers are handed out in commit order, so a replica
-- that has read every row up to N never sees a row below N appear later. Every grant writer
-- appends an audit event in the same transaction anyway, so this serialises nothing new and
-- cannot deadlock against the audit lock (it is the same lock).
-- The body is an E'' string with \073 for each semicolon because `prisma migrate deploy`
-- (through @prisma/adapter-pg 7, ADR 0001) splits a migration at every semicolon, dollar quotes
-- included. PostgreSQL stores the same function either way.
CREATE FUNCTION jit_replica_change() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM pg_advisory_xact_lock(7311001)\073
  INSERT INTO "ReplicaChange" ("entity", "entityId")
  VALUES (TG_ARGV[0], CASE WHEN TG_OP = ''DELETE'' THEN OLD."id" ELSE NEW."id" END)\073
  RETURN NULL\073
END\073
';

CREATE TRIGGER "Grant_replica_change" AFTER INSERT OR UPDATE OR DELETE ON "Grant"
  FOR EACH ROW EXECUTE FUNCTION jit_replica_change('grant');

-- Only what a check reads: the email (a subject may be named by it) and deactivation.
CREATE TRIGGER "User_replica_change" AFTER UPDATE ON "User"
  FOR EACH ROW WHEN (OLD."email" IS DISTINCT FROM NEW."email" OR OLD."deactivatedAt" IS DISTINCT FROM NEW."deactivatedAt")
  EXECUTE FUNCTION jit_replica_change('user');

CREATE TRIGGER "ServiceClient_replica_change" AFTER INSERT OR UPDATE OR DELETE ON "ServiceClient"
  FOR EACH ROW EXECUTE FUNCTION jit_replica_change('client');
