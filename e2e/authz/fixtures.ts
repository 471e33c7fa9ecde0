/**
 * The authorization matrix's world: one signed-in session per role (through the IdP, once),
 * a deactivated person's old cookie, a bearer token per service scope, and objects that
 * belong to the engineer ("own") and to Owen Other, a person none of the roles is. Everything
 * is created here, on a resource of its own, so the other specs' data is left alone.
 */
import { randomUUID } from "node:crypto";
import type { APIRequestContext, Browser, BrowserContext } from "@playwright/test";
import { request as playwrightRequest } from "@playwright/test";
import { getConfig } from "../../lib/config";
import { db } from "../../lib/db";
import { createResourceWithPolicy, createUser } from "../../lib/testing/fixtures";
import { createSoftwareAuthenticator, type TSoftwareAuthenticator } from "../../lib/testing/software-authenticator";
import { APP_URL } from "../support/env";
import { callServerAction, serverAction, type TActionAnswer } from "../support/server-actions";
import { signInAs } from "../support/sign-in";
import { isFormArg, PEOPLE, ROLE_PEOPLE, type TFixtures, type TRole } from "./matrix";

export type TRoleClient = {
  request: APIRequestContext;
  /** The person's user id (people and the deactivated role). */
  userId: string | null;
  /** A service client's id and secret, for the token endpoint. */
  credentials: { clientId: string; clientSecret: string } | null;
  /** The person's passkey (a software authenticator, registered through the actions). */
  authenticator: TSoftwareAuthenticator | null;
};

/** Every passkey the matrix registers or writes carries this name, and is removed afterwards. */
export const MATRIX_PASSKEY = "authz-matrix key";

export type TMatrixWorld = { fx: TFixtures; roles: Record<TRole, TRoleClient>; close: () => Promise<void> };

/** Matrix arguments → what callServerAction sends: `{ form }` placeholders become FormData. */
export const actionArgs = (args: readonly unknown[]): unknown[] =>
  args.map((arg) => {
    if (!isFormArg(arg)) return arg;
    const data = new FormData();
    for (const [name, value] of Object.entries(arg.form))
      for (const item of Array.isArray(value) ? value : [value]) data.append(name, item);
    return data;
  });

export const callAction = (request: APIRequestContext, key: string, args: readonly unknown[]): Promise<TActionAnswer> =>
  callServerAction(request, serverAction(key), actionArgs(args));

const okResult = (answer: TActionAnswer, what: string): Record<string, unknown> => {
  const result = answer.result as Record<string, unknown> | undefined;
  if (answer.status !== 200 || result?.ok !== true)
    throw new Error(`matrix setup: ${what} failed: ${answer.status} ${JSON.stringify(result)}`);
  return result;
};

const signedInContext = async (browser: Browser, name: string): Promise<BrowserContext> => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, name);
  await page.close();
  return context;
};

const userIdOf = async (email: string): Promise<string> =>
  (await db.user.findFirstOrThrow({ where: { email }, select: { id: true } })).id;

export const setUpMatrix = async (browser: Browser): Promise<TMatrixWorld> => {
  const contexts: BrowserContext[] = [];
  const requestContexts: APIRequestContext[] = [];
  const person = async (role: keyof typeof ROLE_PEOPLE): Promise<TRoleClient> => {
    const context = await signedInContext(browser, ROLE_PEOPLE[role].name);
    contexts.push(context);
    return {
      request: context.request,
      userId: await userIdOf(ROLE_PEOPLE[role].email),
      credentials: null,
      authenticator: null,
    };
  };
  await db.passkey.deleteMany({ where: { name: MATRIX_PASSKEY } });
  // A fresh worker (after a failed row) signs the deactivated role's person in again.
  await db.user.updateMany({ where: { email: ROLE_PEOPLE.deactivated.email }, data: { deactivatedAt: null } });
  const people = Object.fromEntries(
    await Promise.all(PEOPLE.map(async (role) => [role, await person(role)] as const)),
  ) as Record<(typeof PEOPLE)[number], TRoleClient>;
  const deactivated = await person("deactivated");
  const admin = people.admin.request;
  const engineerId = people.engineer.userId as string;
  // Each person registers a passkey as the browser would (fresh sign-in: no step-up needed),
  // so the cells that need a confirmation can be exercised to the end.
  for (const role of PEOPLE) {
    const authenticator = createSoftwareAuthenticator({
      origin: new URL(APP_URL).origin,
      rpId: new URL(APP_URL).hostname,
    });
    const started = okResult(
      await callAction(people[role].request, "app/(portal)/passkeys/actions.ts#startAddPasskeyAction", []),
      `starting ${role}'s passkey`,
    );
    const response = authenticator.register(started.registration as Parameters<TSoftwareAuthenticator["register"]>[0]);
    okResult(
      await callAction(people[role].request, "app/(portal)/passkeys/actions.ts#finishAddPasskeyAction", [
        { name: MATRIX_PASSKEY, response },
      ]),
      `adding ${role}'s passkey`,
    );
    people[role].authenticator = authenticator;
  }

  // Objects: a resource of the matrix's own (engineers request, db-approvers approve, break-glass allowed).
  const { resource, policy } = await createResourceWithPolicy({ permissions: ["read", "write", "admin"] });
  const spare = await createResourceWithPolicy({ environment: "staging", permissions: ["read", "write"] });
  await db.accessPolicy.update({ where: { id: spare.policy.id }, data: { name: "spare policy" } });
  const other = await createUser({ name: "Owen Other (authz matrix)" });
  const spareUser = await createUser({ name: "Pat Spare (authz matrix)" });

  const inAnHour = () => new Date(Date.now() + 3_600_000);
  const pendingRequest = async (requesterId: string) =>
    (
      await db.accessRequest.create({
        data: {
          requesterId,
          resourceId: resource.id,
          policyId: policy.id,
          permissions: ["read"],
          justification: "Authorization matrix fixture",
          durationMinutes: 30,
          decideBy: inAnHour(),
        },
        select: { id: true },
      })
    ).id;
  /** An approved request and its grant, active now for an hour (rows only: no jobs, no audit). */
  const activeGrant = async (subjectId: string, permissions: string[], breakGlass = false) => {
    const now = new Date();
    const request = await db.accessRequest.create({
      data: {
        requesterId: subjectId,
        resourceId: resource.id,
        policyId: policy.id,
        permissions,
        justification: "Authorization matrix fixture",
        durationMinutes: 60,
        status: "APPROVED",
        breakGlass,
        decideBy: now,
        decidedAt: now,
      },
    });
    const grant = await db.grant.create({
      data: {
        requestId: request.id,
        subjectId,
        resourceId: resource.id,
        permissions,
        startsAt: new Date(now.getTime() - 60_000),
        expiresAt: inAnHour(),
        breakGlass,
      },
    });
    return grant.id;
  };
  const passkey = async (userId: string) =>
    (
      await db.passkey.create({
        data: {
          userId,
          credentialId: `authz-matrix-${randomUUID()}`,
          publicKey: Buffer.from("not a key"),
          deviceType: "singleDevice",
          transports: ["internal"],
          name: MATRIX_PASSKEY,
        },
        select: { id: true },
      })
    ).id;

  const requests = {
    otherPending: await pendingRequest(other.id),
    ownPending: await pendingRequest(engineerId),
    // Bob is an engineer and a db-approver: a request he made on a policy his group approves.
    approverOwnPending: await pendingRequest(people.approver.userId as string),
  };
  const grants = {
    otherActive: await activeGrant(other.id, ["read"]),
    otherBreakGlass: await activeGrant(other.id, ["write"], true),
    ownToExtend: await activeGrant(engineerId, ["read"]),
    ownToRevoke: await activeGrant(engineerId, ["write"]),
  };
  const own = await db.passkey.findFirstOrThrow({
    where: { userId: engineerId, name: MATRIX_PASSKEY },
    orderBy: { createdAt: "desc" },
    select: { id: true },
  });
  const passkeys = { other: await passkey(other.id), own: own.id };
  const notification = await db.notification.create({
    data: { userId: other.id, kind: "authz.matrix", title: "Owen's notice", body: "For Owen only." },
    select: { id: true },
  });
  // Each person's own notice, so the notifications page is seen showing theirs and not Owen's.
  for (const role of PEOPLE)
    await db.notification.create({
      data: {
        userId: people[role].userId as string,
        kind: "authz.matrix",
        title: `Notice for the ${role}`,
        body: `For the ${role} only.`,
      },
    });

  // Through the administrator's actions: secrets are hashed and encrypted by the app's own keys.
  const client = async (name: string, scope: string) => {
    const answer = await callAction(admin, "app/(portal)/admin/services/actions.ts#createServiceClientAction", [
      null,
      { form: { name: `authz-matrix-${name}-${randomUUID().slice(0, 8)}`, scopes: scope, resourceKeys: "" } },
    ]);
    const result = okResult(answer, `creating service client ${name}`);
    return { clientId: String(result.clientId), clientSecret: String(result.secret) };
  };
  const checkClient = await client("check", "access:check");
  const grantsClient = await client("grants", "grants:read");
  const services = {
    toRotate: (await client("rotate", "access:check")).clientId,
    toDisable: (await client("disable", "access:check")).clientId,
  };
  okResult(
    await callAction(admin, "app/(portal)/admin/directory/actions.ts#createDirectoryConnectionAction", [
      null,
      { form: { name: "authz matrix directory", issuer: `https://authz-${randomUUID().slice(0, 8)}.example.com` } },
    ]),
    "creating a directory connection",
  );
  const connection = await db.directoryConnection.findFirstOrThrow({
    where: { name: "authz matrix directory" },
    orderBy: { createdAt: "desc" },
    select: { id: true, tokens: { select: { id: true } } },
  });
  const directory = { connectionId: connection.id, toRevoke: connection.tokens[0]?.id ?? "" };
  const transmitter = await db.signalTransmitter.create({
    data: {
      name: "authz matrix signals",
      issuer: `https://authz-ssf-${randomUUID().slice(0, 8)}.example.com`,
      jwksUrl: "https://jwks.authz-matrix.invalid/keys",
      audience: "https://portal.example.com",
      subjectIssuer: "https://authz-matrix.example.com",
    },
    select: { id: true },
  });
  okResult(
    await callAction(admin, "app/(portal)/admin/resources/[key]/webhooks/actions.ts#createEndpointAction", [
      null,
      {
        form: {
          resourceKey: resource.key,
          url: "https://hooks.example.com/authz-matrix-fixture",
          events: "grant.activated",
        },
      },
    ]),
    "adding a webhook endpoint",
  );
  const endpoint = await db.webhookEndpoint.findFirstOrThrow({
    where: { resourceId: resource.id },
    select: { id: true },
  });
  // A connector to test and disable: the e2e database itself as a PostgreSQL target (its
  // superuser over trust authentication: Test connection succeeds; nothing is mapped).
  const targetUrl = new URL(getConfig().databaseUrl);
  targetUrl.password = "";
  const connector = await db.connector.create({
    data: {
      // On the spare resource, which holds no grants: nothing is provisioned through it.
      resourceId: spare.resource.id,
      kind: "postgres",
      name: `matrix-${randomUUID().slice(0, 8)}`,
      settings: { adminUrl: targetUrl.toString(), loginRolePattern: "jit_matrix_{grant}" },
      mapping: {},
    },
    select: { id: true },
  });
  // A bundle of the matrix's own (one item on a resource of its own, so no other row's
  // request or grant collides with it), and Owen's submission of it, pending (ADR 0054).
  const bundled = await createResourceWithPolicy({ permissions: ["read"] });
  const bundle = await db.bundle.create({
    data: {
      name: `authz-matrix-${randomUUID().slice(0, 8)}`,
      items: { create: [{ position: 0, policyId: bundled.policy.id, permission: "read" }] },
    },
    select: { id: true },
  });
  const submission = await db.bundleSubmission.create({
    data: { bundleId: bundle.id, bundleName: "authz matrix", requesterId: other.id, justification: "Fixture" },
    select: { id: true },
  });
  const submittedRequest = await db.accessRequest.create({
    data: {
      requesterId: other.id,
      resourceId: bundled.resource.id,
      policyId: bundled.policy.id,
      permissions: ["read"],
      justification: "Fixture",
      durationMinutes: 30,
      decideBy: inAnHour(),
      submissionId: submission.id,
    },
    select: { id: true },
  });
  const bundles = { bundleId: bundle.id, submissionId: submission.id, submittedRequestId: submittedRequest.id };
  // An access review Owen started of the matrix's policy, Sam (security) its one reviewer, Owen's
  // own eligibility its one item (ADR 0058). Not Bob: an open review puts Reviews in his
  // navigation, which the roles suite checks.
  const review = await db.accessReview.create({
    data: {
      name: "Authorization matrix review",
      createdById: other.id,
      reviewerIds: [people.security.userId as string],
      policyIds: [policy.id],
      usageSince: new Date(Date.now() - 90 * 86_400_000),
      deadline: new Date(Date.now() + 7 * 86_400_000),
      items: {
        create: [
          {
            policyId: policy.id,
            resourceKey: resource.key,
            policyName: policy.name,
            subjectId: other.id,
            groups: ["engineers"],
            groupsSource: "sign-in",
            grantsInPeriod: 0,
          },
        ],
      },
    },
    select: { id: true, items: { select: { id: true } } },
  });
  const reviews = { reviewId: review.id, itemId: review.items[0]?.id ?? "" };
  const exported = await admin.get("/admin/policies/export?format=yaml");
  if (exported.status() !== 200) throw new Error(`matrix setup: catalog export answered ${exported.status()}`);

  // The deactivated role: signed in above, now deactivated by the administrator; the cookie stays.
  okResult(
    await callAction(admin, "app/(portal)/admin/actions.ts#setUserActiveAction", [
      null,
      { form: { userId: deactivated.userId as string, active: "false" } },
    ]),
    "deactivating the deactivated role's person",
  );

  const service = async (credentials: { clientId: string; clientSecret: string }): Promise<TRoleClient> => {
    const token = await fetch(`${APP_URL}/api/v1/oauth/token`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    const body = (await token.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`matrix setup: no token: ${token.status} ${JSON.stringify(body)}`);
    const request = await playwrightRequest.newContext({
      baseURL: APP_URL,
      extraHTTPHeaders: { authorization: `Bearer ${body.access_token}` },
    });
    requestContexts.push(request);
    return { request, userId: null, credentials, authenticator: null };
  };
  const anonymous = await playwrightRequest.newContext({ baseURL: APP_URL });
  requestContexts.push(anonymous);

  const roles: Record<TRole, TRoleClient> = {
    anonymous: { request: anonymous, userId: null, credentials: null, authenticator: null },
    ...people,
    deactivated,
    "service:access:check": await service(checkClient),
    "service:grants:read": await service(grantsClient),
  };
  const fx: TFixtures = {
    resourceKey: resource.key,
    policyId: policy.id,
    spareResourceKey: spare.resource.key,
    sparePolicyId: spare.policy.id,
    bundles,
    reviews,
    otherUserId: other.id,
    spareUserId: spareUser.id,
    requests,
    grants,
    passkeys,
    notifications: { other: notification.id },
    services,
    directory,
    signals: { transmitterId: transmitter.id },
    webhookEndpointId: endpoint.id,
    connectorId: connector.id,
    catalogYaml: await exported.text(),
  };
  const close = async () => {
    // Demo people keep no passkey, live grant or pending request of the matrix's: other specs
    // register their first passkey and read their own "My access".
    await db.passkey.deleteMany({ where: { name: MATRIX_PASSKEY } });
    const resourceId = { in: [resource.id, spare.resource.id] };
    await db.grant.updateMany({
      where: { resourceId, revokedAt: null },
      data: { revokedAt: new Date(), revokeReason: "authz matrix: fixtures ended" },
    });
    await db.accessRequest.updateMany({
      where: { resourceId, status: "PENDING" },
      data: { status: "CANCELLED", decidedAt: new Date() },
    });
    for (const request of requestContexts) await request.dispose();
    for (const context of contexts) await context.close();
  };
  return { fx, roles, close };
};
