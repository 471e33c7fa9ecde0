/**
 * Seeds that once found a defect (docs/decisions/0022-hostile-input.md, addendum; ADR 0031).
 * Every CI run replays each of them next to the commit's own seed, so a defect a seed found
 * stays covered. A seed replays the same values only while the generators stay as they were;
 * each finding is therefore also pinned as an explicit case where it was fixed (the NUL in
 * every query parameter, `__proto__` and `constructor` among the field names, long echoed text).
 * Add a seed here, with what it found, whenever `npm run fuzz` or CI finds something.
 */
export const FUZZ_REGRESSION_SEEDS: ReadonlyArray<{ seed: number; found: string }> = [
  { seed: 1686948556, found: "a form field named __proto__ broke the refusal's echo: a 500 (server actions)" },
  { seed: 1817356345, found: "a NUL in a query parameter reached PostgreSQL (22021): a 500 (pages)" },
  { seed: 1914868199, found: "the tests' flight reader missed length-prefixed text rows (server actions)" },
  {
    seed: 196068928,
    found: "/api/auth/error?error=%C4%80: next-auth put U+0100 into a Location header, a 500 (pages)",
  },
];
