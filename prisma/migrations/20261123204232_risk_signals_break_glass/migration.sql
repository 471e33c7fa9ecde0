-- AlterTable
ALTER TABLE "AccessPolicy" ADD COLUMN     "riskBlocksAutoApproval" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "riskExtraApprovals" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "riskThreshold" INTEGER;

-- AlterTable
ALTER TABLE "AccessRequest" ADD COLUMN     "extraApprovals" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "riskScore" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "sourceIp" TEXT,
ADD COLUMN     "userAgent" TEXT;

-- AlterTable
ALTER TABLE "Grant" ADD COLUMN     "breakGlass" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "reviewComment" TEXT,
ADD COLUMN     "reviewedAt" TIMESTAMP(3),
ADD COLUMN     "reviewedById" TEXT;

-- CreateTable
CREATE TABLE "SecurityAlert" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "count" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SecurityAlert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SecurityAlert_kind_subject_createdAt_idx" ON "SecurityAlert"("kind", "subject", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "SecurityAlert_kind_subject_windowStart_key" ON "SecurityAlert"("kind", "subject", "windowStart");

-- CreateIndex
CREATE INDEX "AccessRequest_requesterId_createdAt_idx" ON "AccessRequest"("requesterId", "createdAt");

-- CreateIndex
CREATE INDEX "Grant_breakGlass_reviewedAt_idx" ON "Grant"("breakGlass", "reviewedAt");

-- AddForeignKey
ALTER TABLE "Grant" ADD CONSTRAINT "Grant_reviewedById_fkey" FOREIGN KEY ("reviewedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

