/**
 * Creating and changing SCIM Groups. A membership change rewrites the members' User.groups in
 * the same transaction (sync-groups.ts), so eligibility, approver rights and roles follow at
 * once; one audit event per change names who joined and who left.
 */
import { appendAuditEvent } from "../audit";
import { db, type Db, Prisma } from "../db";
import type { TDirectoryActor, TScimContext } from "./authenticate";
import { directoryEvent } from "./directory-event";
import { badRequest, ScimError } from "./errors";
import { loadScimGroup, toScimGroup, type TScimGroupRow } from "./groups";
import { applyPatch } from "./patch";
import { parseResource, type TScimGroupInput, ZScimGroup } from "./schemas";
import { syncUserGroups } from "./sync-groups";
import { assertVersion } from "./users";

type TWriteOptions = { actor: TDirectoryActor; context: TScimContext };

const conflictOf = (error: unknown): never => {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
    throw new ScimError(409, "A group with that displayName already exists.", "uniqueness");
  throw error;
};

/** The member ids, each a person of this connection; an unknown id is the caller's mistake. */
const memberIds = async (tx: Db, actor: TDirectoryActor, input: TScimGroupInput): Promise<string[]> => {
  const ids = [...new Set((input.members ?? []).map((member) => member.value))];
  if (ids.length === 0) return [];
  const found = await tx.user.findMany({
    where: { id: { in: ids }, directoryId: actor.connectionId },
    select: { id: true },
  });
  if (found.length !== ids.length) {
    const known = new Set(found.map((user) => user.id));
    const missing = ids.find((id) => !known.has(id)) ?? "";
    throw badRequest("invalidValue", `members: no user ${missing.slice(0, 64)} in this directory.`);
  }
  return ids;
};

export const createScimGroup = async ({ actor, context, body }: TWriteOptions & { body: unknown }) => {
  const input = parseResource(ZScimGroup, body);
  return db
    .$transaction(
      async (tx) => {
        const members = await memberIds(tx, actor, input);
        const group = await tx.directoryGroup.create({
          data: {
            connectionId: actor.connectionId,
            displayName: input.displayName,
            externalId: input.externalId ?? null,
            members: { create: members.map((userId) => ({ userId })) },
          },
          select: { id: true },
        });
        await syncUserGroups(tx, members);
        await appendAuditEvent(
          tx,
          directoryEvent(actor, "directory.group.create", { type: "directory_group", id: group.id }, context, {
            displayName: input.displayName,
            added: members,
          }),
        );
        return toScimGroup(await loadScimGroup(tx, actor, group.id));
      },
      { timeout: 30_000 },
    )
    .catch(conflictOf);
};

const writeGroup = async (
  tx: Db,
  options: TWriteOptions & { group: TScimGroupRow; input: TScimGroupInput; operation: string },
) => {
  const { actor, context, group, input } = options;
  const members = await memberIds(tx, actor, input);
  const before = group.members.map(({ user }) => user.id);
  const added = members.filter((id) => !before.includes(id));
  const removed = before.filter((id) => !members.includes(id));
  const renamed = input.displayName !== group.displayName;
  await tx.directoryGroup.update({
    where: { id: group.id },
    data: { displayName: input.displayName, externalId: input.externalId ?? null, version: { increment: 1 } },
  });
  if (removed.length > 0)
    await tx.directoryGroupMember.deleteMany({ where: { groupId: group.id, userId: { in: removed } } });
  if (added.length > 0)
    await tx.directoryGroupMember.createMany({ data: added.map((userId) => ({ groupId: group.id, userId })) });
  // A rename changes every member's group names; a membership change only those who moved.
  await syncUserGroups(tx, renamed ? [...members, ...removed] : [...added, ...removed]);
  await appendAuditEvent(
    tx,
    directoryEvent(actor, `directory.group.${options.operation}`, { type: "directory_group", id: group.id }, context, {
      displayName: input.displayName,
      ...(renamed ? { previousDisplayName: group.displayName } : {}),
      added,
      removed,
    }),
  );
  return toScimGroup(await loadScimGroup(tx, actor, group.id));
};

type TChangeOptions = TWriteOptions & { id: string; body: unknown; ifMatch: string | null };

const change = (options: TChangeOptions, operation: "replace" | "patch") =>
  db
    .$transaction(
      async (tx) => {
        await tx.$queryRaw`select id from "DirectoryGroup" where id = ${options.id} for update`;
        const group = await loadScimGroup(tx, options.actor, options.id);
        assertVersion(options.ifMatch, group.version);
        const document = operation === "replace" ? options.body : applyPatch(toScimGroup(group), options.body);
        const input = parseResource(ZScimGroup, document);
        return writeGroup(tx, { ...options, group, input, operation });
      },
      { timeout: 30_000 },
    )
    .catch(conflictOf);

export const replaceScimGroup = (options: TChangeOptions) => change(options, "replace");
export const patchScimGroup = (options: TChangeOptions) => change(options, "patch");

export const deleteScimGroup = async (options: TWriteOptions & { id: string; ifMatch: string | null }) => {
  const { actor, context } = options;
  await db.$transaction(
    async (tx) => {
      await tx.$queryRaw`select id from "DirectoryGroup" where id = ${options.id} for update`;
      const group = await loadScimGroup(tx, actor, options.id);
      assertVersion(options.ifMatch, group.version);
      const members = group.members.map(({ user }) => user.id);
      await tx.directoryGroup.delete({ where: { id: group.id } });
      await syncUserGroups(tx, members);
      await appendAuditEvent(
        tx,
        directoryEvent(actor, "directory.group.delete", { type: "directory_group", id: group.id }, context, {
          displayName: group.displayName,
          removed: members,
        }),
      );
    },
    { timeout: 30_000 },
  );
};
