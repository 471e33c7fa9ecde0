-- CreateIndex
CREATE INDEX "Approval_approverId_idx" ON "Approval"("approverId");

-- CreateIndex
CREATE INDEX "Grant_subjectId_id_idx" ON "Grant"("subjectId", "id");

-- CreateIndex
CREATE INDEX "Grant_resourceId_id_idx" ON "Grant"("resourceId", "id");


-- Full-text search over justifications (not expressible in schema.prisma, repeated in
-- prisma/raw-sql.sql so the migrations test can compare honestly).
CREATE INDEX "AccessRequest_justification_fts_idx" ON "AccessRequest" USING GIN (to_tsvector('english', "justification"));
