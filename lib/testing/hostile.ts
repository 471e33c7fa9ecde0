/**
 * Hostile input for the property-based tests (e2e/hostile-*.spec.ts, api/*.integration.test.ts):
 * strings that attack each layer (SQL, HTML and script, header injection, spreadsheet
 * formulas, chat mrkdwn, React's reply references, unicode edge cases, sizes), and the
 * fast-check options every such test uses: a fixed seed from HOSTILE_SEED (printed on
 * failure, so a failing run is reproduced with `HOSTILE_SEED=<seed> npm test -- …`) and a
 * modest number of runs (HOSTILE_RUNS multiplies them).
 */
import fc from "fast-check";

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

/** The run's seed: HOSTILE_SEED, else one per process, printed so a failure can be replayed. */
export const HOSTILE_SEED = process.env.HOSTILE_SEED
  ? Number(process.env.HOSTILE_SEED)
  : Math.floor(Math.random() * 2 ** 31);

export const fcOptions = <T>(numRuns: number): fc.Parameters<T> => ({
  seed: HOSTILE_SEED,
  numRuns: numRuns * toInt(process.env.HOSTILE_RUNS, 1),
  // fast-check's report carries the seed and the counterexample's path; say how to replay.
  reporter: (details) => {
    if (details.failed) {
      const cause =
        details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(
        `${fc.defaultReportMessage(details)}\nError: ${cause}\nReplay: HOSTILE_SEED=${HOSTILE_SEED} (this property's seed ${details.seed}, path ${details.counterexamplePath ?? "-"})`,
      );
    }
  },
});
