-- CreateTable
CREATE TABLE "SshCertificate" (
    "id" TEXT NOT NULL,
    "serial" BIGSERIAL NOT NULL,
    "connectorId" TEXT NOT NULL,
    "resourceKey" TEXT NOT NULL,
    "grantId" TEXT NOT NULL,
    "caPublicKey" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "principals" TEXT[],
    "publicKey" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "validAfter" TIMESTAMP(3) NOT NULL,
    "validBefore" TIMESTAMP(3) NOT NULL,
    "issuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "SshCertificate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SshCertificate_serial_key" ON "SshCertificate"("serial");

-- CreateIndex
CREATE INDEX "SshCertificate_connectorId_revokedAt_validBefore_idx" ON "SshCertificate"("connectorId", "revokedAt", "validBefore");

-- CreateIndex
CREATE INDEX "SshCertificate_resourceKey_revokedAt_validBefore_idx" ON "SshCertificate"("resourceKey", "revokedAt", "validBefore");

-- CreateIndex
CREATE INDEX "SshCertificate_grantId_idx" ON "SshCertificate"("grantId");

