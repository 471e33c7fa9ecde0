/**
 * Creating and changing SCIM Users. Each call is one transaction with its audit events, the
 * directory connection as actor. A person is keyed as at sign-in, by (issuer, subject): the
 * connection's issuer and the externalId (else the userName), which is what the IdP puts in the
 * ID token's `sub` when mapped as docs/identity-providers.md says; never by e-mail (ADR 0039).
 * `active: false` takes the path of an administrator's Deactivate (lib/access/end-access-of-user.ts).
 */
import { endAccessOfUser } from "../access/end-access-of-user";
import { appendAuditEvent } from "../audit";
import { db, type Db, Prisma } from "../db";
import { announceAfter } from "../services/feed";
import type { TDirectoryActor, TScimContext } from "./authenticate";
import { directoryAccessActor, directoryEvent } from "./directory-event";
import { ScimError } from "./errors";
import { applyPatch } from "./patch";
import { displayNameOf, parseResource, primaryEmail, type TScimUserInput, ZScimUser } from "./schemas";
import { syncUserGroups } from "./sync-groups";
import { assertVersion, loadScimUser, toScimUser, type TScimUserRow } from "./users";

type TWriteOptions = { actor: TDirectoryActor; context: TScimContext };

const uniqueness = (detail: string) => new ScimError(409, detail, "uniqueness");

const isUniqueViolation = (error: unknown): error is Prisma.PrismaClientKnownRequestError =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";

const conflictOf = (error: unknown): never => {
  if (!isUniqueViolation(error)) throw error;
  const target = JSON.stringify(error.meta ?? {});
  if (target.includes("email")) throw uniqueness("Another person of this IdP already has that e-mail address.");
  if (target.includes("subject")) throw uniqueness("Another person already has that externalId.");
  throw uniqueness("A user with that userName already exists.");
};

const subjectOf = (input: TScimUserInput): string => input.externalId?.trim() || input.userName.trim();

const storedAttributes = (input: TScimUserInput) => ({
  ...(input.displayName ? { displayName: input.displayName } : {}),
  ...(input.name && Object.keys(input.name).length > 0 ? { name: input.name } : {}),
  ...(input.emails && input.emails.length > 0 ? { emails: input.emails } : {}),
});

/** Deactivation (sessions, requests, grants end now) or reactivation (sign-in allowed again, nothing granted). */
const applyActive = async (
  tx: Db,
  options: TWriteOptions & { userId: string; active: boolean; wasActive: boolean },
): Promise<void> => {
  const { actor, context, userId, active, wasActive } = options;
  if (active === wasActive) return;
  const now = new Date();
  await tx.user.update({
    where: { id: userId },
    data: active ? { deactivatedAt: null, deactivatedById: null } : { deactivatedAt: now, deactivatedById: null },
  });
  const revoked = active
    ? { count: 0 }
    : await tx.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
  const ended = active
    ? null
    : await endAccessOfUser(tx, { userId, actor: directoryAccessActor(actor), now, audit: context });
  await appendAuditEvent(
    tx,
    directoryEvent(actor, active ? "user.reactivate" : "user.deactivate", { type: "user", id: userId }, context, {
      sessionsRevoked: revoked.count,
      ...ended,
    }),
  );
};

const lockUser = async (tx: Db, id: string) => {
  await tx.$queryRaw`select id from "User" where id = ${id} for update`;
};

/** POST /Users. A person who already signed in with that (issuer, subject) is linked, not duplicated. */
export const createScimUser = async ({ actor, context, body }: TWriteOptions & { body: unknown }) => {
  const input = parseResource(ZScimUser, body);
  const subject = subjectOf(input);
  const email = primaryEmail(input.emails);
  const active = input.active ?? true;
  return db
    .$transaction(
      async (tx) => {
        const taken = await tx.user.findFirst({
          where: { directoryId: actor.connectionId, scimUserName: { equals: input.userName, mode: "insensitive" } },
          select: { id: true },
        });
        if (taken) throw uniqueness("A user with that userName already exists.");
        const existing = await tx.user.findUnique({
          where: { issuer_subject: { issuer: actor.issuer, subject } },
          select: { id: true, directoryId: true, deactivatedAt: true },
        });
        if (existing?.directoryId) throw uniqueness("A user with that externalId already exists.");
        const data = {
          name: displayNameOf(input),
          ...(email ? { email } : {}),
          directoryId: actor.connectionId,
          scimUserName: input.userName,
          scimExternalId: input.externalId ?? null,
          scimAttributes: storedAttributes(input),
          groups: [],
        };
        let id: string;
        if (existing) {
          await lockUser(tx, existing.id);
          await tx.user.update({ where: { id: existing.id }, data: { ...data, scimVersion: { increment: 1 } } });
          id = existing.id;
        } else {
          const created = await tx.user.create({
            data: { ...data, issuer: actor.issuer, subject, scimVersion: 1 },
            select: { id: true },
          });
          id = created.id;
        }
        await appendAuditEvent(
          tx,
          directoryEvent(
            actor,
            existing ? "directory.user.link" : "directory.user.create",
            { type: "user", id },
            context,
            {
              userName: input.userName,
              externalId: input.externalId ?? null,
              subject,
              email,
            },
          ),
        );
        await applyActive(tx, {
          actor,
          context,
          userId: id,
          active,
          wasActive: existing ? !existing.deactivatedAt : true,
        });
        return toScimUser(await loadScimUser(tx, actor, id));
      },
      { timeout: 30_000 },
    )
    .then(announceAfter)
    .catch(conflictOf);
};

/** The writes a PUT and a PATCH share: the whole resource as the directory now states it. */
const writeUser = async (
  tx: Db,
  options: TWriteOptions & { user: TScimUserRow; input: TScimUserInput; operation: string },
) => {
  const { actor, context, user, input } = options;
  // Until the first sign-in the person is keyed by what the directory says; after it, by the
  // ID token's subject, which a new externalId must not re-key (ADR 0039).
  if (user.lastSignInAt && (input.externalId ?? null) !== user.scimExternalId)
    throw new ScimError(400, "externalId cannot change after the person's first sign-in.", "mutability");
  const subject = user.lastSignInAt ? user.subject : subjectOf(input);
  const email = primaryEmail(input.emails);
  await tx.user.update({
    where: { id: user.id },
    data: {
      name: displayNameOf(input),
      subject,
      ...(email ? { email } : {}),
      scimUserName: input.userName,
      scimExternalId: input.externalId ?? null,
      scimAttributes: storedAttributes(input),
      scimVersion: { increment: 1 },
    },
  });
  await appendAuditEvent(
    tx,
    directoryEvent(actor, `directory.user.${options.operation}`, { type: "user", id: user.id }, context, {
      userName: input.userName,
      externalId: input.externalId ?? null,
      ...(user.scimUserName !== input.userName ? { previousUserName: user.scimUserName } : {}),
      active: input.active ?? true,
    }),
  );
  await applyActive(tx, {
    actor,
    context,
    userId: user.id,
    active: input.active ?? true,
    wasActive: user.deactivatedAt === null,
  });
  return toScimUser(await loadScimUser(tx, actor, user.id));
};

type TChangeOptions = TWriteOptions & { id: string; body: unknown; ifMatch: string | null };

const change = (options: TChangeOptions, operation: "replace" | "patch") =>
  db
    .$transaction(
      async (tx) => {
        await lockUser(tx, options.id);
        const user = await loadScimUser(tx, options.actor, options.id);
        assertVersion(options.ifMatch, user.scimVersion);
        const document = operation === "replace" ? options.body : applyPatch(toScimUser(user), options.body);
        const input = parseResource(ZScimUser, document);
        return writeUser(tx, { ...options, user, input, operation });
      },
      { timeout: 30_000 },
    )
    .then(announceAfter)
    .catch(conflictOf);

/** PUT /Users/{id}: the resource replaced; an omitted `active` means active (RFC 7643 default). */
export const replaceScimUser = (options: TChangeOptions) => change(options, "replace");

/** PATCH /Users/{id}: the operations applied to the current resource, then stored as a PUT would be. */
export const patchScimUser = (options: TChangeOptions) => change(options, "patch");

/**
 * DELETE /Users/{id}: the person is deactivated as by Deactivate and leaves the directory (no
 * longer found here, their directory groups gone). The row stays: grants and audit name it.
 */
export const deleteScimUser = async (options: TWriteOptions & { id: string; ifMatch: string | null }) => {
  const { actor, context } = options;
  await db
    .$transaction(
      async (tx) => {
        await lockUser(tx, options.id);
        const user = await loadScimUser(tx, actor, options.id);
        assertVersion(options.ifMatch, user.scimVersion);
        await applyActive(tx, {
          actor,
          context,
          userId: user.id,
          active: false,
          wasActive: user.deactivatedAt === null,
        });
        await tx.directoryGroupMember.deleteMany({ where: { userId: user.id } });
        await syncUserGroups(tx, [user.id]);
        await tx.user.update({
          where: { id: user.id },
          data: { directoryId: null, scimUserName: null, scimExternalId: null, scimVersion: { increment: 1 } },
        });
        await appendAuditEvent(
          tx,
          directoryEvent(actor, "directory.user.delete", { type: "user", id: user.id }, context, {
            userName: user.scimUserName,
          }),
        );
      },
      { timeout: 30_000 },
    )
    .then(announceAfter);
};
