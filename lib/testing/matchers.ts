/**
 * Matchers for `assert.rejects`/`assert.throws` (ADR 0030: every rejection names the error it
 * is about). Each returns true or fails with what it got instead, so a test that refuses for
 * another reason than the one it pins says so.
 */
import assert from "node:assert/strict";
import { ZodError } from "zod";
import { AppError } from "../errors";

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);

/** An AppError with this code, and a message matching `message` when given. */
export const appErrorWith =
  (code: AppError["code"], message?: RegExp) =>
  (error: unknown): true => {
    assert.ok(error instanceof AppError, `expected AppError ${code}, got ${describe(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  };

/** A zod validation error with an issue at `path` (dotted, e.g. "ids.0"). */
export const zodIssueAt =
  (path: string) =>
  (error: unknown): true => {
    assert.ok(error instanceof ZodError, `expected a ZodError at ${path}, got ${describe(error)}`);
    const paths = error.issues.map((issue) => issue.path.join("."));
    assert.ok(paths.includes(path), `expected an issue at ${path}, got ${paths.join(", ")}`);
    return true;
  };
