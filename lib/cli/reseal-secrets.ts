/**
 * `npm run secrets:reseal`: after rotating WEBHOOK_ENCRYPTION_SECRET or
 * SIGNING_KEY_ENCRYPTION_SECRET (the old value in its `_PREVIOUS`), re-encrypts every stored
 * value under the new one. Exit code 0 when everything opens under the current secrets, 1 when
 * some value opens under neither, 2 on bad configuration. See docs/security.md.
 */
import { loadConfigOrExplain, PreflightError } from "./preflight";

const main = async (): Promise<number> => {
  loadConfigOrExplain();
  const { resealSecrets } = await import("../security/reseal-secrets");
  const { disconnectDb } = await import("../db");
  try {
    const result = await resealSecrets();
    let unreadable = 0;
    for (const [purpose, counts] of Object.entries(result)) {
      console.log(`${purpose}: ${counts.resealed} re-encrypted, ${counts.unreadable} unreadable`);
      unreadable += counts.unreadable;
    }
    if (unreadable > 0) console.log("Some values open under neither secret: they were sealed under another one.");
    else console.log("Every value opens under the current secrets: the _PREVIOUS variables can be removed.");
    return unreadable > 0 ? 1 : 0;
  } finally {
    await disconnectDb();
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof PreflightError ? error.message : error);
    process.exit(2);
  },
);
