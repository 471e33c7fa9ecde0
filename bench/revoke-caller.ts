/**
 * `bench:revoke -- --revoke`'s caller: a process of its own that revokes grants as the portal's
 * web process would, so that the bench's probe (hundreds of sessions and their query loops in
 * the bench's process) never slows the revocations it measures. Reads one JSON line per
 * revocation on stdin ({ grantId, actor }) and answers one per line on stdout
 * ({ grantId, calledAt, doneAt, error? }); the environment is the bench's (database, Redis).
 */
import { createInterface } from "node:readline";
import { revokeGrant } from "../lib/access";
import type { TUserActor } from "../lib/authz";
import { disconnectDb } from "../lib/db";

const lines = createInterface({ input: process.stdin });
const running = new Set<Promise<void>>();
lines.on("line", (line) => {
  const { grantId, actor } = JSON.parse(line) as { grantId: string; actor: TUserActor };
  const calledAt = Date.now();
  const call = revokeGrant({ actor, input: { grantId } }).then(
    () => process.stdout.write(`${JSON.stringify({ grantId, calledAt, doneAt: Date.now() })}\n`),
    (error: unknown) =>
      process.stdout.write(
        `${JSON.stringify({ grantId, calledAt, doneAt: Date.now(), error: String(error).slice(0, 120) })}\n`,
      ),
  );
  const tracked = call.then(() => undefined);
  running.add(tracked);
  void tracked.finally(() => running.delete(tracked));
});
lines.on("close", () => {
  void Promise.allSettled([...running]).then(async () => {
    await disconnectDb();
    process.exit(0);
  });
});
