/**
 * The `jit` CLI as a child process against the real API server, PostgreSQL, Redis and a real
 * OpenSSH server: `jit ssh` gets a certificate for a key pair made for the call and logs in
 * with the real ssh, leaving no key behind; the stored refresh token rotates and stays 0600;
 * usage errors, a missing sign-in and a refused wait exit with their documented codes.
 * (Login through the browser and `jit psql` are e2e/cli.spec.ts.)
 */
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { requestAccess } from "../lib/access";
import type { TUserActor } from "../lib/authz";
import { db, disconnectDb } from "../lib/db";
import { confirmDeviceAuthorization } from "../lib/devices";
import { listConnectors, attachConnector } from "../lib/provisioning";
import { redis } from "../lib/redis";
import { createActor, uniqueId } from "../lib/testing/fixtures";
import { startSshd, type TSshd } from "../lib/testing/sshd";
import { startApiServer, type TApiServer } from "../api/server";

const JIT = path.join(import.meta.dirname, "bin", "jit.mjs");
let api: TApiServer;
let sshd: TSshd;
let resourceKey = "";
let policyId = "";
const engineers = uniqueId("eng");

type TRun = { code: number | null; stdout: string; stderr: string };
const jit = (configDir: string, args: string[], env: Record<string, string> = {}): Promise<TRun> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [JIT, ...args],
      {
        env: {
          NODE_ENV: "test",
          PATH: process.env.PATH ?? "",
          HOME: configDir,
          JIT_CONFIG_DIR: configDir,
          // The file, whatever keychain the machine running the suite has; the keychain tests opt in.
          JIT_KEYCHAIN: "off",
          NO_COLOR: "1",
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });

/** A signed-in terminal: the device grant done as the CLI does, its refresh token stored as the CLI stores it. */
const signedIn = async (actor: TUserActor): Promise<string> => {
  const form = (body: Record<string, string>, pathname: string) =>
    fetch(`${api.url}${pathname}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(body).toString(),
    });
  const grant = (await (await form({ client_id: "jit-cli" }, "/api/v1/oauth/device_authorization")).json()) as {
    device_code: string;
    user_code: string;
  };
  await confirmDeviceAuthorization({
    actor,
    input: { userCode: grant.user_code, deviceName: "ci", decision: "approve" },
  });
  const tokens = (await (
    await form(
      {
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        device_code: grant.device_code,
        client_id: "jit-cli",
      },
      "/api/v1/oauth/token",
    )
  ).json()) as { refresh_token: string };
  const dir = mkdtempSync(path.join(tmpdir(), "jit-cli-test-"));
  writeFileSync(
    path.join(dir, "credentials.json"),
    JSON.stringify({ portal: api.url, refreshToken: tokens.refresh_token }),
    {
      mode: 0o600,
    },
  );
  return dir;
};

before(async () => {
  api = await startApiServer({
    port: 0,
    pollMs: 250,
    rateLimit: { limit: 10_000, windowMs: 60_000 },
    log: () => undefined,
  });
  sshd = await startSshd();
  const admin = await createActor({ groups: ["portal-admins"] });
  resourceKey = uniqueId("ssh-hosts");
  const resource = await db.resource.create({
    data: { key: resourceKey, name: "Hosts", environment: "production", permissions: ["read"] },
  });
  policyId = (
    await db.accessPolicy.create({
      data: {
        resourceId: resource.id,
        name: "auto",
        permissions: ["read"],
        requesterGroups: [engineers],
        approverGroups: ["nobody"],
        defaultDurationMinutes: 30,
        maxDurationMinutes: 240,
        autoApproveGroups: [engineers],
        autoApprovePermissions: ["read"],
      },
    })
  ).id;
  await attachConnector({
    actor: admin,
    input: {
      resourceKey,
      kind: "ssh",
      name: "hosts",
      settings: { krlPath: sshd.krlPath, loginHost: `127.0.0.1 -p ${sshd.port}` },
      mapping: { read: [sshd.user] },
    },
  });
  const [connector] = (await listConnectors({ actor: admin, resourceKey })).connectors;
  const ca = connector?.facts.find((fact) => fact.label.startsWith("CA public key"))?.value;
  assert.ok(ca);
  sshd.trustCas([ca]);
});
after(async () => {
  await sshd?.stop();
  await api?.close();
  await disconnectDb();
  redis().disconnect();
});

describe("jit (the CLI as a process)", () => {
  it("ssh: logs in with the real ssh on a certificate for a key made for the call, and leaves no key behind", async () => {
    const actor = await createActor({ groups: [engineers] });
    await requestAccess({
      actor,
      input: { policyId, permissions: ["read"], durationMinutes: 30, justification: "rotate the TLS keys INC-1" },
    });
    const dir = await signedIn(actor);
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith("jit-ssh-")).length;
    const refreshBefore = readFileSync(path.join(dir, "credentials.json"), "utf8");
    const run = await jit(dir, [
      "ssh",
      resourceKey,
      `${sshd.user}@127.0.0.1`,
      "--",
      "-F",
      "/dev/null",
      "-p",
      String(sshd.port),
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "IdentityAgent=none",
      "echo ok",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), "ok");
    assert.equal(readdirSync(tmpdir()).filter((name) => name.startsWith("jit-ssh-")).length, before);
    // The refresh token rotated, and only the user can read the file.
    const stored = readFileSync(path.join(dir, "credentials.json"), "utf8");
    assert.notEqual(stored, refreshBefore);
    assert.deepEqual(Object.keys(JSON.parse(stored) as object).sort(), ["portal", "refreshToken"]);
    assert.equal(statSync(path.join(dir, "credentials.json")).mode & 0o777, 0o600);
    assert.ok(await db.auditEvent.findFirst({ where: { action: "grant.credential_issued", actorId: actor.userId } }));
  });

  it("files a request for a teammate (--teammate), who sees it in jit status and acknowledges it with jit ack", async () => {
    const key = uniqueId("handover");
    const resource = await db.resource.create({
      data: { key, name: "Handover", environment: "production", permissions: ["read"] },
    });
    await db.accessPolicy.create({
      data: {
        resourceId: resource.id,
        name: "handover",
        permissions: ["read"],
        requesterGroups: [engineers],
        approverGroups: [uniqueId("leads")],
        defaultDurationMinutes: 30,
        maxDurationMinutes: 60,
        autoApproveGroups: [engineers],
        autoApprovePermissions: ["read"],
        onBehalfOfAllowed: true,
      },
    });
    const filer = await createActor({ groups: [engineers] });
    const teammate = await createActor({ groups: [engineers] });
    const filerDir = await signedIn(filer);
    const teammateDir = await signedIn(teammate);
    const filed = await jit(filerDir, [
      "request",
      key,
      "read",
      "--for",
      "30m",
      "--reason",
      "Handing INC-9 to the next on-call",
      "--teammate",
      teammate.email,
      "--json",
    ]);
    assert.equal(filed.code, 0, filed.stderr);
    const { requestId, status } = JSON.parse(filed.stdout) as { requestId: string; status: string };
    assert.equal(status, "PENDING", "never auto-approved for someone else");

    const listed = await jit(teammateDir, ["status"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`Filed for you[\\s\\S]*${requestId}[\\s\\S]*by ${filer.name}`));
    // The filer cannot acknowledge for them.
    assert.notEqual((await jit(filerDir, ["ack", requestId])).code, 0);
    assert.equal((await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } })).acknowledgedAt, null);

    const acknowledged = await jit(teammateDir, ["ack", requestId]);
    assert.equal(acknowledged.code, 0, acknowledged.stderr);
    assert.match(acknowledged.stdout, /Acknowledged: waiting for approval/);
    const row = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
    assert.deepEqual(
      [row.requesterId, row.filedById, row.acknowledgedAt !== null],
      [teammate.userId, filer.userId, true],
    );
  });

  it("exits 2 on usage errors, 3 when not signed in, 4 for an unknown resource, 5 with no active grant", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "jit-cli-test-"));
    assert.equal((await jit(empty, ["request", "x"])).code, 2);
    assert.equal((await jit(empty, ["nope"])).code, 2);
    assert.equal((await jit(empty, ["status", "--bogus"])).code, 2);
    assert.equal((await jit(empty, ["status", "--help"])).code, 0);
    const notSignedIn = await jit(empty, ["status", "--json"]);
    assert.equal(notSignedIn.code, 3);
    assert.equal((JSON.parse(notSignedIn.stderr) as { exitCode: number }).exitCode, 3);

    const actor = await createActor({ groups: [engineers] });
    const dir = await signedIn(actor);
    const unknown = await jit(dir, [
      "request",
      "no-such-resource",
      "read",
      "--for",
      "30m",
      "--reason",
      "for INC-1 now",
    ]);
    assert.equal(unknown.code, 4, unknown.stderr);
    const none = await jit(dir, ["ssh", resourceKey, "somebody@127.0.0.1"]);
    assert.equal(none.code, 5, none.stderr);
    assert.match(none.stderr, /No active grant/);
  });

  it("request --wait exits 0 once the grant is active, and prints the approvers' link", async () => {
    const actor = await createActor({ groups: [engineers] });
    const dir = await signedIn(actor);
    const run = await jit(dir, [
      "request",
      resourceKey,
      "read",
      "--for",
      "15m",
      "--reason",
      "INC-2 host check",
      "--wait",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Approvers decide at http\S+\/requests\/[\w-]+/);
    assert.match(run.stdout, /Approved: grant [\w-]+ active until/);
    const status = await jit(dir, ["status", "--json"]);
    const body = JSON.parse(status.stdout) as { active: Array<{ resourceKey: string }> };
    assert.deepEqual(
      body.active.map((grant) => grant.resourceKey),
      [resourceKey],
    );
  });

  it("ssh --agent: puts the key and certificate into the ssh-agent for the grant's remaining time, then plain ssh logs in", async () => {
    const actor = await createActor({ groups: [engineers] });
    await requestAccess({
      actor,
      input: { policyId, permissions: ["read"], durationMinutes: 15, justification: "rotate the TLS keys INC-4" },
    });
    const dir = await signedIn(actor);
    const socket = path.join(dir, "agent.sock");
    const agent: ChildProcess = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    try {
      for (let i = 0; i < 100 && !existsSync(socket); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      // ssh-add through a wrapper that notes its arguments, to read the lifetime it was given.
      const wrapper = path.join(dir, "ssh-add-logged");
      writeFileSync(wrapper, `#!/bin/sh\necho "$@" > "${dir}/ssh-add.args"\nexec ssh-add "$@"\n`, { mode: 0o700 });
      const before = readdirSync(tmpdir()).filter((name) => name.startsWith("jit-ssh-")).length;
      const sshArgs = ["-F", "/dev/null", "-p", String(sshd.port), "-o", "BatchMode=yes"];
      const hostArgs = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"];
      const run = await jit(
        dir,
        ["ssh", resourceKey, `${sshd.user}@127.0.0.1`, "--agent", "--", ...sshArgs, ...hostArgs, "echo agent-ok"],
        { SSH_AUTH_SOCK: socket, JIT_SSH_ADD: wrapper },
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), "agent-ok");
      const [, lifetime] = /-t (\d+) /.exec(readFileSync(path.join(dir, "ssh-add.args"), "utf8")) ?? [];
      assert.ok(Number(lifetime) > 14 * 60 && Number(lifetime) <= 15 * 60, `lifetime ${lifetime}`);
      const listed = spawnSync("ssh-add", ["-l"], {
        env: { NODE_ENV: "test", SSH_AUTH_SOCK: socket },
        encoding: "utf8",
      });
      assert.match(listed.stdout, /ECDSA-CERT/, "the certificate is in the agent");
      assert.equal(readdirSync(tmpdir()).filter((name) => name.startsWith("jit-ssh-")).length, before);
      // The agent alone now logs in, without jit, until the grant ends.
      const plain = spawnSync("ssh", [...sshArgs, ...hostArgs, `${sshd.user}@127.0.0.1`, "echo still-ok"], {
        env: { NODE_ENV: "test", SSH_AUTH_SOCK: socket, PATH: process.env.PATH ?? "", HOME: dir },
        encoding: "utf8",
      });
      assert.equal(plain.stdout.trim(), "still-ok", plain.stderr);
      const noAgent = await jit(dir, ["ssh", resourceKey, `${sshd.user}@127.0.0.1`, "--agent"]);
      assert.equal(noAgent.code, 2);
      assert.match(noAgent.stderr, /SSH_AUTH_SOCK/);
    } finally {
      agent.kill();
    }
  });

  it("psql --request asks for a grant and waits for it when there is none; without --request it exits 5", async () => {
    const actor = await createActor({ groups: [engineers] });
    const dir = await signedIn(actor);
    const none = await jit(dir, ["psql", resourceKey, "--", "-c", "select 1"]);
    assert.equal(none.code, 5, none.stderr);
    assert.match(none.stderr, /No active grant/);
    assert.equal((await jit(dir, ["psql", resourceKey, "--request", "read", "--for", "15m"])).code, 2);
    assert.equal(await db.accessRequest.count({ where: { requesterId: actor.userId } }), 0);

    // The policy approves at once; the grant is on an SSH resource, so psql itself is refused
    // after the request and the wait: what matters here is that they happened.
    const run = await jit(dir, ["psql", resourceKey, "--request", "read", "--for", "15m", "--reason", "INC-3 check"]);
    assert.match(run.stderr, /No active grant on \S+: asked for read \(request [\w-]+\)/);
    assert.match(run.stderr, /Approved: grant [\w-]+ active until/);
    assert.equal(run.stdout, "", "progress goes to stderr, stdout is psql's");
    const requests = await db.accessRequest.findMany({
      where: { requesterId: actor.userId },
      select: { status: true, permissions: true, durationMinutes: true },
    });
    assert.deepEqual(requests, [{ status: "APPROVED", permissions: ["read"], durationMinutes: 15 }]);
    assert.notEqual(run.code, 0, "an SSH grant gives psql no login");
  });

  describe("where the refresh token is kept", () => {
    /** A stand-in `secret-tool` (store reads the secret from stdin, as the real one does), first on PATH. */
    const fakeSecretTool = (options: { refuseStore?: boolean } = {}) => {
      const bin = mkdtempSync(path.join(tmpdir(), "jit-fake-bin-"));
      const keyring = mkdtempSync(path.join(tmpdir(), "jit-fake-keyring-"));
      writeFileSync(
        path.join(bin, "secret-tool"),
        [
          "#!/bin/sh",
          'cmd="$1"; shift',
          'echo "$cmd $*" >> "$FAKE_KEYRING/calls"',
          'if [ "$cmd" = store ]; then shift; fi',
          'key=$(printf "%s\\n" "$@" | sha256sum | cut -c1-16)',
          'case "$cmd" in',
          options.refuseStore ? "  store) exit 1 ;;" : '  store) cat > "$FAKE_KEYRING/$key" ;;',
          '  lookup) [ -f "$FAKE_KEYRING/$key" ] && cat "$FAKE_KEYRING/$key" || exit 1 ;;',
          '  clear) rm -f "$FAKE_KEYRING/$key" ;;',
          "  *) exit 2 ;;",
          "esac",
          "",
        ].join("\n"),
        { mode: 0o700 },
      );
      const env = { PATH: `${bin}:${process.env.PATH ?? ""}`, FAKE_KEYRING: keyring, JIT_KEYCHAIN: "auto" };
      const secrets = () => readdirSync(keyring).filter((name) => name !== "calls");
      const calls = () =>
        existsSync(path.join(keyring, "calls")) ? readFileSync(path.join(keyring, "calls"), "utf8") : "";
      return { env, keyring, secrets, calls };
    };
    const stored = (dir: string) => JSON.parse(readFileSync(path.join(dir, "credentials.json"), "utf8")) as object;

    it("moves the token into secret-tool when it is on PATH, keeps only the portal in the file, and forgets it on logout", async () => {
      const actor = await createActor({ groups: [engineers] });
      const dir = await signedIn(actor);
      const keychain = fakeSecretTool();
      const first = await jit(dir, ["whoami", "--json"], keychain.env);
      assert.equal(first.code, 0, first.stderr);
      assert.equal((JSON.parse(first.stdout) as { tokenStore: string }).tokenStore, "secret-tool");
      assert.deepEqual(Object.keys(stored(dir)).sort(), ["keychain", "portal"]);
      assert.equal(keychain.secrets().length, 1);
      const token = readFileSync(path.join(keychain.keyring, keychain.secrets()[0] as string), "utf8");
      assert.ok(token.length > 20);
      // The token went in on stdin, never on a command line.
      assert.doesNotMatch(keychain.calls(), new RegExp(token.slice(0, 20)));
      // The next command reads it from the keychain and stores the rotated one there.
      assert.equal((await jit(dir, ["whoami"], keychain.env)).code, 0);
      const rotated = readFileSync(path.join(keychain.keyring, keychain.secrets()[0] as string), "utf8");
      assert.notEqual(rotated, token);
      assert.equal((await jit(dir, ["logout"], keychain.env)).code, 0);
      assert.deepEqual(keychain.secrets(), []);
      assert.equal(existsSync(path.join(dir, "credentials.json")), false);
    });

    it("falls back to the 0600 file when the keychain refuses, or with JIT_KEYCHAIN=off, and refuses a bad JIT_KEYCHAIN", async () => {
      const actor = await createActor({ groups: [engineers] });
      const dir = await signedIn(actor);
      const refusing = fakeSecretTool({ refuseStore: true });
      const run = await jit(dir, ["whoami", "--json"], refusing.env);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /did not take the token/);
      assert.deepEqual(Object.keys(stored(dir)).sort(), ["portal", "refreshToken"]);
      assert.equal(statSync(path.join(dir, "credentials.json")).mode & 0o777, 0o600);

      // In the keychain first; JIT_KEYCHAIN=off then brings it back to the file and clears the keychain.
      const keychain = fakeSecretTool();
      assert.equal((await jit(dir, ["whoami"], keychain.env)).code, 0);
      assert.equal(keychain.secrets().length, 1);
      const off = await jit(dir, ["whoami", "--json"], { ...keychain.env, JIT_KEYCHAIN: "off" });
      assert.equal(off.code, 0, off.stderr);
      assert.equal((JSON.parse(off.stdout) as { tokenStore: string }).tokenStore, "file");
      assert.deepEqual(Object.keys(stored(dir)).sort(), ["portal", "refreshToken"]);
      assert.deepEqual(keychain.secrets(), []);

      // auto without a keychain tool on PATH: the file.
      const auto = await jit(dir, ["whoami", "--json"], { JIT_KEYCHAIN: "auto", PATH: path.dirname(process.execPath) });
      assert.equal((JSON.parse(auto.stdout) as { tokenStore: string }).tokenStore, "file", auto.stderr);
      const bad = await jit(dir, ["whoami"], { JIT_KEYCHAIN: "maybe" });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /JIT_KEYCHAIN must be off or auto/);
    });
  });
});
