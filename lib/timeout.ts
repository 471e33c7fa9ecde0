/**
 * `work`, or a rejection with `onTimeout` (a message, or the error itself) if it has not settled
 * within `ms`. The timer is cleared as soon as `work` settles, so it never keeps a process
 * alive, and it is not unref'd, so a caller awaiting a hung dependency always gets its answer.
 * The work itself goes on: use it for reads, or for writes that may land late.
 */
export const withTimeout = <T>(work: Promise<T>, ms: number, onTimeout: string | (() => Error)): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(typeof onTimeout === "string" ? new Error(onTimeout) : onTimeout()), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
