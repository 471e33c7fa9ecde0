import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { atTime, currentTime } from "./clock";

describe("the portal's clock", () => {
  it("is the wall clock outside atTime", () => {
    const before = Date.now();
    const now = currentTime().getTime();
    assert.ok(now >= before && now <= Date.now());
  });

  it("answers the given instant through awaits inside atTime, and only there", async () => {
    const past = new Date("2026-11-04T09:30:00.000Z");
    const seen = await atTime(past, async () => {
      await sleep(5);
      return currentTime().toISOString();
    });
    assert.equal(seen, past.toISOString());
    assert.ok(Date.now() - currentTime().getTime() < 1_000, "back to the wall clock afterwards");
  });

  it("keeps concurrent runs apart and hands out copies", async () => {
    const a = new Date("2026-01-01T00:00:00.000Z");
    const b = new Date("2026-06-01T00:00:00.000Z");
    const [seenA, seenB] = await Promise.all([
      atTime(a, async () => {
        await sleep(10);
        const copy = currentTime();
        copy.setUTCFullYear(1999);
        return currentTime().toISOString();
      }),
      atTime(b, async () => currentTime().toISOString()),
    ]);
    assert.deepEqual([seenA, seenB], [a.toISOString(), b.toISOString()]);
  });
});
