-- CreateEnum
CREATE TYPE "DeviceNonCompliantAction" AS ENUM ('SUSPEND', 'AUDIT');

-- AlterEnum
ALTER TYPE "ActorType" ADD VALUE 'TRANSMITTER';

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "deviceSuspendedAt" TIMESTAMP(3),
ADD COLUMN     "signInRequiredAfter" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "SignalTransmitter" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "jwksUrl" TEXT NOT NULL,
    "audience" TEXT NOT NULL,
    "subjectIssuer" TEXT NOT NULL,
    "onDeviceNonCompliant" "DeviceNonCompliantAction" NOT NULL DEFAULT 'SUSPEND',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdById" TEXT,
    "disabledAt" TIMESTAMP(3),
    "lastEventAt" TIMESTAMP(3),

    CONSTRAINT "SignalTransmitter_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SignalEventJti" (
    "transmitterId" TEXT NOT NULL,
    "jti" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignalEventJti_pkey" PRIMARY KEY ("transmitterId","jti")
);

-- CreateIndex
CREATE UNIQUE INDEX "SignalTransmitter_issuer_key" ON "SignalTransmitter"("issuer");

-- CreateIndex
CREATE INDEX "SignalEventJti_transmitterId_receivedAt_idx" ON "SignalEventJti"("transmitterId", "receivedAt");

-- AddForeignKey
ALTER TABLE "SignalEventJti" ADD CONSTRAINT "SignalEventJti_transmitterId_fkey" FOREIGN KEY ("transmitterId") REFERENCES "SignalTransmitter"("id") ON DELETE CASCADE ON UPDATE CASCADE;

