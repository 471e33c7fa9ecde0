import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { redis } from "../redis";
import { flushSentinelKey, startFlushWatch } from "./flush-watch";

after(() => redis().disconnect());

const waitUntil = async (probe: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("flush watch (real Redis)", () => {
  it("rebuilds once when Redis loses its data, not while it keeps it; a failed rebuild is retried", async () => {
    let rebuilds = 0;
    let failNext = false;
    const watch = await startFlushWatch({
      intervalMs: 50,
      onFlush: async () => {
        rebuilds += 1;
        if (failNext) {
          failNext = false;
          throw new Error("database down");
        }
      },
    });
    try {
      assert.ok(await redis().exists(flushSentinelKey()), "armed at start");
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(rebuilds, 0, "nothing lost, nothing rebuilt");

      // What FLUSHALL does to this deployment's keys.
      await redis().del(flushSentinelKey());
      await waitUntil(() => rebuilds === 1, 2_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(rebuilds, 1, "once per loss");

      failNext = true;
      await redis().del(flushSentinelKey());
      await waitUntil(() => rebuilds === 3, 2_000);
      assert.ok(await redis().exists(flushSentinelKey()), "re-armed after the retry succeeded");
    } finally {
      watch.stop();
      await redis().del(flushSentinelKey());
    }
  });
});
