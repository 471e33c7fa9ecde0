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

/**
 * Work that must happen inside a transaction, after everything else in it and just before it
 * commits: the audit events it recorded (lib/audit), written last so the chain's lock is held
 * for the end of the transaction only, not from the first event to the commit. Keyed by the
 * transaction client the work belongs to.
 */
const closing = new AsyncLocalStorage<{ tx: object; tasks: Array<() => Promise<void>> }>();

/**
 * Adds `task` to the end of `tx` when `tx` is the transaction this code runs in (one that
 * `db.$transaction(fn)` opened); answers false otherwise, and the caller does its work now.
 */
export const beforeCommit = (tx: object, task: () => Promise<void>): boolean => {
  const store = closing.getStore();
  if (!store || store.tx !== tx) return false;
  store.tasks.push(task);
  return true;
};

/** Runs `body` with `tx`'s closing queue, then the queue, in order, before answering. */
export const withBeforeCommit = async <T>(tx: object, body: () => Promise<T>): Promise<T> => {
  const store = { tx, tasks: [] as Array<() => Promise<void>> };
  const result = await closing.run(store, body);
  // A task may add another (an event recorded while closing): run until none is left.
  for (let index = 0; index < store.tasks.length; index++)
    await closing.run(store, store.tasks[index] as () => Promise<void>);
  return result;
};
