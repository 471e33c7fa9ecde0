/**
 * The `jit` CLI as a child process against the real API server, PostgreSQL, Redis and a real
 * OpenSSH server: `jit ssh` gets a certificate for a key pair made for the call and logs in
 * with the real ssh, leaving no key behind; the stored refresh token rotates and stays 0600;
 * usage errors, a missing sign-in and a refused wait exit with their documented codes.
 * (Login through the browser and `jit psql` are e2e/cli.spec.ts.)
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
const jit = (configDir: string, args: string[]): Promise<TRun> =>
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
          NO_COLOR: "1",
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
});
