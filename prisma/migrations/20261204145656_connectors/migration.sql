-- CreateTable
CREATE TABLE "Connector" (
    "id" TEXT NOT NULL,
    "resourceId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "settings" JSONB NOT NULL,
    "mapping" JSONB NOT NULL,
    "credentialSealed" TEXT,
    "autoRemoveDrift" BOOLEAN NOT NULL DEFAULT false,
    "lastTestAt" TIMESTAMP(3),
    "lastTestOk" BOOLEAN,
    "lastTestDetail" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "disabledAt" TIMESTAMP(3),

    CONSTRAINT "Connector_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GrantProvisioning" (
    "id" TEXT NOT NULL,
    "grantId" TEXT NOT NULL,
    "connectorId" TEXT NOT NULL,
    "externalRef" TEXT,
    "provisionStartedAt" TIMESTAMP(3),
    "provisionedAt" TIMESTAMP(3),
    "provisionedUntil" TIMESTAMP(3),
    "deprovisionedAt" TIMESTAMP(3),
    "sessionsTerminated" INTEGER,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "lastErrorAt" TIMESTAMP(3),
    "state" JSONB NOT NULL DEFAULT '{}',
    "credentialSealed" TEXT,
    "credentialViewedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GrantProvisioning_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProvisioningEvent" (
    "id" TEXT NOT NULL,
    "grantId" TEXT NOT NULL,
    "connectorId" TEXT,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProvisioningEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DriftFinding" (
    "id" TEXT NOT NULL,
    "connectorId" TEXT NOT NULL,
    "principal" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "resolvedAt" TIMESTAMP(3),
    "resolution" TEXT,
    "openKey" TEXT,

    CONSTRAINT "DriftFinding_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Connector_resourceId_name_key" ON "Connector"("resourceId", "name");

-- CreateIndex
CREATE INDEX "GrantProvisioning_deprovisionedAt_provisionedAt_idx" ON "GrantProvisioning"("deprovisionedAt", "provisionedAt");

-- CreateIndex
CREATE UNIQUE INDEX "GrantProvisioning_grantId_connectorId_key" ON "GrantProvisioning"("grantId", "connectorId");

-- CreateIndex
CREATE INDEX "ProvisioningEvent_grantId_createdAt_idx" ON "ProvisioningEvent"("grantId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "DriftFinding_openKey_key" ON "DriftFinding"("openKey");

-- CreateIndex
CREATE INDEX "DriftFinding_resolvedAt_firstSeenAt_idx" ON "DriftFinding"("resolvedAt", "firstSeenAt");

-- AddForeignKey
ALTER TABLE "Connector" ADD CONSTRAINT "Connector_resourceId_fkey" FOREIGN KEY ("resourceId") REFERENCES "Resource"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GrantProvisioning" ADD CONSTRAINT "GrantProvisioning_grantId_fkey" FOREIGN KEY ("grantId") REFERENCES "Grant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GrantProvisioning" ADD CONSTRAINT "GrantProvisioning_connectorId_fkey" FOREIGN KEY ("connectorId") REFERENCES "Connector"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProvisioningEvent" ADD CONSTRAINT "ProvisioningEvent_grantId_fkey" FOREIGN KEY ("grantId") REFERENCES "Grant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DriftFinding" ADD CONSTRAINT "DriftFinding_connectorId_fkey" FOREIGN KEY ("connectorId") REFERENCES "Connector"("id") ON DELETE CASCADE ON UPDATE CASCADE;

