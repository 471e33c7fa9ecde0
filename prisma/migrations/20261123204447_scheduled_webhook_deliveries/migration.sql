-- AlterTable
ALTER TABLE "WebhookDelivery" ADD COLUMN     "cancelReason" TEXT,
ADD COLUMN     "cancelledAt" TIMESTAMP(3),
ADD COLUMN     "sendAfter" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "WebhookDelivery_grantId_idx" ON "WebhookDelivery"("grantId");

