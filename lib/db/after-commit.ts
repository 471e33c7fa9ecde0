import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Work that must happen only once a transaction has committed: log lines and metrics for
 * the audit events it wrote. `db.$transaction(fn)` (lib/db) runs `fn` inside a fresh queue;
 * `afterCommit` adds to the queue of the transaction it is called in, and the queue runs
 * when the transaction resolves. A rolled-back transaction drops its queue, so a log line is
 * never written for an event that does not exist. Outside a transaction it runs at once.
 */
const pending = new AsyncLocalStorage<Array<() => void>>();

export const afterCommit = (task: () => void): void => {
  const queue = pending.getStore();
  if (queue) queue.push(task);
  else runSafely(task);
};

const runSafely = (task: () => void): void => {
  try {
    task();
  } catch (error) {
    // Observability must never fail the change it observes (it has already committed).
    console.error("after-commit task failed:", error);
  }
};

/** Runs `transaction` with its own queue; drains the queue only if it resolves. */
export const withAfterCommit = async <T>(transaction: () => Promise<T>): Promise<T> => {
  const queue: Array<() => void> = [];
  const result = await pending.run(queue, transaction);
  for (const task of queue) runSafely(task);
  return result;
};
