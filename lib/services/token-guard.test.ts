import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addressKey, BoundedQueue, TokenBusyError } from "./token-guard";

describe("token endpoint guards", () => {
  it("counts an IPv4 address as it is and an IPv6 address by its /64, however it is written", () => {
    assert.equal(addressKey("203.0.113.7"), "203.0.113.7");
    assert.equal(addressKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    assert.equal(addressKey("2001:0DB8:0001:0002:ffff:0:0:9"), "2001:db8:1:2::/64");
    assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(addressKey("::1"), "0:0:0:0::/64");
    assert.equal(addressKey("unknown"), "unknown");
  });

  it("the hash queue runs at most `concurrency` tasks, lets `maxWaiting` wait and refuses the rest with TokenBusyError", async () => {
    const queue = new BoundedQueue(2, 3);
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const task = () =>
      queue.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        return "done";
      });
    const accepted = Array.from({ length: 5 }, task);
    await assert.rejects(task(), (error: unknown) => error instanceof TokenBusyError && error.retryAfterSeconds === 1);
    assert.deepEqual(queue.size, { running: 2, waiting: 3 });
    // Release tasks one by one until all five ran; never more than two at once.
    while (releases.length > 0 || queue.size.running > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    assert.deepEqual(await Promise.all(accepted), ["done", "done", "done", "done", "done"]);
    assert.equal(peak, 2);
    assert.deepEqual(queue.size, { running: 0, waiting: 0 });
  });

  it("a task that throws frees its slot", async () => {
    const queue = new BoundedQueue(1, 0);
    await assert.rejects(
      queue.run(() => Promise.reject(new Error("scrypt failed"))),
      /scrypt failed/,
    );
    assert.equal(await queue.run(() => Promise.resolve(42)), 42);
  });
});
