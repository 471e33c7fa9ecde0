/**
 * Helpers for integration tests. They run against the isolated database that the test
 * harness (lib/cli/test.ts) creates for each run; every helper makes rows with unique
 * names so tests never depend on each other's data.
 */
import { randomUUID } from "node:crypto";
import { rolesForGroups, type TUserActor } from "../authz";
import { getConfig } from "../config";
import { db } from "../db";
import { finishPasskeyRegistration, startPasskeyRegistration } from "../webauthn";
import { createSoftwareAuthenticator, type TSoftwareAuthenticator } from "./software-authenticator";

export const uniqueId = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export const TEST_ISSUER = "https://idp.test.example";

/** A person whose IdP verified their e-mail (the usual case), unless `email: null`. */
export const createUser = async <TEmail extends string | null = string>(
  options: { groups?: string[]; name?: string; email?: TEmail } = {},
) => {
  const subject = uniqueId("sub");
  const email = (options.email === undefined ? `${subject}@example.com` : options.email) as TEmail;
  const user = await db.user.create({
    data: {
      issuer: TEST_ISSUER,
      subject,
      email,
      name: options.name ?? subject,
      groups: options.groups ?? ["engineers"],
    },
  });
  return { ...user, email };
};

/** A signed-in person with an open session, as resolveSession would produce. */
export const createActor = async (options: { groups?: string[] } = {}): Promise<TUserActor & { email: string }> => {
  const user = await createUser(options);
  const session = await db.session.create({ data: { userId: user.id, expiresAt: new Date(Date.now() + 3_600_000) } });
  return {
    kind: "user",
    userId: user.id,
    sessionId: session.id,
    email: user.email,
    name: user.name,
    groups: user.groups,
    roles: rolesForGroups(user.groups),
  };
};

/** A signed-in person with one registered passkey held by a software authenticator. */
export const createActorWithPasskey = async (
  options: { groups?: string[] } = {},
): Promise<{ actor: TUserActor; authenticator: TSoftwareAuthenticator }> => {
  const actor = await createActor(options);
  const { origin, rpId } = getConfig().webauthn;
  const authenticator = createSoftwareAuthenticator({ origin, rpId });
  await finishPasskeyRegistration({
    actor,
    name: "test key",
    response: await authenticator.register(await startPasskeyRegistration({ actor })),
  });
  return { actor, authenticator };
};

/**
 * A resource with one policy covering its permissions (rows only: no audit, no jobs).
 * `autoApproveGroups`: those requesters are approved at once for every permission.
 */
export const createResourceWithPolicy = async (
  options: {
    key?: string;
    environment?: string;
    permissions?: string[];
    requesterGroups?: string[];
    approverGroups?: string[];
    autoApproveGroups?: string[];
  } = {},
) => {
  const permissions = options.permissions ?? ["read", "write"];
  const resource = await db.resource.create({
    data: {
      key: options.key ?? uniqueId("res"),
      name: uniqueId("Resource"),
      environment: options.environment ?? "production",
      permissions,
    },
  });
  const policy = await db.accessPolicy.create({
    data: {
      resourceId: resource.id,
      name: "all",
      permissions,
      requesterGroups: options.requesterGroups ?? ["engineers"],
      approverGroups: options.approverGroups ?? ["db-approvers"],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 240,
      autoApproveGroups: options.autoApproveGroups ?? [],
      autoApprovePermissions: options.autoApproveGroups ? permissions : [],
      breakGlassAllowed: true,
      breakGlassMaxMinutes: 30,
    },
  });
  return { resource, policy };
};

/**
 * A decided request and its grant as history shows them, written directly (no audit, no
 * jobs): for tests of reading and reporting, not of the access flow itself.
 */
export const createHistoricGrant = async (options: {
  subjectId: string;
  resourceId: string;
  policyId: string;
  approverIds?: string[];
  justification?: string;
  ticket?: string | null;
  breakGlass?: boolean;
  permissions?: string[];
  startsAt: Date;
  minutes: number;
  revokedAt?: Date | null;
  revokedById?: string | null;
  revokeReason?: string | null;
}) => {
  const requestedAt = new Date(options.startsAt.getTime() - 10 * 60_000);
  const request = await db.accessRequest.create({
    data: {
      requesterId: options.subjectId,
      resourceId: options.resourceId,
      policyId: options.policyId,
      permissions: options.permissions ?? ["read"],
      justification: options.justification ?? "Routine maintenance of the service",
      ticket: options.ticket ?? null,
      durationMinutes: options.minutes,
      status: "APPROVED",
      breakGlass: options.breakGlass ?? false,
      decideBy: options.startsAt,
      decidedAt: options.startsAt,
      createdAt: requestedAt,
    },
  });
  for (const approverId of options.approverIds ?? []) {
    await db.approval.create({
      data: { requestId: request.id, approverId, decision: "APPROVE", createdAt: options.startsAt },
    });
  }
  const grant = await db.grant.create({
    data: {
      requestId: request.id,
      subjectId: options.subjectId,
      resourceId: options.resourceId,
      permissions: options.permissions ?? ["read"],
      startsAt: options.startsAt,
      expiresAt: new Date(options.startsAt.getTime() + options.minutes * 60_000),
      revokedAt: options.revokedAt ?? null,
      revokedById: options.revokedById ?? null,
      revokeReason: options.revokeReason ?? null,
    },
  });
  return { request, grant };
};
