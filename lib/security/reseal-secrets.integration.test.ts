import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";

// A rotation under way, as an operator sets it (ADR 0033): the new secrets, and the old ones as
// _PREVIOUS. Set before anything reads the configuration (this file runs in a process of its own).
const OLD_WEBHOOK = randomBytes(32).toString("base64");
const NEW_WEBHOOK = randomBytes(32).toString("base64");
const OLD_SIGNING = randomBytes(32).toString("base64");
const NEW_SIGNING = randomBytes(32).toString("base64");
Object.assign(process.env, {
  WEBHOOK_ENCRYPTION_SECRET: NEW_WEBHOOK,
  WEBHOOK_ENCRYPTION_SECRET_PREVIOUS: OLD_WEBHOOK,
  SIGNING_KEY_ENCRYPTION_SECRET: NEW_SIGNING,
  SIGNING_KEY_ENCRYPTION_SECRET_PREVIOUS: OLD_SIGNING,
});

const { db, disconnectDb } = await import("../db");
const { uniqueId } = await import("../testing/fixtures");
const { decryptSecret, encryptSecret, generateSecret } = await import("../webhooks/secrets");
const { loadKeyRing, passphraseFrom } = await import("../services/signing-keys");
const { resealSecrets } = await import("./reseal-secrets");

after(disconnectDb);

describe("rotating an encryption secret", () => {
  it("the previous secret still opens during the rotation, and secrets:reseal moves every value to the new one", async () => {
    const resource = await db.resource.create({
      data: { key: uniqueId("rot"), name: "R", environment: "staging", permissions: ["read"] },
    });
    const secret = generateSecret();
    const endpoint = await db.webhookEndpoint.create({
      data: {
        resourceId: resource.id,
        url: "https://hooks.example.com/rot",
        events: ["grant.expired"],
        secretEncrypted: encryptSecret(secret, { rootSecret: OLD_WEBHOOK }),
      },
    });
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const kid = uniqueId("rot-kid");
    await db.serviceSigningKey.create({
      data: {
        id: kid,
        alg: "ES256",
        publicJwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" },
        privateKeyEncrypted: privateKey
          .export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: passphraseFrom(OLD_SIGNING) })
          .toString(),
      },
    });

    // During the rotation: both still open (through _PREVIOUS).
    assert.equal(decryptSecret(endpoint.secretEncrypted), secret);
    assert.equal((await loadKeyRing()).signer?.kid, kid, "the key sealed under the previous secret still signs");

    const result = await resealSecrets();
    assert.ok((result["webhook-secrets"]?.resealed ?? 0) >= 1);
    assert.ok((result["signing-keys"]?.resealed ?? 0) >= 1);

    // After: the new secrets alone open them, so _PREVIOUS can go.
    const stored = await db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    assert.notEqual(stored.secretEncrypted, endpoint.secretEncrypted);
    assert.equal(decryptSecret(stored.secretEncrypted, { rootSecret: NEW_WEBHOOK }), secret);
    assert.throws(() => decryptSecret(stored.secretEncrypted, { rootSecret: OLD_WEBHOOK }), /decryption failed/);
    const key = await db.serviceSigningKey.findUniqueOrThrow({ where: { id: kid } });
    assert.doesNotThrow(() =>
      createPrivateKey({ key: key.privateKeyEncrypted, format: "pem", passphrase: passphraseFrom(NEW_SIGNING) }),
    );

    // Idempotent: nothing more to do, and the run is audited.
    const again = await resealSecrets();
    assert.equal(again["webhook-secrets"]?.resealed, 0);
    assert.equal(again["signing-keys"]?.resealed, 0);
    assert.ok((await db.auditEvent.count({ where: { action: "secrets.reseal" } })) >= 2);
  });
});
