import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { appErrorHeaders, asAppError, AppError, errorResponse } from "../errors";
import {
  DATABASE_BUSY_MESSAGE,
  DATABASE_UNAVAILABLE_MESSAGE,
  databaseAvailability,
  isDatabaseBusyError,
  isDatabaseUnavailableError,
  markDatabaseDown,
  markDatabaseUp,
  noteDatabaseError,
  recheckDatabase,
  registerDatabaseProbe,
} from "./availability";

const socketError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: "connect" });
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: "FATAL" });

describe("an overloaded database is told apart from an unreachable one", () => {
  beforeEach(() => markDatabaseUp());
  const poolTimeout = Object.assign(new Error("Timed out fetching a new connection from the connection pool."), {
    code: "P2024",
  });
  const txStart = Object.assign(new Error("Transaction API error: Unable to start a transaction in the given time."), {
    code: "P2028",
  });

  it("answers no free connection or a transaction that could not start as 503 busy, with a short Retry-After", () => {
    for (const error of [poolTimeout, txStart, new Error("wrapped", { cause: txStart })]) {
      assert.equal(isDatabaseBusyError(error), true);
      assert.equal(isDatabaseUnavailableError(error), false);
      const known = asAppError(error);
      assert.equal(known?.status, 503);
      assert.equal(known?.message, DATABASE_BUSY_MESSAGE);
      assert.deepEqual(known && appErrorHeaders(known), { "retry-after": "2" });
    }
  });
  it("does not mark the database down, so the proxy keeps letting requests through", () => {
    asAppError(txStart);
    asAppError(poolTimeout);
    assert.equal(databaseAvailability().down, false);
  });
  it("is not fooled by other Prisma errors", () => {
    assert.equal(isDatabaseBusyError(Object.assign(new Error("Unique constraint failed"), { code: "P2002" })), false);
    assert.equal(isDatabaseBusyError(new TypeError("x")), false);
    assert.equal(isDatabaseBusyError(null), false);
  });
});

describe("database connection errors are told apart from bugs", () => {
  it("recognises Prisma's codes for an unreachable, timed-out or closed database", () => {
    for (const code of ["P1001", "P1002", "P1008", "P1017"])
      assert.equal(isDatabaseUnavailableError(Object.assign(new Error("prisma"), { code })), true, code);
  });
  it("recognises socket errors and PostgreSQL's shutdown and connection SQLSTATEs, also deep in the cause chain", () => {
    assert.equal(isDatabaseUnavailableError(socketError("ECONNREFUSED")), true);
    assert.equal(isDatabaseUnavailableError(new Error("wrapped", { cause: socketError("ECONNRESET") })), true);
    assert.equal(
      isDatabaseUnavailableError(pgError("57P01", "terminating connection due to administrator command")),
      true,
    );
    assert.equal(isDatabaseUnavailableError(pgError("57P03", "the database system is starting up")), true);
    assert.equal(isDatabaseUnavailableError(new Error("Connection terminated unexpectedly")), true);
    assert.equal(isDatabaseUnavailableError(new Error("timeout exceeded when trying to connect")), true);
  });
  it("recognises the driver adapter's error kinds as Prisma wraps them", () => {
    const wrapped = Object.assign(new Error("adapter"), {
      code: "P2010",
      meta: { driverAdapterError: { cause: { kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 } } },
    });
    assert.equal(isDatabaseUnavailableError(wrapped), true);
    assert.equal(isDatabaseUnavailableError({ cause: { kind: "ConnectionClosed" } }), true);
    assert.equal(isDatabaseUnavailableError({ cause: { kind: "postgres", code: "57P01" } }), true);
  });
  it("does not mistake query errors, constraint violations or bugs for an outage", () => {
    assert.equal(
      isDatabaseUnavailableError(Object.assign(new Error("Unique constraint failed"), { code: "P2002" })),
      false,
    );
    assert.equal(isDatabaseUnavailableError(pgError("23505", "duplicate key value violates unique constraint")), false);
    assert.equal(isDatabaseUnavailableError(pgError("40001", "could not serialize access")), false);
    assert.equal(isDatabaseUnavailableError(new TypeError("Cannot read properties of undefined")), false);
    assert.equal(isDatabaseUnavailableError(null), false);
    assert.equal(isDatabaseUnavailableError("ECONNREFUSED as a bare string is not an error object"), false);
  });
  it("survives a cyclic cause chain", () => {
    const a: Record<string, unknown> = { message: "a" };
    a.cause = a;
    assert.equal(isDatabaseUnavailableError(a), false);
  });
});

describe("a database connection error is a 503 with Retry-After, not a 500", () => {
  beforeEach(() => markDatabaseUp());
  it("asAppError maps a connection error to UNAVAILABLE and marks the database down; a bug stays a bug", async () => {
    const mapped = asAppError(socketError("ECONNREFUSED"));
    assert.ok(mapped instanceof AppError);
    assert.equal(mapped.code, "UNAVAILABLE");
    assert.equal(mapped.status, 503);
    assert.equal(mapped.message, DATABASE_UNAVAILABLE_MESSAGE);
    assert.equal(databaseAvailability().down, true);
    assert.equal(asAppError(new TypeError("bug")), null);
    const own = new AppError("NOT_FOUND", "No such request.");
    assert.equal(asAppError(own), own);
    assert.deepEqual(appErrorHeaders(own), {});
    const response = errorResponse(mapped);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "5");
    assert.deepEqual(await response.json(), { error: "UNAVAILABLE", message: DATABASE_UNAVAILABLE_MESSAGE });
  });
});

describe("availability state", () => {
  beforeEach(() => markDatabaseUp());
  it("only a connection error marks the database down; the first outage time is kept", () => {
    assert.equal(noteDatabaseError(new Error("syntax error at or near")), false);
    assert.equal(databaseAvailability().down, false);
    markDatabaseDown(socketError("ECONNREFUSED"));
    const since = databaseAvailability().downSince;
    markDatabaseDown(socketError("ECONNREFUSED"));
    assert.equal(databaseAvailability().downSince, since);
    markDatabaseUp();
    assert.deepEqual(databaseAvailability(), { down: false, downSince: null, lastError: null });
  });
  it("rechecks at most once per interval, shares one probe in flight, and marks up when the probe answers", async () => {
    let probes = 0;
    let answer = false;
    registerDatabaseProbe(async () => {
      probes += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return answer;
    });
    markDatabaseDown(socketError("ECONNREFUSED"));
    const results = await Promise.all([
      recheckDatabase({ everyMs: 60_000 }),
      recheckDatabase({ everyMs: 60_000 }),
      recheckDatabase({ everyMs: 60_000 }),
    ]);
    assert.deepEqual(results, [false, false, false]);
    assert.equal(probes, 1);
    assert.equal(await recheckDatabase({ everyMs: 60_000 }), false, "within the interval: no new probe");
    assert.equal(probes, 1);
    answer = true;
    assert.equal(await recheckDatabase({ everyMs: 0 }), true);
    assert.equal(probes, 2);
    assert.equal(databaseAvailability().down, false);
  });
  it("a probe that hangs counts as down after its timeout", async () => {
    registerDatabaseProbe(() => new Promise<boolean>(() => undefined));
    markDatabaseDown(socketError("ECONNREFUSED"));
    const started = Date.now();
    // The probe's timer does not hold a process open (unref); this test's own timer does.
    const keepAlive = setTimeout(() => undefined, 5_000);
    assert.equal(await recheckDatabase({ everyMs: 0, timeoutMs: 50 }), false);
    clearTimeout(keepAlive);
    assert.ok(Date.now() - started < 1_000);
    assert.equal(databaseAvailability().down, true);
  });
});
