-- AlterEnum
ALTER TYPE "ActorType" ADD VALUE 'DIRECTORY';

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "directoryId" TEXT,
ADD COLUMN     "scimAttributes" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "scimExternalId" TEXT,
ADD COLUMN     "scimUserName" TEXT,
ADD COLUMN     "scimVersion" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "DirectoryConnection" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "linkClaim" TEXT NOT NULL DEFAULT 'sub',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdById" TEXT,

    CONSTRAINT "DirectoryConnection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DirectoryToken" (
    "id" TEXT NOT NULL,
    "connectionId" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "hint" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdById" TEXT,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "DirectoryToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DirectoryGroup" (
    "id" TEXT NOT NULL,
    "connectionId" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "externalId" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DirectoryGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DirectoryGroupMember" (
    "groupId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,

    CONSTRAINT "DirectoryGroupMember_pkey" PRIMARY KEY ("groupId","userId")
);

-- CreateIndex
CREATE UNIQUE INDEX "DirectoryConnection_issuer_key" ON "DirectoryConnection"("issuer");

-- CreateIndex
CREATE UNIQUE INDEX "DirectoryToken_hash_key" ON "DirectoryToken"("hash");

-- CreateIndex
CREATE INDEX "DirectoryToken_connectionId_idx" ON "DirectoryToken"("connectionId");

-- CreateIndex
CREATE UNIQUE INDEX "DirectoryGroup_connectionId_displayName_key" ON "DirectoryGroup"("connectionId", "displayName");

-- CreateIndex
CREATE INDEX "DirectoryGroupMember_userId_idx" ON "DirectoryGroupMember"("userId");

-- CreateIndex
CREATE INDEX "User_directoryId_scimExternalId_idx" ON "User"("directoryId", "scimExternalId");

-- CreateIndex
CREATE UNIQUE INDEX "User_directoryId_scimUserName_key" ON "User"("directoryId", "scimUserName");

-- AddForeignKey
ALTER TABLE "User" ADD CONSTRAINT "User_directoryId_fkey" FOREIGN KEY ("directoryId") REFERENCES "DirectoryConnection"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DirectoryToken" ADD CONSTRAINT "DirectoryToken_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "DirectoryConnection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DirectoryGroup" ADD CONSTRAINT "DirectoryGroup_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "DirectoryConnection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DirectoryGroupMember" ADD CONSTRAINT "DirectoryGroupMember_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "DirectoryGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DirectoryGroupMember" ADD CONSTRAINT "DirectoryGroupMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

