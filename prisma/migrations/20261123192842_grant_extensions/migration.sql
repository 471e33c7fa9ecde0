-- AlterTable
ALTER TABLE "AccessRequest" ADD COLUMN     "extendsGrantId" TEXT;

-- CreateIndex
CREATE INDEX "AccessRequest_extendsGrantId_idx" ON "AccessRequest"("extendsGrantId");

-- AddForeignKey
ALTER TABLE "AccessRequest" ADD CONSTRAINT "AccessRequest_extendsGrantId_fkey" FOREIGN KEY ("extendsGrantId") REFERENCES "Grant"("id") ON DELETE SET NULL ON UPDATE CASCADE;

