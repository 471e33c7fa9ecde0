-- AlterTable
ALTER TABLE "User" ALTER COLUMN "email" DROP NOT NULL;

-- Every stored address was taken from the ID token without asking whether the IdP verified it
-- (docs/decisions/0027-identity-by-issuer-and-subject.md), so none is trusted. The verified
-- address of each person comes back at their next sign-in, and subject ids work at once.
UPDATE "User" SET "email" = NULL;

-- CreateIndex
CREATE UNIQUE INDEX "User_issuer_email_key" ON "User"("issuer", "email");
