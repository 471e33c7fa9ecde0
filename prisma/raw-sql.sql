-- Database objects that prisma/schema.prisma cannot express (expression indexes). Each is
-- also created by the migration that introduced it. The migrations test applies this file
-- after the SQL Prisma derives from the schema, then compares both databases' schemas, so a
-- migration and this file cannot drift apart unnoticed.

-- 20261123205709_grant_history_indexes: full-text search over justifications.
CREATE INDEX "AccessRequest_justification_fts_idx" ON "AccessRequest" USING GIN (to_tsvector('english', "justification"));
