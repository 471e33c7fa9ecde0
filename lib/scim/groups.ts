/** Reading SCIM Groups: one connection's groups only, by the scope in every `where`. */
import { db, type Db, Prisma } from "../db";
import type { TDirectoryActor } from "./authenticate";
import { notFound } from "./errors";
import { parseFilter, parsePagination } from "./filter";
import { GROUP_SCHEMA, LIST_SCHEMA } from "./schemas";
import { etagOf, scimBaseUrl } from "./users";

export const SCIM_GROUP_SELECT = {
  id: true,
  displayName: true,
  externalId: true,
  version: true,
  createdAt: true,
  updatedAt: true,
  members: { select: { user: { select: { id: true, name: true } } }, orderBy: { userId: "asc" } },
} as const satisfies Prisma.DirectoryGroupSelect;
export type TScimGroupRow = Prisma.DirectoryGroupGetPayload<{ select: typeof SCIM_GROUP_SELECT }>;

export const toScimGroup = (group: TScimGroupRow, options: { members?: boolean } = {}): Record<string, unknown> => ({
  schemas: [GROUP_SCHEMA],
  id: group.id,
  displayName: group.displayName,
  ...(group.externalId ? { externalId: group.externalId } : {}),
  ...(options.members === false
    ? {}
    : {
        members: group.members.map(({ user }) => ({
          value: user.id,
          display: user.name,
          $ref: `${scimBaseUrl()}/Users/${user.id}`,
        })),
      }),
  meta: {
    resourceType: "Group",
    created: group.createdAt.toISOString(),
    lastModified: group.updatedAt.toISOString(),
    version: etagOf(group.version),
    location: `${scimBaseUrl()}/Groups/${group.id}`,
  },
});

export const loadScimGroup = async (tx: Db, actor: TDirectoryActor, id: string): Promise<TScimGroupRow> => {
  const group = await tx.directoryGroup.findFirst({
    where: { id, connectionId: actor.connectionId },
    select: SCIM_GROUP_SELECT,
  });
  if (!group) throw notFound("Group");
  return group;
};

/** `excludedAttributes=members` (Entra ID asks so when it only checks that a group exists). */
const withMembers = (params: URLSearchParams): boolean =>
  !(params.get("excludedAttributes") ?? "").split(",").some((name) => name.trim().toLowerCase() === "members");

export const getScimGroup = async (options: { actor: TDirectoryActor; id: string; params: URLSearchParams }) =>
  toScimGroup(await loadScimGroup(db, options.actor, options.id), { members: withMembers(options.params) });

const GROUP_FILTERS = ["displayName", "externalId", "id"] as const;
const MAX_PAGE = 200;

export const listScimGroups = async (options: { actor: TDirectoryActor; params: URLSearchParams }) => {
  const filter = parseFilter(options.params.get("filter"), GROUP_FILTERS);
  const { skip, take } = parsePagination(options.params, MAX_PAGE);
  const where: Prisma.DirectoryGroupWhereInput = { connectionId: options.actor.connectionId };
  if (filter?.attribute === "displayName") where.displayName = filter.value;
  if (filter?.attribute === "externalId") where.externalId = filter.value;
  if (filter?.attribute === "id") where.id = filter.value;
  const [total, groups] = await Promise.all([
    db.directoryGroup.count({ where }),
    db.directoryGroup.findMany({ where, select: SCIM_GROUP_SELECT, orderBy: { id: "asc" }, skip, take }),
  ]);
  const members = withMembers(options.params);
  return {
    schemas: [LIST_SCHEMA],
    totalResults: total,
    startIndex: skip + 1,
    itemsPerPage: groups.length,
    Resources: groups.map((group) => toScimGroup(group, { members })),
  };
};
