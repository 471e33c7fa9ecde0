/** Reading SCIM Users: one connection's people only, by the scope in every `where`. */
import { getConfig } from "../config";
import { db, type Db, Prisma } from "../db";
import type { TDirectoryActor } from "./authenticate";
import { notFound, ScimError } from "./errors";
import { parseFilter, parsePagination } from "./filter";
import { LIST_SCHEMA, USER_SCHEMA } from "./schemas";

export const SCIM_USER_SELECT = {
  id: true,
  subject: true,
  name: true,
  email: true,
  scimUserName: true,
  scimExternalId: true,
  scimAttributes: true,
  scimVersion: true,
  deactivatedAt: true,
  lastSignInAt: true,
  createdAt: true,
  updatedAt: true,
  directoryGroups: { select: { group: { select: { id: true, displayName: true } } } },
} as const satisfies Prisma.UserSelect;
export type TScimUserRow = Prisma.UserGetPayload<{ select: typeof SCIM_USER_SELECT }>;

export const scimBaseUrl = (): string => `${getConfig().appUrl.replace(/\/$/, "")}/scim/v2`;
export const etagOf = (version: number): string => `W/"${version}"`;

export const toScimUser = (user: TScimUserRow): Record<string, unknown> => {
  const attributes = (user.scimAttributes ?? {}) as Record<string, unknown>;
  return {
    schemas: [USER_SCHEMA],
    id: user.id,
    ...(user.scimExternalId ? { externalId: user.scimExternalId } : {}),
    userName: user.scimUserName,
    active: user.deactivatedAt === null,
    ...attributes,
    groups: user.directoryGroups.map(({ group }) => ({
      value: group.id,
      display: group.displayName,
      $ref: `${scimBaseUrl()}/Groups/${group.id}`,
    })),
    meta: {
      resourceType: "User",
      created: user.createdAt.toISOString(),
      lastModified: user.updatedAt.toISOString(),
      version: etagOf(user.scimVersion),
      location: `${scimBaseUrl()}/Users/${user.id}`,
    },
  };
};

/** The person, if this connection manages them; 404 otherwise (another connection's id included). */
export const loadScimUser = async (tx: Db, actor: TDirectoryActor, id: string): Promise<TScimUserRow> => {
  const user = await tx.user.findFirst({ where: { id, directoryId: actor.connectionId }, select: SCIM_USER_SELECT });
  if (!user) throw notFound("User");
  return user;
};

/** If-Match (RFC 7644 §3.14): a version other than the current one is refused with 412. */
export const assertVersion = (ifMatch: string | null, version: number): void => {
  if (ifMatch === null || ifMatch.trim() === "*") return;
  const wanted = ifMatch.split(",").map((tag) => tag.trim());
  const current = etagOf(version);
  if (!wanted.some((tag) => tag === current || tag === current.slice(2)))
    throw new ScimError(
      412,
      "The resource changed since that version (If-Match does not match its ETag).",
      "invalidVers",
    );
};

export const getScimUser = async (options: { actor: TDirectoryActor; id: string }) =>
  toScimUser(await loadScimUser(db, options.actor, options.id));

const USER_FILTERS = ["userName", "externalId", "displayName", "id"] as const;
const MAX_PAGE = 200;

export const listScimUsers = async (options: { actor: TDirectoryActor; params: URLSearchParams }) => {
  const filter = parseFilter(options.params.get("filter"), USER_FILTERS);
  const { skip, take } = parsePagination(options.params, MAX_PAGE);
  const where: Prisma.UserWhereInput = { directoryId: options.actor.connectionId };
  // userName is case-insensitive (RFC 7643 §4.1.1); externalId is case-exact.
  if (filter?.attribute === "userName") where.scimUserName = { equals: filter.value, mode: "insensitive" };
  if (filter?.attribute === "externalId") where.scimExternalId = filter.value;
  if (filter?.attribute === "displayName") where.name = filter.value;
  if (filter?.attribute === "id") where.id = filter.value;
  const [total, users] = await Promise.all([
    db.user.count({ where }),
    db.user.findMany({ where, select: SCIM_USER_SELECT, orderBy: { id: "asc" }, skip, take }),
  ]);
  return {
    schemas: [LIST_SCHEMA],
    totalResults: total,
    startIndex: skip + 1,
    itemsPerPage: users.length,
    Resources: users.map(toScimUser),
  };
};
