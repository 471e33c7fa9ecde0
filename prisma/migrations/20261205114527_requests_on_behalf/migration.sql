-- AlterTable
ALTER TABLE "AccessPolicy" ADD COLUMN     "onBehalfOfAllowed" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "AccessRequest" ADD COLUMN     "filedById" TEXT,
ADD COLUMN     "acknowledgedAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "AccessRequest_filedById_idx" ON "AccessRequest"("filedById");

-- AddForeignKey
ALTER TABLE "AccessRequest" ADD CONSTRAINT "AccessRequest_filedById_fkey" FOREIGN KEY ("filedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

