/**
 * `npm run fuzz -- --minutes 15` (or `--runs 5000`): a long random exploration of every server
 * action with new seeds, on demand, against the production build (the hostile-input e2e spec's
 * exploration test). Each seed is printed before it runs; a finding stops the run and names the
 * seed to replay (`HOSTILE_SEED=<seed> npm test -- e2e hostile-input`) and to add to
 * lib/testing/fuzz-seeds.ts once fixed. CI never runs this: its seeds come from the commit (ADR 0031).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
};
const minutes = valueOf("--minutes");
const runs = valueOf("--runs");
if ((!minutes && !runs) || [minutes, runs].some((value) => value !== undefined && !(Number(value) > 0))) {
  console.error("usage: npm run fuzz -- --minutes <N> | --runs <calls>");
  process.exit(2);
}

const root = path.resolve(import.meta.dirname, "../..");
const result = spawnSync(
  "npx",
  ["tsx", "lib/cli/test.ts", "e2e", "e2e/hostile-input.spec.ts", "-g", "long random exploration"],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...(minutes ? { FUZZ_MINUTES: minutes } : {}), ...(runs ? { FUZZ_RUNS: runs } : {}) },
  },
);
process.exit(result.status ?? 1);
