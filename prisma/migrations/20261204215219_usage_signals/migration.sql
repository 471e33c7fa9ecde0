-- AlterTable
ALTER TABLE "AccessPolicy" ADD COLUMN     "usageCeilings" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "usageResponse" TEXT NOT NULL DEFAULT 'alert';

-- CreateTable
CREATE TABLE "UsageSignal" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "resourceId" TEXT NOT NULL,
    "grantId" TEXT,
    "clientId" TEXT NOT NULL,
    "metric" TEXT,
    "value" DOUBLE PRECISION,
    "windowSeconds" INTEGER,
    "perMinute" DOUBLE PRECISION,
    "event" TEXT,
    "severity" TEXT,
    "flagged" BOOLEAN NOT NULL DEFAULT false,
    "reason" TEXT,
    "baseline" JSONB,
    "response" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UsageSignal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UsageApprovalDemand" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "resourceId" TEXT NOT NULL,
    "signalId" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "consumedAt" TIMESTAMP(3),
    "consumedById" TEXT,

    CONSTRAINT "UsageApprovalDemand_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "UsageSignal_userId_resourceId_metric_createdAt_idx" ON "UsageSignal"("userId", "resourceId", "metric", "createdAt");

-- CreateIndex
CREATE INDEX "UsageSignal_flagged_createdAt_idx" ON "UsageSignal"("flagged", "createdAt");

-- CreateIndex
CREATE INDEX "UsageSignal_grantId_idx" ON "UsageSignal"("grantId");

-- CreateIndex
CREATE INDEX "UsageSignal_createdAt_idx" ON "UsageSignal"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "UsageApprovalDemand_signalId_key" ON "UsageApprovalDemand"("signalId");

-- CreateIndex
CREATE INDEX "UsageApprovalDemand_userId_resourceId_consumedAt_idx" ON "UsageApprovalDemand"("userId", "resourceId", "consumedAt");

