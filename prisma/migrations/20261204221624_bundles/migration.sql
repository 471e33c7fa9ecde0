-- AlterEnum
ALTER TYPE "ChallengePurpose" ADD VALUE 'DECIDE_SET';

-- DropIndex
DROP INDEX "Approval_challengeId_key";

-- AlterTable
ALTER TABLE "AccessRequest" ADD COLUMN     "submissionId" TEXT;

-- CreateTable
CREATE TABLE "Bundle" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Bundle_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BundleItem" (
    "id" TEXT NOT NULL,
    "bundleId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "policyId" TEXT NOT NULL,
    "permission" TEXT NOT NULL,

    CONSTRAINT "BundleItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BundleSubmission" (
    "id" TEXT NOT NULL,
    "bundleId" TEXT,
    "bundleName" TEXT NOT NULL,
    "requesterId" TEXT NOT NULL,
    "justification" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BundleSubmission_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Bundle_name_key" ON "Bundle"("name");

-- CreateIndex
CREATE INDEX "BundleItem_policyId_idx" ON "BundleItem"("policyId");

-- CreateIndex
CREATE UNIQUE INDEX "BundleItem_bundleId_position_key" ON "BundleItem"("bundleId", "position");

-- CreateIndex
CREATE INDEX "BundleSubmission_requesterId_createdAt_idx" ON "BundleSubmission"("requesterId", "createdAt");

-- CreateIndex
CREATE INDEX "AccessRequest_submissionId_idx" ON "AccessRequest"("submissionId");

-- CreateIndex
CREATE INDEX "Approval_challengeId_idx" ON "Approval"("challengeId");

-- AddForeignKey
ALTER TABLE "AccessRequest" ADD CONSTRAINT "AccessRequest_submissionId_fkey" FOREIGN KEY ("submissionId") REFERENCES "BundleSubmission"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BundleItem" ADD CONSTRAINT "BundleItem_bundleId_fkey" FOREIGN KEY ("bundleId") REFERENCES "Bundle"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BundleItem" ADD CONSTRAINT "BundleItem_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "AccessPolicy"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BundleSubmission" ADD CONSTRAINT "BundleSubmission_bundleId_fkey" FOREIGN KEY ("bundleId") REFERENCES "Bundle"("id") ON DELETE SET NULL ON UPDATE CASCADE;

