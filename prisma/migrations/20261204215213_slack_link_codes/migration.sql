-- CreateTable
CREATE TABLE "SlackLinkCode" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "slackUserId" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SlackLinkCode_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SlackLinkCode_userId_createdAt_idx" ON "SlackLinkCode"("userId", "createdAt");

