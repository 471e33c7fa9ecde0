import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { asAppError } from "../errors";
import {
  databaseAvailability,
  isDatabaseUnavailableError,
  isUnstorableTextError,
  markDatabaseUp,
} from "./availability";
import { createDbClient } from "./index";

// A port nothing listens on: the connection is refused, as while PostgreSQL restarts.
const unreachable = createDbClient({ connectionString: "postgresql://postgres@127.0.0.1:1/jit_unreachable" });
const reachable = createDbClient({ connectionString: process.env.DATABASE_URL ?? "" });

after(async () => {
  await unreachable.$disconnect();
  await reachable.$disconnect();
});

describe("an unreachable database (real Prisma, real pg pool)", () => {
  it("fails fast with an error the classifier recognises, answered 503, and marks the database down", async () => {
    markDatabaseUp();
    const started = Date.now();
    const error = await unreachable.user.count().then(
      () => assert.fail("the query should fail"),
      (failure: unknown) => failure,
    );
    assert.ok(Date.now() - started < 5_000, "no hang: a refused connection fails at once");
    assert.equal(isDatabaseUnavailableError(error), true, String(error));
    assert.equal(databaseAvailability().down, true);
    assert.equal(asAppError(error)?.status, 503);
  });
  it("a successful connection marks it up again (the pool reconnects by itself)", async () => {
    assert.equal(databaseAvailability().down, true);
    assert.equal((await reachable.user.count()) >= 0, true);
    assert.equal(databaseAvailability().down, false);
  });
  it("a query error is not an outage", async () => {
    const error = await reachable.$queryRawUnsafe("select * from no_such_table").then(
      () => assert.fail("the query should fail"),
      (failure: unknown) => failure,
    );
    assert.equal(isDatabaseUnavailableError(error), false);
    assert.equal(asAppError(error), null);
  });
});

describe("text PostgreSQL cannot store (real Prisma, real PostgreSQL)", () => {
  const failure = (run: () => Promise<unknown>): Promise<unknown> =>
    run().then(
      () => assert.fail("the query should fail"),
      (error: unknown) => error,
    );

  it("a NUL in text, in a query or a filter, is the sender's mistake: 400 with a reason, not an outage and not a bug", async () => {
    markDatabaseUp();
    for (const error of [
      await failure(() => reachable.$queryRaw`select ${"ada\u0000"}::text`),
      await failure(() => reachable.user.findFirst({ where: { email: "ada\u0000@example.com" } })),
    ]) {
      assert.equal(isUnstorableTextError(error), true, String(error));
      assert.equal(isDatabaseUnavailableError(error), false);
      const known = asAppError(error);
      assert.equal(known?.status, 400);
      assert.match(known?.message ?? "", /cannot store/);
    }
    assert.equal(databaseAvailability().down, false);
  });

  it("so is \\u0000 in JSON, and a write that meets it leaves nothing behind", async () => {
    const email = `nul-${Date.now()}@example.com`;
    const error = await failure(() =>
      reachable.$transaction(async (tx) => {
        await tx.user.create({ data: { issuer: "https://idp.example", subject: email, email, name: "Nul" } });
        await tx.$executeRaw`select ${JSON.stringify({ comment: "a\u0000b" })}::jsonb`;
      }),
    );
    assert.equal(isUnstorableTextError(error), true, String(error));
    assert.equal(asAppError(error)?.status, 400);
    assert.equal(await reachable.user.count({ where: { email } }), 0);
  });
});
