/**
 * Hostile input for the property-based tests (e2e/hostile-*.spec.ts, api/*.integration.test.ts):
 * strings that attack each layer (SQL, HTML and script, header injection, spreadsheet
 * formulas, chat mrkdwn, React's reply references, unicode edge cases, sizes), and the
 * fast-check options every such test uses: the commit's seed, or HOSTILE_SEED when set (printed
 * on failure, so a failing run is reproduced with `HOSTILE_SEED=<seed> npm test -- …`), the
 * seeds that once found a defect, and a modest number of runs (HOSTILE_RUNS multiplies them).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import fc from "fast-check";
import { FUZZ_REGRESSION_SEEDS } from "./fuzz-seeds";

export const HOSTILE_STRINGS: readonly string[] = [
  "' OR '1'='1",
  `'; DROP TABLE "User"; --`,
  "1; SELECT pg_sleep(5)--",
  "<script>window.__pwned=1</script>",
  `"><img src=x onerror="window.__pwned=1">`,
  "<svg onload=window.__pwned=1>",
  "javascript:window.__pwned=1",
  "[click](javascript:window.__pwned=1) **bold** <b>b</b>",
  "subject\r\nBcc: victim@example.com",
  "=cmd|' /C calc'!A0",
  "+SUM(1+1)",
  "@SUM(1)",
  "<!channel> <http://evil.example|click> <@U123>",
  "${7*7}{{7*7}}",
  "../../../etc/passwd",
  "\u0000nul",
  "\u202eright-to-left",
  "ﷺ𝕏😀‍🔥e\u0301",
  "\ud800 lone surrogate",
  "__proto__",
  "constructor",
  "$1",
  "$K1",
  "$@0",
  "$T",
  "$h0",
  "x".repeat(5_000),
];

export const hostileString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...HOSTILE_STRINGS)
        .chain((payload) => fc.string({ maxLength: 10 }).map((noise) => `${noise}${payload}${noise}`)),
    },
  );

/** JSON values salted with hostile strings, at most `depth` deep. */
export const hostileJson = (depth = 3): fc.Arbitrary<unknown> =>
  fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", maxDepth: depth },
      hostileString(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(
        fc.oneof(
          hostileString(),
          fc.constantFrom("id", "requestId", "grantId", "comment", "decision", "assertion", "permissions"),
        ),
        tie("value"),
        { maxKeys: 4, noNullPrototype: true },
      ),
    ),
  })).value;

const toInt = (value: string | undefined, fallback: number): number => {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
};

/** When not in a git checkout (an unpacked tarball): a fixed seed, so a run is still reproducible. */
export const FALLBACK_SEED = 20_261_204;

/**
 * The commit's seed: the first 31 bits of `git rev-parse HEAD`. CI's run is then the same on
 * every retry of a commit (a finding is the commit's, not the luck of the run), while each new
 * commit still explores new values (ADR 0031).
 */
const commitSeed = (): number => {
  try {
    const head = execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return /^[0-9a-f]{8}/.test(head) ? Number.parseInt(head.slice(0, 8), 16) % 2 ** 31 : FALLBACK_SEED;
  } catch {
    return FALLBACK_SEED;
  }
};

/** The run's seed: HOSTILE_SEED (a replay), else the commit's; printed so a failure can be replayed. */
export const HOSTILE_SEED = process.env.HOSTILE_SEED ? Number(process.env.HOSTILE_SEED) : commitSeed();

/**
 * The seeds a property runs with: HOSTILE_SEED alone when replaying one, else the commit's
 * seed and every seed that ever found a defect (lib/testing/fuzz-seeds.ts).
 */
export const runSeeds = (): number[] =>
  process.env.HOSTILE_SEED ? [HOSTILE_SEED] : [HOSTILE_SEED, ...FUZZ_REGRESSION_SEEDS.map(({ seed }) => seed)];

export const fcOptions = <T>(numRuns: number, seed: number = HOSTILE_SEED): fc.Parameters<T> => ({
  seed,
  numRuns: numRuns * toInt(process.env.HOSTILE_RUNS, 1),
  // fast-check's report carries the seed and the counterexample's path; say how to replay.
  reporter: (details) => {
    if (details.failed) {
      const cause =
        details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(
        `${fc.defaultReportMessage(details)}\nError: ${cause}\nReplay: HOSTILE_SEED=${seed} (this property's seed ${details.seed}, path ${details.counterexamplePath ?? "-"})`,
      );
    }
  },
});

/**
 * Runs a property with each of `runSeeds()`: `numRuns` with the run's own seed, `regressionRuns`
 * with each regression seed (a prefix of what that seed generated when it found its defect).
 */
export const checkProperty = async <Ts>(
  property: fc.IRawProperty<Ts>,
  numRuns: number,
  regressionRuns: number = numRuns,
): Promise<void> => {
  for (const seed of runSeeds())
    await fc.assert(property, fcOptions(seed === HOSTILE_SEED ? numRuns : regressionRuns, seed));
};

/**
 * `npm run fuzz`: a long random exploration on demand, bounded by FUZZ_MINUTES or FUZZ_RUNS
 * (calls). Null when not fuzzing.
 */
export const fuzzBudget = (): { deadline: number; maxCalls: number } | null => {
  const minutes = Number(process.env.FUZZ_MINUTES ?? "");
  const calls = Number(process.env.FUZZ_RUNS ?? "");
  if (!(minutes > 0) && !(calls > 0)) return null;
  return {
    deadline: minutes > 0 ? Date.now() + minutes * 60_000 : Number.POSITIVE_INFINITY,
    maxCalls: calls > 0 ? calls : Number.POSITIVE_INFINITY,
  };
};
