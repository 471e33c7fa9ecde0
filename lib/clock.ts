/**
 * The portal's "now". Always the wall clock, except inside `atTime(...)`, which runs one piece
 * of work as if it happened at another instant: the demo seed writes its month of history through
 * the same use cases the portal runs, so requests, decisions, grants and their audit events carry
 * the times they would have had (and the audit chain is built in that order).
 *
 * Only the seed's history sets it (prisma/demo-history.ts); nothing that serves a request does.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const storage = new AsyncLocalStorage<() => Date>();

export const currentTime = (): Date => {
  const clock = storage.getStore();
  return clock ? clock() : new Date();
};

/** Runs `work` with `currentTime()` answering `at` (a fixed instant, or a clock function). */
export const atTime = <T>(at: Date | (() => Date), work: () => Promise<T>): Promise<T> =>
  storage.run(typeof at === "function" ? at : () => new Date(at.getTime()), work);
