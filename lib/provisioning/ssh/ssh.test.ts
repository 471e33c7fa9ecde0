import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { caPublicKeyLine, certificateWindow, generateCaPrivateKey, signUserCertificate } from "./certificate-authority";
import { ZSshSettings } from "./connector";
import { encodeKrl, serialRuns } from "./krl";
import { parseUserPublicKey } from "./public-key";

let dir: string;
const file = (name: string) => path.join(dir, name);
/** A fresh key pair made by the real ssh-keygen; returns the public key line. */
const keygen = (name: string, ...args: string[]): string => {
  execFileSync("ssh-keygen", [
    "-q",
    "-N",
    "",
    "-C",
    name,
    "-f",
    file(name),
    ...(args.length > 0 ? args : ["-t", "ed25519"]),
  ]);
  return readFileSync(file(`${name}.pub`), "utf8").trim();
};
const inspectCertificate = (certificate: string): string => {
  writeFileSync(file("check-cert.pub"), `${certificate}\n`);
  return execFileSync("ssh-keygen", ["-L", "-f", file("check-cert.pub")], { encoding: "utf8" });
};

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "jit-ssh-unit-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("user certificates", () => {
  it("carry the principals, key id, serial and exactly the given window, signed by the portal's CA", () => {
    const ca = generateCaPrivateKey();
    const user = parseUserPublicKey(keygen("alice"));
    const { validAfter, validBefore } = certificateWindow(
      new Date("2026-12-04T15:00:00.250Z"),
      new Date("2026-12-04T15:45:00.750Z"),
    );
    const certificate = signUserCertificate({
      caPrivateKey: ca,
      subjectKey: user.key,
      principals: ["app", "deploy"],
      keyId: "jit grant=g-1 subject=alice@example.com",
      serial: 4242n,
      validAfter,
      validBefore,
    });
    const listing = inspectCertificate(certificate);
    assert.match(listing, /Type: ssh-ed25519-cert-v01@openssh.com user certificate/);
    assert.match(listing, /Key ID: "jit grant=g-1 subject=alice@example.com"/);
    assert.match(listing, /Serial: 4242\n/);
    // Whole seconds: never outlives the grant; opens at the start's second, so a login at the
    // grant's first instant is not "not yet valid".
    assert.match(listing, /Valid: from 2026-12-04T15:00:00 to 2026-12-04T15:45:00\n/);
    assert.match(listing, /Principals: \n\s+app\n\s+deploy\n/);
    assert.match(listing, /Critical Options: \(none\)/);
    assert.match(listing, /Extensions: \n\s+permit-pty\n/);
    writeFileSync(file("ca.pub"), `${caPublicKeyLine(ca)}\n`);
    const caFingerprint = execFileSync("ssh-keygen", ["-l", "-f", file("ca.pub")], { encoding: "utf8" }).split(" ")[1];
    assert.ok(caFingerprint && listing.includes(`Signing CA: ED25519 ${caFingerprint}`), listing);
  });

  it("carry the session guard as their force-command when the connector names one", () => {
    const certificate = signUserCertificate({
      caPrivateKey: generateCaPrivateKey(),
      subjectKey: parseUserPublicKey(keygen("guarded")).key,
      principals: ["app"],
      keyId: "k",
      serial: 7n,
      ...certificateWindow(new Date("2026-12-04T15:00:00Z"), new Date("2026-12-04T15:30:00Z")),
      forceCommand: "/usr/local/libexec/jit-session-guard /etc/ssh/jit.krl",
    });
    assert.match(
      inspectCertificate(certificate),
      /Critical Options: \n\s+force-command \/usr\/local\/libexec\/jit-session-guard \/etc\/ssh\/jit.krl\n/,
    );
  });

  it("take a session guard only as an absolute path with plain arguments (it runs on every host)", () => {
    const parse = (sessionGuard: string) => ZSshSettings.safeParse({ sessionGuard }).success;
    assert.equal(parse("/usr/local/libexec/jit-session-guard /etc/ssh/jit.krl"), true);
    for (const hostile of [
      "jit-session-guard /etc/ssh/jit.krl",
      "/bin/sh -c 'id'",
      "/guard; rm -rf /",
      "/guard $(id)",
      "/guard\nid",
    ])
      assert.equal(parse(hostile), false, hostile);
  });

  it("refuse an empty window and a serial outside 1 .. 2^64-1", () => {
    const ca = generateCaPrivateKey();
    const subjectKey = parseUserPublicKey(keygen("bob")).key;
    const base = { caPrivateKey: ca, subjectKey, principals: ["app"], keyId: "k" };
    const at = new Date("2026-12-04T15:00:00Z");
    assert.throws(
      () => signUserCertificate({ ...base, serial: 1n, validAfter: at, validBefore: at }),
      /certificate window is empty/,
    );
    assert.throws(
      () => signUserCertificate({ ...base, serial: 0n, validAfter: at, validBefore: new Date(at.getTime() + 1000) }),
      /serial out of range/,
    );
  });
});

describe("engineers' public keys", () => {
  it("accept ed25519, ecdsa and rsa of 3072 bits", () => {
    assert.equal(parseUserPublicKey(keygen("ed", "-t", "ed25519")).description, "ED25519");
    assert.equal(parseUserPublicKey(keygen("ec", "-t", "ecdsa", "-b", "256")).description, "ECDSA 256");
    assert.equal(parseUserPublicKey(keygen("rsa3072", "-t", "rsa", "-b", "3072")).description, "RSA 3072");
  });

  it("refuse a short RSA key, a certificate, a private key, the CA's own key and garbage", () => {
    assert.throws(() => parseUserPublicKey(keygen("rsa2048", "-t", "rsa", "-b", "2048")), /at least 3072 bits/);
    const ca = generateCaPrivateKey();
    const certificate = signUserCertificate({
      caPrivateKey: ca,
      subjectKey: parseUserPublicKey(keygen("carol")).key,
      principals: ["app"],
      keyId: "k",
      serial: 7n,
      ...certificateWindow(new Date(), new Date(Date.now() + 60_000)),
    });
    assert.throws(() => parseUserPublicKey(certificate), /That is a certificate/);
    const privateKey = readFileSync(file("carol"), "utf8");
    assert.throws(
      () => parseUserPublicKey(privateKey),
      (error: Error) => {
        assert.match(error.message, /That is a private key/);
        assert.ok(!error.message.includes("BEGIN"), "the private key is not echoed");
        return true;
      },
    );
    assert.throws(
      () => parseUserPublicKey(caPublicKeyLine(ca), { caPublicKey: caPublicKeyLine(ca) }),
      /authority's key/,
    );
    assert.throws(() => parseUserPublicKey("ssh-ed25519 AAAAnotbase64!!"), /not an OpenSSH public key/);
    assert.throws(() => parseUserPublicKey(""), /Paste your public key/);
    assert.throws(() => parseUserPublicKey(`${keygen("dave")}\n${keygen("erin")}`), /single public key line/);
    assert.throws(() => parseUserPublicKey(`ssh-ed25519 ${"A".repeat(9000)}`), /too long/);
  });
});

describe("key revocation lists", () => {
  it("compact consecutive serials into runs", () => {
    assert.deepEqual(serialRuns([5n, 1n, 2n, 3n, 9n, 2n]), [
      [1n, 3n],
      [5n, 5n],
      [9n, 9n],
    ]);
    assert.throws(() => serialRuns([0n]), /KRL serials must be/);
  });

  it("are read by ssh-keygen: listed and ranged serials are revoked, others and other CAs' are not", () => {
    const ca = generateCaPrivateKey();
    const otherCa = generateCaPrivateKey();
    const subjectKey = parseUserPublicKey(keygen("frank")).key;
    const window = certificateWindow(new Date(), new Date(Date.now() + 3_600_000));
    const certificateFile = (caKey: string, serial: bigint) => {
      const name = file(`cert-${serial}-${caKey === ca ? "a" : "b"}.pub`);
      const line = signUserCertificate({
        caPrivateKey: caKey,
        subjectKey,
        principals: ["app"],
        keyId: "k",
        serial,
        ...window,
      });
      writeFileSync(name, `${line}\n`);
      return name;
    };
    writeFileSync(
      file("krl"),
      encodeKrl({
        version: 17n,
        generatedAt: new Date("2026-12-04T15:00:00Z"),
        comment: "test",
        certificates: [{ caPublicKey: caPublicKeyLine(ca), serials: [3n, 10n, 11n, 12n, 13n, 20n] }],
      }),
    );
    const query = (certificate: string) =>
      spawnSync("ssh-keygen", ["-Q", "-f", file("krl"), certificate], { encoding: "utf8" });
    for (const serial of [3n, 10n, 12n, 13n, 20n]) {
      const result = query(certificateFile(ca, serial));
      assert.match(result.stdout, /REVOKED/, `serial ${serial}`);
      assert.notEqual(result.status, 0);
    }
    for (const serial of [2n, 4n, 14n, 21n]) {
      const result = query(certificateFile(ca, serial));
      assert.match(result.stdout, /: ok/, `serial ${serial}: ${result.stdout}${result.stderr}`);
      assert.equal(result.status, 0);
    }
    assert.match(query(certificateFile(otherCa, 3n)).stdout, /: ok/, "another CA's serial 3 is not this CA's");
    const listing = execFileSync("ssh-keygen", ["-Q", "-l", "-f", file("krl")], { encoding: "utf8" });
    assert.match(listing, /# KRL version 17/);
    assert.match(listing, /# Comment: test/);
  });

  it("without revocations is an empty list ssh-keygen accepts", () => {
    const ca = generateCaPrivateKey();
    writeFileSync(
      file("empty.krl"),
      encodeKrl({
        version: 0n,
        generatedAt: new Date(),
        certificates: [{ caPublicKey: caPublicKeyLine(ca), serials: [] }],
      }),
    );
    const subjectKey = parseUserPublicKey(keygen("gina")).key;
    writeFileSync(
      file("gina-cert.pub"),
      signUserCertificate({
        caPrivateKey: ca,
        subjectKey,
        principals: ["app"],
        keyId: "k",
        serial: 1n,
        ...certificateWindow(new Date(), new Date(Date.now() + 60_000)),
      }),
    );
    const result = spawnSync("ssh-keygen", ["-Q", "-f", file("empty.krl"), file("gina-cert.pub")], {
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
  });
});
