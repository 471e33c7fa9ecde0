import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isRiskyPattern, ZTicketPattern } from "./schemas";

describe("ticket patterns cannot make validation take exponential time", () => {
  for (const pattern of ["^(INC|CHG)-\\d+$", "^[A-Z]{2,10}-\\d{1,6}$", "^INC-(\\d{4})$", "^(ops|dev)-[a-z]+$"]) {
    it(`accepts the ticket format ${pattern}`, () => {
      assert.equal(isRiskyPattern(pattern), false);
      assert.equal(ZTicketPattern.safeParse(pattern).success, true);
    });
  }

  for (const pattern of ["^(a+)+$", "^(\\d*)*$", "^(a|aa)+$", "(x+x+)+y", "^([a-z]+){2,}$"]) {
    it(`refuses the backtracking pattern ${pattern}`, () => {
      assert.equal(isRiskyPattern(pattern), true);
      const result = ZTicketPattern.safeParse(pattern);
      assert.equal(result.success, false);
      assert.match(result.error?.issues[0]?.message ?? "", /must not repeat a group/);
    });
  }
});
