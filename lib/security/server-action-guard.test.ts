import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { redirect } from "next/navigation";
import { AppError, INTERNAL_REFUSAL_PREFIX } from "../errors";
import { captureLog } from "../log";
import { fcOptions, hostileJson } from "../testing/hostile";
import { dataAction, formAction, isPlainData } from "./server-action-guard";

type TResult = { ok: boolean; message: string };
const refuse = ({ message }: { message: string }): TResult => ({ ok: false, message });

describe("server actions: ill-typed arguments are refused, errors never escape", () => {
  it("a form action refuses anything but a FormData before its handler runs", async () => {
    let ran = 0;
    const action = formAction<TResult | null>(refuse, async () => {
      ran += 1;
      return { ok: true, message: "done" };
    });
    for (const form of ["x", null, undefined, 1, { get: () => "x" }, [], new Map()]) {
      assert.deepEqual(await action(null, form as unknown as FormData), {
        ok: false,
        message: "Invalid request: this action takes a form.",
      });
    }
    assert.equal(ran, 0);
    assert.deepEqual(await action({ ok: true, message: "forged previous state" }, new FormData()), {
      ok: true,
      message: "done",
    });
  });

  it("a data action refuses anything that is not plain JSON data", async () => {
    const action = dataAction(refuse, async (..._args: unknown[]): Promise<TResult> => ({ ok: true, message: "done" }));
    for (const value of [
      new Date(),
      new Map(),
      new Set(),
      1n,
      () => 1,
      new FormData(),
      Number.NaN,
      Object.create({ inherited: 1 }) as object,
      [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    ]) {
      assert.equal((await action("ok", value)).ok, false, String(value));
    }
    assert.equal((await action("ok", { a: [1, "b", null, true] }, undefined)).ok, true);
  });

  it("plain data is accepted whatever its content (property)", () => {
    fc.assert(
      fc.property(hostileJson(), (value) => {
        assert.equal(isPlainData(value), true);
      }),
      fcOptions(200),
    );
  });

  it("an AppError becomes the refusal with its message; redirect() passes through; a bug is logged and refused generically", async () => {
    const appError = dataAction(refuse, async (): Promise<TResult> => {
      throw new AppError("FORBIDDEN", "Not yours.");
    });
    assert.deepEqual(await appError(), { ok: false, message: "Not yours." });

    const redirecting = formAction<TResult | null>(refuse, async () => redirect("/requests/1"));
    await assert.rejects(redirecting(null, new FormData()), (error: Error) => error.message === "NEXT_REDIRECT");

    const lines: string[] = [];
    const restore = captureLog({ write: (line: string) => void lines.push(line) }, "error");
    try {
      const buggy = dataAction(refuse, async (input: unknown): Promise<TResult> => ({
        ok: true,
        message: (input as { a: { b: string } }).a.b,
      }));
      const answer = await buggy({});
      assert.equal(answer.ok, false);
      assert.ok(answer.message.startsWith(INTERNAL_REFUSAL_PREFIX));
      const id = /\(error ([0-9a-f-]{36})\)/.exec(answer.message)?.[1];
      assert.ok(id);
      assert.ok(
        lines.some((line) => line.includes(id) && line.includes("server action failed")),
        "logged with the id it names",
      );
    } finally {
      restore();
    }
  });

  it("a refusal that cannot echo the hostile form it got is still a refusal, without the form", async () => {
    const echoing = (refusal: { message: string }, form: FormData | null): TResult & { values: string[] } => {
      if (form?.has("boom")) throw new TypeError("cannot echo this form");
      return { ok: false, message: refusal.message, values: form ? [...form.keys()] : [] };
    };
    const action = formAction<(TResult & { values: string[] }) | null>(echoing, async () => {
      throw new AppError("INVALID_INPUT", "Bad form.");
    });
    const lines: string[] = [];
    const restore = captureLog({ write: (line: string) => void lines.push(line) }, "error");
    try {
      const plain = new FormData();
      plain.append("name", "x");
      assert.deepEqual(await action(null, plain), { ok: false, message: "Bad form.", values: ["name"] });
      const hostile = new FormData();
      hostile.append("boom", "x");
      assert.deepEqual(await action(null, hostile), { ok: false, message: "Bad form.", values: [] });
      assert.ok(lines.some((line) => line.includes("could not echo the form")));
    } finally {
      restore();
    }
  });
});
