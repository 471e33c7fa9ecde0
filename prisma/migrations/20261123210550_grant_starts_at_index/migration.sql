-- CreateIndex
CREATE INDEX "Grant_startsAt_idx" ON "Grant"("startsAt");

