import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { asAppError } from "../errors";
import { databaseAvailability, isDatabaseUnavailableError, markDatabaseUp } from "./availability";
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
    assert.equal(await reachable.user.count() >= 0, true);
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
