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

export const createUser = async (options: { groups?: string[]; name?: string } = {}) => {
  const subject = uniqueId("sub");
  return db.user.create({
    data: { issuer: TEST_ISSUER, subject, email: `${subject}@example.com`, name: options.name ?? subject, groups: options.groups ?? ["engineers"] },
  });
};

/** A signed-in person with an open session, as resolveSession would produce. */
export const createActor = async (options: { groups?: string[] } = {}): Promise<TUserActor> => {
  const user = await createUser(options);
  const session = await db.session.create({ data: { userId: user.id, expiresAt: new Date(Date.now() + 3_600_000) } });
  return { kind: "user", userId: user.id, sessionId: session.id, email: user.email, name: user.name, groups: user.groups, roles: rolesForGroups(user.groups) };
};

/** A signed-in person with one registered passkey held by a software authenticator. */
export const createActorWithPasskey = async (options: { groups?: string[] } = {}): Promise<{ actor: TUserActor; authenticator: TSoftwareAuthenticator }> => {
  const actor = await createActor(options);
  const { origin, rpId } = getConfig().webauthn;
  const authenticator = createSoftwareAuthenticator({ origin, rpId });
  await finishPasskeyRegistration({ actor, name: "test key", response: await authenticator.register(await startPasskeyRegistration({ actor })) });
  return { actor, authenticator };
};
