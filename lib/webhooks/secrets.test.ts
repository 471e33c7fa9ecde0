import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decryptSecret, encryptSecret, generateSecret } from "./secrets";

const KEY_A = "a".repeat(40);
const KEY_B = "b".repeat(40);

describe("webhook secrets", () => {
  it("are whsec_ plus base64 of 32 random bytes, never repeated", () => {
    const secret = generateSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(secret.slice("whsec_".length), "base64").length, 32);
    assert.notEqual(generateSecret(), secret);
  });

  it("round-trip through encryption, with a fresh IV each time and no plaintext in the ciphertext", () => {
    const secret = generateSecret();
    const first = encryptSecret(secret, { rootSecret: KEY_A });
    const second = encryptSecret(secret, { rootSecret: KEY_A });
    assert.notEqual(first, second);
    assert.ok(!first.includes(secret.slice(6)) && !first.includes("whsec_"));
    assert.equal(decryptSecret(first, { rootSecret: KEY_A }), secret);
    assert.equal(decryptSecret(second, { rootSecret: KEY_A }), secret);
    // Under the process's own WEBHOOK_ENCRYPTION_SECRET as well.
    assert.equal(decryptSecret(encryptSecret(secret)), secret);
  });

  it("detects tampering with any part, and a different WEBHOOK_ENCRYPTION_SECRET", () => {
    const encrypted = encryptSecret(generateSecret(), { rootSecret: KEY_A });
    const parts = encrypted.split(".");
    for (let index = 1; index < parts.length; index += 1) {
      const altered = [...parts];
      const bytes = Buffer.from(altered[index] ?? "", "base64url");
      bytes[0] = (bytes[0] ?? 0) ^ 0x01;
      altered[index] = bytes.toString("base64url");
      assert.throws(() => decryptSecret(altered.join("."), { rootSecret: KEY_A }), /webhook secret/, `part ${index}`);
    }
    assert.throws(() => decryptSecret(encrypted, { rootSecret: KEY_B }), /decryption failed/);
    for (const garbage of ["", "whsec_abc", "v2.a.b.c", "v1.a.b", `${encrypted}.x`]) {
      assert.throws(() => decryptSecret(garbage, { rootSecret: KEY_A }), /webhook secret/, garbage);
    }
  });
});
