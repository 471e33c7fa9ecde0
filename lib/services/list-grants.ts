/**
 * GET /api/v1/grants: grants of any status from PostgreSQL (history is not in the replica),
 * keyset-paginated on the id (UUIDv7, time-ordered): a page never repeats or skips a row
 * because rows are added meanwhile. The cursor is opaque to clients.
 */
import { activeGrantWhere, grantStatus } from "../access/grant-status";
import { subjectIdOf } from "../auth/subject-id";
import { db, type Prisma } from "../db";
import { AppError } from "../errors";
import { subjectUserWhere } from "./resolve-subject";
import type { TListGrantsQuery } from "./schemas";

const encodeCursor = (id: string): string => Buffer.from(`g1:${id}`, "utf8").toString("base64url");

const decodeCursor = (cursor: string): string => {
  const decoded = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^g1:([0-9a-f-]{36})$/.exec(decoded);
  if (!match?.[1])
    throw new AppError("INVALID_INPUT", "Invalid cursor: pass nextCursor from the previous page unchanged.", {
      cursor: "invalid",
    });
  return match[1];
};

const statusWhere = (status: TListGrantsQuery["status"], now: Date): Prisma.GrantWhereInput => {
  const notRevoked = { OR: [{ revokedAt: null }, { revokedAt: { gt: now } }] };
  switch (status) {
    case "active":
      return activeGrantWhere(now);
    case "scheduled":
      return { startsAt: { gt: now }, expiresAt: { gt: now }, ...notRevoked };
    case "expired":
      return { expiresAt: { lte: now }, ...notRevoked };
    case "revoked":
      return { revokedAt: { lte: now } };
    case "all":
      return {};
  }
};

export const listGrants = async (options: {
  query: TListGrantsQuery;
  allowedResourceKeys: readonly string[];
  now?: Date;
}) => {
  const { query, allowedResourceKeys } = options;
  const now = options.now ?? new Date();
  const and: Prisma.GrantWhereInput[] = [statusWhere(query.status, now)];
  if (query.cursor) and.push({ id: { gt: decodeCursor(query.cursor) } });
  if (query.subject) {
    // Only verified addresses are stored, so an unverified one matches nobody.
    and.push({ subject: subjectUserWhere(query.subject) });
  }
  if (query.resource) and.push({ resource: { key: query.resource } });
  if (allowedResourceKeys.length > 0) and.push({ resource: { key: { in: [...allowedResourceKeys] } } });
  const rows = await db.grant.findMany({
    where: { AND: and },
    orderBy: { id: "asc" },
    take: query.limit + 1,
    select: {
      id: true,
      permissions: true,
      startsAt: true,
      expiresAt: true,
      revokedAt: true,
      requestId: true,
      subject: { select: { id: true, email: true, issuer: true, subject: true } },
      resource: { select: { key: true } },
    },
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    grants: page.map((row) => ({
      id: row.id,
      subject: { id: row.subject.id, subjectId: subjectIdOf(row.subject), email: row.subject.email },
      resource: row.resource.key,
      permissions: row.permissions,
      startsAt: row.startsAt.toISOString(),
      expiresAt: row.expiresAt.toISOString(),
      status: grantStatus(row, now),
      requestId: row.requestId,
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
  };
};
