/**
 * The last step of `npm run build`: copies `.next/static` (and `public/`, if there is one) into
 * `.next/standalone`, because Next's standalone output leaves them out, expecting a CDN or the
 * image build to place them. After this the folder serves the whole app on its own, as
 * `npm start` and the Docker image run it.
 */
import { cpSync, existsSync, rmSync } from "node:fs";
import path from "node:path";
import { ROOT, STANDALONE_DIR, STANDALONE_SERVER } from "./run";

if (!existsSync(STANDALONE_SERVER)) {
  console.error(`${path.relative(ROOT, STANDALONE_SERVER)} is missing: next.config.js must keep output: "standalone".`);
  process.exit(1);
}
for (const relative of [path.join(".next", "static"), "public"]) {
  const from = path.join(ROOT, relative);
  if (!existsSync(from)) continue;
  const to = path.join(STANDALONE_DIR, relative);
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}
console.log(`standalone server ready: ${path.relative(ROOT, STANDALONE_SERVER)}`);
