-- Approval stages and escalation (ADR 0055). Columns in the schema's order.
ALTER TABLE "AccessPolicy" ADD COLUMN "stages" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN "escalationGroups" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "escalationAfterMinutes" INTEGER;

ALTER TABLE "AccessRequest" ADD COLUMN "stages" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN "currentStage" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "stageOpenedAt" TIMESTAMP(3),
ADD COLUMN "escalationGroups" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "escalationAfterMinutes" INTEGER,
ADD COLUMN "escalateAt" TIMESTAMP(3),
ADD COLUMN "escalatedAt" TIMESTAMP(3);

ALTER TABLE "Approval" ADD COLUMN "stage" INTEGER NOT NULL DEFAULT 0;

CREATE INDEX "AccessRequest_status_escalateAt_idx" ON "AccessRequest"("status", "escalateAt");
