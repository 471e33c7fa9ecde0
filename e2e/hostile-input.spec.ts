/**
 * Hostile input against the running production build: every server action in the build
 * (from its manifest), the portal's route handlers and pages with query parameters, driven by
 * fast-check. Each action gets generated garbage (types, sizes, unicode, SQL and script
 * payloads) and calls shaped like its input with at least one refused field
 * (e2e/support/action-shapes.ts), as an engineer, as an administrator and signed out. Every
 * answer is a refusal with a reason (a 4xx with a JSON reason, or a server action's
 * `{ ok: false, message }`), never a 500; after each refused call the database is unchanged but
 * for the refusal's own audit trail (lib/testing/db-digest.ts). An accepted call fails the test,
 * unless the action takes no input; then only its own tables may change (ADR 0030).
 *
 * Seeds: the commit's, plus every seed that once found a defect (lib/testing/fuzz-seeds.ts,
 * ADR 0031). Replay one: `HOSTILE_SEED=<seed> npm test -- e2e hostile-input`. Explore longer:
 * `npm run fuzz -- --minutes 15`.
 */
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import fc from "fast-check";
import { db, disconnectDb } from "../lib/db";
import { INTERNAL_REFUSAL_PREFIX } from "../lib/errors";
import {
  checkProperty,
  fcOptions,
  fuzzBudget,
  HOSTILE_SEED,
  HOSTILE_STRINGS,
  hostileJson,
  hostileString,
  runSeeds,
} from "../lib/testing/hostile";
import { acceptedChangeProblems, refusalTrailProblems, snapshotDb, type TDbSnapshot } from "../lib/testing/db-digest";
import { ACTION_SHAPES, refusedCallArgs, type TNoInputEffects } from "./support/action-shapes";
import { APP_URL, appEnv } from "./support/env";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { caPublicKeyLine, generateCaPrivateKey } from "../lib/provisioning/ssh/certificate-authority";
import { seal } from "../lib/security/sealed";
import {
  callServerAction,
  formData,
  serverActions,
  type TActionAnswer,
  type TServerAction,
} from "./support/server-actions";
import { signInAs } from "./support/sign-in";

test.describe.configure({ mode: "serial" });
test.afterAll(async () => {
  await disconnectDb();
});
test.beforeAll(() => {
  console.log(`hostile input: seeds ${runSeeds().join(", ")} (HOSTILE_SEED=${HOSTILE_SEED} is this run's own)`);
});

/** Every field name a portal form sends, so generated forms reach past the first check. */
const FIELD_NAMES = [
  "userId",
  "active",
  "queue",
  "jobId",
  "intent",
  "mode",
  "format",
  "source",
  "fileName",
  "file",
  "resourceKey",
  "url",
  "events",
  "endpointId",
  "policyId",
  "key",
  "name",
  "environment",
  "permissions",
  "description",
  "ownerEmail",
  "scopes",
  "resourceKeys",
  "clientId",
  "grantId",
  "minutes",
  "justification",
  "durationMinutes",
  "startAt",
  "tzOffsetMinutes",
  "ticket",
  "from",
  "to",
  "requesterGroups",
  "approverGroups",
  "approvalsRequired",
  "defaultMinutes",
  "maxMinutes",
  "ticketRequired",
  "breakGlassAllowed",
];

const hostileForm = (): fc.Arbitrary<FormData> =>
  fc
    .array(
      fc.tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELD_NAMES) }, { weight: 1, arbitrary: hostileString() }),
        hostileString(),
      ),
      { maxLength: 8 },
    )
    .map((entries) => {
      const form = new FormData();
      for (const [name, value] of entries) form.append(name, value);
      return form;
    });

/** Any value React's encoder can send: plain JSON, hostile strings, Dates, BigInts, Maps, Sets, FormData. */
const hostileArgument = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: hostileJson() },
    { weight: 3, arbitrary: hostileForm() },
    { weight: 1, arbitrary: fc.date() },
    { weight: 1, arbitrary: fc.bigInt() },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, undefined) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(hostileString(), hostileJson(1)), { maxLength: 3 })
        .map((entries) => new Map(entries)),
    },
    { weight: 1, arbitrary: fc.array(hostileString(), { maxLength: 3 }).map((items) => new Set(items)) },
  );

const hostileArgs = (): fc.Arbitrary<unknown[]> =>
  fc.oneof(
    fc.array(hostileArgument(), { maxLength: 3 }),
    // The useActionState shape, with a hostile "previous state".
    fc.tuple(hostileArgument(), hostileForm()),
  );

const assertUnchangedButRefusalTrail = async (before: TDbSnapshot, label: string): Promise<void> => {
  expect(await refusalTrailProblems(before), `${label}: the database changed after a refused call`).toEqual([]);
};

type TRecord = Record<string, unknown>;
const isRecord = (value: unknown): value is TRecord =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A refusal with a reason: a 4xx with a JSON `{ error, message }` (proxy.ts), or the action's
 * own refusal in React's protocol (HTTP 200): `{ ok: false, message }`, `{ status: "error",
 * message }`, or a form state `{ message, fields, values }`.
 */
const refusalReason = (answer: TActionAnswer): string | null => {
  if (answer.status >= 400 && answer.status < 500) {
    // Next's own refusals (an unknown or invalid action id) are plain text; ours are JSON.
    if (!answer.body.trimStart().startsWith("{")) return answer.body.trim() || null;
    const body = JSON.parse(answer.body) as TRecord;
    return typeof body.message === "string" ? body.message : null;
  }
  const result = answer.result;
  if (answer.status !== 200 || !isRecord(result) || typeof result.message !== "string") return null;
  if (result.ok === false || result.status === "error" || (!("ok" in result) && "values" in result))
    return result.message;
  return null;
};

const accepted = (answer: TActionAnswer): boolean =>
  answer.status === 200 &&
  (answer.redirect !== null ||
    (isRecord(answer.result) && (answer.result.ok === true || answer.result.status === "done")));

/**
 * One call: never a 500; a refusal names its reason and leaves the database as it was. An
 * accepted call fails the test, unless the action takes no input at all (`noInput`): then it
 * may change only what its legitimate call changes.
 */
const expectRefusedCleanly = async (
  label: string,
  call: () => Promise<TActionAnswer>,
  noInput?: TNoInputEffects,
): Promise<"refused" | "accepted"> => {
  const before = await snapshotDb();
  const answer = await call();
  expect(answer.status, `${label}: ${answer.body.slice(0, 400)}`).toBeLessThan(500);
  if (accepted(answer)) {
    expect(noInput, `${label}: accepted a call it must refuse: ${answer.body.slice(0, 400)}`).toBeDefined();
    expect(
      await acceptedChangeProblems(before, noInput as TNoInputEffects),
      `${label}: an accepted call changed more than its own effects`,
    ).toEqual([]);
    return "accepted";
  }
  const reason = refusalReason(answer);
  expect(
    reason,
    `${label}: not a refusal with a reason: HTTP ${answer.status} ${answer.body.slice(0, 400)}`,
  ).toBeTruthy();
  expect(
    reason?.startsWith(INTERNAL_REFUSAL_PREFIX),
    `${label}: an internal error answered as a refusal: ${reason}`,
  ).toBe(false);
  await assertUnchangedButRefusalTrail(before, label);
  return "refused";
};

const describeArgs = (args: readonly unknown[]): string => {
  try {
    return fc.stringify(args).slice(0, 300);
  } catch {
    return "(unprintable)";
  }
};

type TTally = { refused: number; accepted: number };

/** What a call without input may do: actions that take none, and forms whose fields are all optional. */
const noInputEffects = (action: TServerAction): TNoInputEffects | undefined => {
  const shape = ACTION_SHAPES[action.key];
  if (!shape) return undefined;
  return shape.kind === "none" ? shape.effects : shape.withoutInput;
};

/** One action with one seed: generated garbage, then calls shaped like its input with a refused field. */
const fuzzAction = async (
  request: APIRequestContext,
  who: string,
  action: TServerAction,
  runs: number,
  seed: number,
  tally: TTally,
): Promise<void> => {
  const noInput = noInputEffects(action);
  await fc.assert(
    fc.asyncProperty(hostileArgs(), async (args) => {
      const label = `${who} ${action.key}(${describeArgs(args)})`;
      tally[await expectRefusedCleanly(label, () => callServerAction(request, action, args), noInput)] += 1;
    }),
    fcOptions(runs, seed),
  );
  const shaped = refusedCallArgs(
    ACTION_SHAPES[action.key] ?? { kind: "none", effects: { tables: [], auditActions: [] } },
  );
  if (!shaped) return;
  await fc.assert(
    fc.asyncProperty(shaped, async (args) => {
      const label = `${who} ${action.key} shaped(${describeArgs(args)})`;
      tally[await expectRefusedCleanly(label, () => callServerAction(request, action, args))] += 1;
    }),
    fcOptions(runs * 2, seed),
  );
};

/**
 * Every action with the commit's seed (`runs` each) and with every seed that once found a
 * defect (`regressionRuns` each). Only the actions that take no input may accept a call.
 */
const fuzzActions = async (
  request: APIRequestContext,
  who: string,
  runs: number,
  regressionRuns: number,
): Promise<void> => {
  const actions = serverActions();
  expect(actions.length).toBeGreaterThan(20);
  const tally: TTally = { refused: 0, accepted: 0 };
  for (const seed of runSeeds()) {
    for (const action of actions)
      await fuzzAction(request, who, action, seed === HOSTILE_SEED ? runs : regressionRuns, seed, tally);
  }
  console.log(`${who}: ${tally.refused} refused, ${tally.accepted} accepted (actions that take no input)`);
};

const signedInRequest = async (page: Page, name: string): Promise<APIRequestContext> => {
  await signInAs(page, name);
  return page.request;
};

test("every server action has an input shape, so generated calls reach its validation and its domain", () => {
  const missing = serverActions()
    .map((action) => action.key)
    .filter((key) => !ACTION_SHAPES[key]);
  expect(missing, "add each to e2e/support/action-shapes.ts").toEqual([]);
});

test("an action that takes no input does its own work and no more when called plainly", async ({ page }) => {
  const request = await signedInRequest(page, "Hugo Hostile");
  // Something for "mark all read" to change.
  const hugo = await db.user.findFirstOrThrow({ where: { email: "hugo@example.com" }, select: { id: true } });
  await db.notification.create({ data: { userId: hugo.id, kind: "e2e.hostile", title: "Unread", body: "Unread." } });
  const outcomes: Record<string, string> = {};
  for (const action of serverActions().filter((candidate) => ACTION_SHAPES[candidate.key]?.kind === "none")) {
    // Accepted: only its own tables changed. Refused (a passkey step-up for a person without
    // a passkey): with a reason, nothing changed.
    outcomes[action.key] = await expectRefusedCleanly(
      action.key,
      () => callServerAction(request, action, []),
      noInputEffects(action),
    );
  }
  expect(outcomes).toMatchObject({
    "app/(portal)/notifications/actions.ts#markAllReadAction": "accepted",
    "app/(portal)/passkeys/actions.ts#startAddPasskeyAction": "accepted",
  });
  expect(await db.notification.count({ where: { userId: hugo.id, readAt: null } })).toBe(0);
});

test("every server action refuses generated arguments with a reason, never a 500, and changes nothing (signed in)", async ({
  page,
}) => {
  test.setTimeout(900_000);
  await fuzzActions(await signedInRequest(page, "Hugo Hostile"), "engineer", 6, 2);
});

test("every server action refuses generated arguments as an administrator, who passes every authorization check", async ({
  page,
}) => {
  test.setTimeout(900_000);
  await fuzzActions(await signedInRequest(page, "Ada Admin"), "administrator", 4, 1);
});

test("every server action refuses generated arguments when nobody is signed in", async ({ playwright }) => {
  test.setTimeout(600_000);
  const anonymous = await playwright.request.newContext({ baseURL: APP_URL });
  await fuzzActions(anonymous, "anonymous", 2, 1);
  await anonymous.dispose();
});

test("long random exploration (npm run fuzz): new seeds until the time or call budget is spent", async ({ page }) => {
  const budget = fuzzBudget();
  test.skip(!budget, "runs only under npm run fuzz (FUZZ_MINUTES or FUZZ_RUNS)");
  if (!budget) return;
  test.setTimeout(Math.min(budget.deadline - Date.now(), 6 * 3_600_000) + 300_000);
  const engineer = await signedInRequest(page, "Hugo Hostile");
  const actions = serverActions();
  const tally: TTally = { refused: 0, accepted: 0 };
  const seeds: number[] = [];
  while (Date.now() < budget.deadline && tally.refused + tally.accepted < budget.maxCalls) {
    const seed = Math.floor(Math.random() * 2 ** 31);
    seeds.push(seed);
    console.log(`fuzz: seed ${seed} (replay: HOSTILE_SEED=${seed} npm test -- e2e hostile-input)`);
    for (const action of actions) {
      if (Date.now() >= budget.deadline) break;
      await fuzzAction(engineer, "engineer", action, 10, seed, tally);
    }
  }
  console.log(
    `fuzz: ${tally.refused + tally.accepted} calls (${tally.refused} refused, ${tally.accepted} accepted) over ${seeds.length} seeds, no finding`,
  );
});

test("the arguments' types are checked before anything else: a string where a form goes, a form where a value goes", async ({
  page,
}) => {
  const request = await signedInRequest(page, "Hugo Hostile");
  for (const action of serverActions()) {
    for (const args of [
      ["x"],
      [null, "x"],
      [null, null],
      [{ ok: true }, { get: "x" }],
      [null, formData({ userId: "x" })],
      [formData({ x: "1" })],
    ]) {
      await expectRefusedCleanly(
        `${action.key}(${describeArgs(args)})`,
        () => callServerAction(request, action, args),
        noInputEffects(action),
      );
    }
  }
  // The form actions name the problem.
  const answer = await callServerAction(
    request,
    serverActions().find((action) => action.exportedName === "requestAccessAction") as TServerAction,
    [null, "x"],
  );
  expect(answer.result).toMatchObject({ message: "Invalid request: this action takes a form." });
});

const RAW_BODIES: ReadonlyArray<[string, string]> = [
  ["garbage", "garbage"],
  ["an open brace", "{"],
  ["unclosed nesting", "[".repeat(10_000)],
  ["deep valid nesting", `${"[".repeat(5_000)}${"]".repeat(5_000)}`],
  ["a row reference with no row", '"$1"'],
  ["a temporary reference", '["$T"]'],
  ["a server reference", '["$h0"]'],
  ["a promise reference", '["$@5"]'],
  ["an empty body", ""],
  ["NUL bytes", "\u0000\u0000"],
];

test("raw bodies Next.js cannot decode are refused by the proxy with a 400 or 413 and a reason", async ({ page }) => {
  test.setTimeout(180_000);
  const request = await signedInRequest(page, "Hugo Hostile");
  const actions = serverActions();
  for (const action of actions) {
    for (const [name, body] of RAW_BODIES) {
      await expectRefusedCleanly(
        `${action.key} with ${name}`,
        () => callServerAction(request, action, [], { body }),
        noInputEffects(action),
      );
    }
  }
  const action = actions[0] as TServerAction;
  const oversized = await callServerAction(request, action, [], {
    body: JSON.stringify(["x".repeat(3 * 1024 * 1024)]),
  });
  expect(oversized.status).toBe(413);
  expect(JSON.parse(oversized.body)).toMatchObject({
    error: "payload_too_large",
    message: expect.stringContaining("1 MB"),
  });
  const malformed = await callServerAction(request, action, [], { body: "garbage" });
  expect(malformed.status).toBe(400);
  expect(JSON.parse(malformed.body)).toMatchObject({
    error: "invalid_request",
    message: expect.stringContaining("not valid JSON"),
  });

  // Generated raw text, and generated JSON text (which decodes, and is then the action's to refuse).
  await checkProperty(
    fc.asyncProperty(
      fc.constantFrom(...actions),
      fc.oneof(
        fc.string({ maxLength: 200 }),
        hostileJson().map((value) => JSON.stringify(value) ?? "null"),
        fc.constantFrom(...HOSTILE_STRINGS),
      ),
      async (target, body) => {
        await expectRefusedCleanly(
          `${target.key} with raw ${JSON.stringify(body.slice(0, 200))}`,
          () => callServerAction(request, target, [], { body }),
          noInputEffects(target),
        );
      },
    ),
    40,
    10,
  );
});

test("multipart bodies Next.js cannot decode are refused with a reason: fetch actions and no-JavaScript form posts", async ({
  page,
}) => {
  const request = await signedInRequest(page, "Hugo Hostile");
  const action = serverActions().find((candidate) => candidate.exportedName === "requestAccessAction") as TServerAction;
  const post = async (headers: Record<string, string>, multipart: Record<string, string>): Promise<TActionAnswer> => {
    const response = await request.post(action.pagePath, {
      headers: { origin: APP_URL, accept: "text/x-component", ...headers },
      multipart,
      maxRedirects: 0,
      failOnStatusCode: false,
    });
    return { status: response.status(), result: undefined, redirect: null, body: await response.text() };
  };
  const fetchAction = { "next-action": action.id };
  for (const [label, headers, fields] of [
    ["a fetch action whose root row is not JSON", fetchAction, { "0": "garbage" }],
    ["a fetch action without its root row", fetchAction, { "1": "[]" }],
    ["a fetch action whose root refers to a missing row", fetchAction, { "0": '["$3"]' }],
    ["a fetch action nested too deep", fetchAction, { "0": `${"[".repeat(1_000)}${"]".repeat(1_000)}` }],
    [
      "a form post whose bound arguments are not JSON",
      {},
      { $ACTION_REF_1: "", "$ACTION_1:0": "{garbage", justification: "x" },
    ],
    ["a form post naming an unknown action", {}, { $ACTION_ID_00ff: "", justification: "x" }],
  ] as const) {
    await expectRefusedCleanly(label, () => post(headers, fields));
  }
});

/** A key pair made by the real ssh-keygen: [public key line, private key text]. */
const sshKeyPair = (dir: string, name: string, ...args: string[]): [string, string] => {
  execFileSync("ssh-keygen", ["-q", "-N", "", "-C", name, "-f", path.join(dir, name), ...args]);
  return [readFileSync(path.join(dir, `${name}.pub`), "utf8").trim(), readFileSync(path.join(dir, name), "utf8")];
};

test("an SSH certificate is issued for a plain strong public key only: every other input is refused with a reason and issues nothing", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const request = await signedInRequest(page, "Hugo Hostile");
  const hugo = await db.user.findFirstOrThrow({ where: { email: "hugo@example.com" } });
  const resource = await db.resource.create({
    data: {
      key: `hostile-ssh-${Date.now().toString(36)}`,
      name: "Hostile SSH",
      environment: "test",
      permissions: ["login"],
    },
  });
  const caPrivateKey = generateCaPrivateKey();
  const connector = await db.connector.create({
    data: {
      resourceId: resource.id,
      kind: "ssh",
      name: "hosts",
      settings: {},
      mapping: { login: ["hugo"] },
      credentialSealed: seal(caPrivateKey, {
        purpose: "connector-credentials",
        rootSecret: appEnv().CONNECTOR_ENCRYPTION_SECRET,
      }),
    },
  });
  const grant = await db.grant.create({
    data: {
      subjectId: hugo.id,
      resourceId: resource.id,
      permissions: ["login"],
      startsAt: new Date(Date.now() - 1_000),
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });
  // The worker's sweeper provisions a live grant it finds unprovisioned, and that is not a change the
  // refused calls made: let it settle first, as it has for any grant an engineer holds.
  await expect
    .poll(
      async () =>
        (await db.grantProvisioning.findFirst({ where: { grantId: grant.id }, select: { provisionedAt: true } }))
          ?.provisionedAt ?? null,
      { timeout: 60_000 },
    )
    .not.toBeNull();
  const action = serverActions().find(
    (candidate) => candidate.exportedName === "issueCredentialAction",
  ) as TServerAction;
  const issue = (input: unknown) =>
    callServerAction(request, action, [{ grantId: grant.id, connectorId: connector.id, input }]);
  const dir = mkdtempSync(path.join(tmpdir(), "jit-hostile-ssh-"));
  try {
    const [rsa2048] = sshKeyPair(dir, "rsa2048", "-t", "rsa", "-b", "2048");
    const [ed25519, ed25519Private] = sshKeyPair(dir, "ed", "-t", "ed25519");
    const [ecdsa] = sshKeyPair(dir, "ec", "-t", "ecdsa", "-b", "256");
    const refused: Array<[string, unknown]> = [
      ["a short RSA key", rsa2048],
      ["a private key", ed25519Private],
      ["the CA's own public key", caPublicKeyLine(caPrivateKey)],
      ["two keys", `${ed25519}\n${ecdsa}`],
      ["a truncated key", ed25519.slice(0, 40)],
      ["a certificate type", ed25519.replace("ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com")],
      ["an oversized key", `ssh-ed25519 ${"A".repeat(20_000)}`],
      ["an object with a number", { publicKey: 5 }],
      ["an object with extra fields", { publicKey: ed25519, principals: ["root"] }],
      ["an empty string", ""],
      ["null", null],
    ];
    for (const [label, input] of refused)
      await expectRefusedCleanly(`issue SSH certificate for ${label}`, () => issue(input));
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileString(), hostileJson()), async (input) => {
        await expectRefusedCleanly(`issue SSH certificate for ${describeArgs([input])}`, () => issue(input));
      }),
      fcOptions(30),
    );
    expect(await db.sshCertificate.count({ where: { grantId: grant.id } })).toBe(0);
    // The control: a plain ed25519 key is accepted, and only then is a certificate recorded.
    const accepted = await issue(ed25519);
    expect(accepted.result).toMatchObject({ ok: true, credential: { title: "SSH certificate" } });
    expect(await db.sshCertificate.count({ where: { grantId: grant.id } })).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.grant.update({ where: { id: grant.id }, data: { revokedAt: new Date() } });
    // The sweeper then closes it in the background; let it, so the next test's snapshot does not
    // see this grant's deprovisioning as a change of its own.
    await expect
      .poll(
        async () =>
          (await db.grantProvisioning.findFirst({ where: { grantId: grant.id }, select: { deprovisionedAt: true } }))
            ?.deprovisionedAt ?? null,
        { timeout: 60_000 },
      )
      .not.toBeNull();
  }
});

/** Pages and route handlers with generated query strings and path segments: a 4xx or a normal page. */
const PAGE_PATHS = [
  "/",
  "/request",
  "/approvals",
  "/notifications",
  "/passkeys",
  "/security",
  "/security/events",
  "/security/charts",
  "/security/break-glass",
  "/admin",
  "/admin/resources",
  "/admin/policies",
  "/admin/services",
  "/admin/jobs",
  "/signin",
];
const ROUTE_PATHS = [
  "/security/export",
  "/admin/policies/export",
  "/api/health",
  "/api/metrics",
  "/api/auth/session",
  "/api/auth/providers",
  "/api/auth/csrf",
  "/api/auth/signin/oidc",
  "/api/auth/error",
];
const POST_PATHS = [
  "/api/ssh/krl/prod-postgres",
  "/api/auth/signout",
  "/api/auth/signin/oidc",
  "/api/auth/callback/oidc",
  "/api/auth/session",
  "/api/auth/_log",
  "/api/health",
  "/api/metrics",
  "/security/export",
  "/admin/policies/export",
];
const DYNAMIC_PATHS = [
  "/api/ssh/krl/",
  "/request/",
  "/requests/",
  "/grants/",
  "/security/people/",
  "/security/resources/",
  "/admin/resources/",
];
const QUERY_NAMES = [
  "person",
  "resource",
  "environment",
  "status",
  "from",
  "to",
  "breakGlass",
  "approver",
  "q",
  "after",
  "format",
  "month",
  "returnTo",
  "callbackUrl",
  "reason",
  "error",
  "policy",
  "permissions",
];

const hostileQuery = (): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_NAMES) }, { weight: 1, arbitrary: hostileString() }),
        hostileString(),
      ),
      { maxLength: 5 },
    )
    .map((entries) => new URLSearchParams(entries).toString());

const getCleanly = async (
  request: APIRequestContext,
  path: string,
  headers: Record<string, string> = {},
): Promise<void> => {
  const before = await snapshotDb();
  const response = await request.get(path, { maxRedirects: 0, failOnStatusCode: false, headers });
  const body = await response.text();
  expect(response.status(), `GET ${path}: ${body.slice(0, 300)}`).toBeLessThan(500);
  if (response.status() >= 400 && (response.headers()["content-type"] ?? "").includes("json")) {
    const parsed = JSON.parse(body) as TRecord;
    expect(
      typeof parsed.message === "string" || typeof parsed.error === "string",
      `GET ${path}: a JSON refusal without a reason: ${body.slice(0, 300)}`,
    ).toBe(true);
  }
  if (response.status() >= 400) await assertUnchangedButRefusalTrail(before, `GET ${path}`);
};

test("pages and route handlers answer generated query strings and path segments with a page or a 4xx, never a 500", async ({
  page,
  playwright,
}) => {
  test.setTimeout(240_000);
  const reviewer = await signedInRequest(page, "Sam Security");
  const anonymous = await playwright.request.newContext({ baseURL: APP_URL });
  // next-auth answers a callbackUrl that is no URL with a 500 on every /api/auth route; the route refuses it first.
  for (const path of [
    "/api/auth/session?callbackUrl=%00",
    "/api/auth/signin/oidc?callbackUrl=%F0%9F%98%80",
    "/api/auth/csrf?callbackUrl=javascript:x",
  ]) {
    const refused = await anonymous.get(path, { failOnStatusCode: false, maxRedirects: 0 });
    expect(refused.status(), path).toBe(400);
    expect(await refused.json(), path).toMatchObject({
      error: "invalid_request",
      message: expect.stringContaining("callbackUrl"),
    });
  }
  // A NUL, which PostgreSQL can neither store nor compare (22021), in every query parameter a
  // page reads and in every dynamic segment: each is answered, never a 500.
  const nul = "ada%00";
  for (const request of [reviewer, anonymous]) {
    for (const path of [...PAGE_PATHS, ...ROUTE_PATHS])
      await getCleanly(request, `${path}?${QUERY_NAMES.map((name) => `${name}=${nul}`).join("&")}`);
    for (const path of [
      ...DYNAMIC_PATHS.map((prefix) => `${prefix}${nul}`),
      `/grants/${nul}/extend`,
      `/admin/resources/${nul}/webhooks`,
    ])
      await getCleanly(request, `${path}?q=${nul}`);
  }
  for (const request of [reviewer, anonymous]) {
    await checkProperty(
      fc.asyncProperty(fc.constantFrom(...PAGE_PATHS, ...ROUTE_PATHS), hostileQuery(), async (path, query) => {
        await getCleanly(request, `${path}?${query}`);
      }),
      40,
      10,
    );
    await checkProperty(
      fc.asyncProperty(
        fc.constantFrom(...DYNAMIC_PATHS),
        hostileString(),
        hostileQuery(),
        async (prefix, segment, query) => {
          // Lone surrogates cannot be percent-encoded; a browser would send U+FFFD.
          const wellFormed = segment.replace(
            /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
            "\ufffd",
          );
          await getCleanly(request, `${prefix}${encodeURIComponent(wellFormed)}?${query}`);
        },
      ),
      20,
      5,
    );
  }
  // Route handlers that take a POST (next-auth's included), with generated forms and bodies.
  await checkProperty(
    fc.asyncProperty(
      fc.constantFrom(...POST_PATHS),
      fc.oneof(
        fc
          .dictionary(
            fc.oneof(
              fc.constantFrom("csrfToken", "callbackUrl", "code", "state", "json", "data", "redirect"),
              hostileString(),
            ),
            hostileString(),
            { maxKeys: 5, noNullPrototype: true },
          )
          .map((fields) => new URLSearchParams(fields).toString()),
        hostileJson().map((value) => JSON.stringify(value) ?? ""),
        hostileString(),
      ),
      fc.constantFrom("application/x-www-form-urlencoded", "application/json", "text/plain"),
      async (path, body, contentType) => {
        const before = await snapshotDb();
        const response = await reviewer.post(path, {
          headers: { origin: APP_URL, "content-type": contentType },
          data: body,
          maxRedirects: 0,
          failOnStatusCode: false,
        });
        const text = await response.text();
        expect(
          response.status(),
          `POST ${path} ${JSON.stringify(body.slice(0, 200))}: ${text.slice(0, 300)}`,
        ).toBeLessThan(500);
        if (response.status() >= 400) await assertUnchangedButRefusalTrail(before, `POST ${path}`);
      },
    ),
    30,
    8,
  );
  // Still signed in: no generated body ended the reviewer's session.
  expect(await (await reviewer.get("/api/auth/session")).json()).toMatchObject({ sid: expect.any(String) });

  // The metrics bearer: anything but the token is a refusal.
  await checkProperty(
    fc.asyncProperty(fc.oneof(hostileString(), fc.constant("")), async (token) => {
      await getCleanly(anonymous, "/api/metrics", {
        authorization: `Bearer ${token.replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, "")}`,
      });
    }),
    10,
    3,
  );
  await anonymous.dispose();
});
