import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "./errors";
import { withTimeout } from "./timeout";

describe("withTimeout", () => {
  it("answers with the work's own result or error when it settles in time", async () => {
    assert.equal(await withTimeout(Promise.resolve(7), 50, "late"), 7);
    await assert.rejects(withTimeout(Promise.reject(new Error("own")), 50, "late"), /own/);
  });

  it("rejects with the given message, or the given error, when the work hangs", async () => {
    const hang = new Promise<never>(() => undefined);
    await assert.rejects(withTimeout(hang, 10, "no answer within 10 ms"), /no answer within 10 ms/);
    await assert.rejects(
      withTimeout(hang, 10, () => new AppError("UNAVAILABLE", "busy")),
      (error: unknown) => error instanceof AppError && error.code === "UNAVAILABLE",
    );
  });

  it("a late settlement after the timeout changes nothing", async () => {
    let settle: (value: number) => void = () => undefined;
    const late = withTimeout(new Promise<number>((resolve) => (settle = resolve)), 10, "late");
    await assert.rejects(late, /late/);
    settle(1);
    await assert.rejects(late, /late/);
  });
});
