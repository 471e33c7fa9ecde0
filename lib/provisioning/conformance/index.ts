/**
 * The conformance suite every connector passes against its real target (docs/connectors.md).
 * `runConformanceSuite(harness)` registers node:test cases; a connector's own
 * `*.integration.test.ts` calls it with a harness that sets up the target and says how a
 * grantee would use the access. What it pins is what the framework relies on:
 *
 * - provision twice = once (one piece of access, no second credential once one was recorded);
 * - deprovision twice = once, and deprovision of a grant never provisioned is a no-op;
 * - a crash between the target change and the portal's write recovers (a repeat with no record
 *   converges to one working piece of access, and a repeated deprovision finds nothing left);
 * - an extension keeps access open without a gap (still usable after the old end);
 * - drift is found (access added by hand shows in `inspect`);
 * - where the kind has `endAccess` (ADR 0060): it ends the access, twice as once, leaves a grant
 *   never provisioned alone, and the deprovision after it still removes everything.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type {
  TConnector,
  TConnectorContext,
  TInspectEntry,
  TOneTimeCredential,
  TProvisioningGrant,
  TProvisionResult,
} from "../types";

export type TConformanceTarget<S> = {
  context: TConnectorContext<S>;
  /** Whether the grant's access works in the target now, tried as the grantee would. */
  canAccess: (grant: TProvisioningGrant, credential: TOneTimeCredential | null) => Promise<boolean>;
  /** Gives access by hand, outside the portal; returns what `inspect` must then report. */
  addAccessByHand: () => Promise<{ principal: string; target: string | null }>;
  /**
   * For kinds whose credential comes on demand after provisioning (SSH: the grantee posts a
   * public key): called after every provision with its result, does what the grantee does.
   */
  claim?: (grant: TProvisioningGrant, result: TProvisionResult) => Promise<void>;
  teardown: () => Promise<void>;
};

export type TConformanceHarness<S, I = unknown> = {
  name: string;
  connector: TConnector<S, I>;
  /** Permissions of the test grants; each must be in the target's mapping. */
  permissions: string[];
  setup: () => Promise<TConformanceTarget<S>>;
};

const grantFor = (context: TConnectorContext<unknown>, permissions: string[], minutes = 30): TProvisioningGrant => {
  const id = randomUUID();
  const now = Date.now();
  return {
    grantId: id,
    subject: {
      id: randomUUID(),
      subjectId: `https://idp.test.example#conf-${id.slice(0, 6)}`,
      email: `conf-${id.slice(0, 6)}@example.com`,
      name: "Conformance",
    },
    resource: { id: randomUUID(), key: context.resourceKey },
    permissions,
    targets: [...new Set(permissions.flatMap((permission) => context.mapping[permission] ?? []))],
    startsAt: new Date(now - 1_000),
    expiresAt: new Date(now + minutes * 60_000),
    revokedAt: null,
    externalRef: null,
    state: {},
  };
};

const held = (entries: TInspectEntry[], principal: string) => entries.filter((entry) => entry.principal === principal);

export const runConformanceSuite = <S, I = unknown>(harness: TConformanceHarness<S, I>): void => {
  describe(`${harness.name} connector: conformance`, () => {
    let target: TConformanceTarget<S>;
    const grant = (minutes?: number) =>
      grantFor(target.context as TConnectorContext<unknown>, harness.permissions, minutes);
    const connector = {
      ...harness.connector,
      provision: async (context: TConnectorContext<S>, subject: TProvisioningGrant) => {
        const result = await harness.connector.provision(context, subject);
        await target.claim?.({ ...subject, externalRef: result.externalRef }, result);
        return result;
      },
    };

    before(async () => {
      target = await harness.setup();
    });
    after(async () => {
      await target?.teardown();
    });

    it("reaches its target (test)", async () => {
      const result = await connector.test(target.context);
      assert.equal(result.ok, true, result.ok ? "" : result.error);
    });

    it("provisions twice as once", async () => {
      const subject = grant();
      const first = await connector.provision(target.context, subject);
      const recorded = { ...subject, externalRef: first.externalRef };
      const second = await connector.provision(target.context, recorded);
      assert.equal(first.outcome, "created");
      assert.equal(second.outcome, "updated");
      assert.equal(second.externalRef, first.externalRef);
      assert.ok(!second.credential, "no second credential once one was recorded");
      const entries = held(await connector.inspect(target.context), first.externalRef);
      assert.equal(new Set(entries.map((entry) => entry.target)).size, entries.length, "each access once");
      assert.ok(entries.length >= 1, "inspect reports the access");
      assert.equal(await target.canAccess(recorded, first.credential ?? null), true);
      await connector.deprovision(target.context, recorded);
    });

    it("deprovisions twice as once", async () => {
      const subject = grant();
      const provisioned = await connector.provision(target.context, subject);
      const recorded = { ...subject, externalRef: provisioned.externalRef, revokedAt: new Date() };
      const first = await connector.deprovision(target.context, recorded);
      const second = await connector.deprovision(target.context, recorded);
      assert.equal(first.outcome, "removed");
      assert.equal(second.outcome, "absent");
      assert.deepEqual(held(await connector.inspect(target.context), provisioned.externalRef), []);
      assert.equal(await target.canAccess(recorded, provisioned.credential ?? null), false);
    });

    it("treats the deprovision of a grant never provisioned as a no-op", async () => {
      const before = await connector.inspect(target.context);
      const result = await connector.deprovision(target.context, { ...grant(), revokedAt: new Date() });
      assert.equal(result.outcome, "absent");
      assert.deepEqual(await connector.inspect(target.context), before);
    });

    it("recovers from a crash between the target change and the portal's record", async () => {
      const subject = grant();
      // The target changed, then the worker died before the portal recorded it (no externalRef).
      const lost = await connector.provision(target.context, subject);
      const retried = await connector.provision(target.context, subject);
      assert.equal(retried.externalRef, lost.externalRef, "the same access, not a second one");
      const recorded = { ...subject, externalRef: retried.externalRef };
      assert.equal(await target.canAccess(recorded, retried.credential ?? null), true, "the retry's credential works");
      assert.ok(held(await connector.inspect(target.context), retried.externalRef).length >= 1);
      // And a deprovision whose record was lost: the repeat finds nothing left and says so.
      const ended = { ...recorded, revokedAt: new Date() };
      assert.equal((await connector.deprovision(target.context, ended)).outcome, "removed");
      assert.equal((await connector.deprovision(target.context, ended)).outcome, "absent");
      assert.equal(await target.canAccess(ended, retried.credential ?? null), false);
    });

    it("keeps access open without a gap across an extension", async () => {
      const subject = { ...grant(), expiresAt: new Date(Date.now() + 3_000) };
      const provisioned = await connector.provision(target.context, subject);
      const extended = {
        ...subject,
        externalRef: provisioned.externalRef,
        expiresAt: new Date(Date.now() + 10 * 60_000),
      };
      assert.equal((await connector.provision(target.context, extended)).outcome, "updated");
      assert.equal(await target.canAccess(extended, provisioned.credential ?? null), true, "before the old end");
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, subject.expiresAt.getTime() - Date.now()) + 1_000),
      );
      assert.equal(await target.canAccess(extended, provisioned.credential ?? null), true, "after the old end");
      await connector.deprovision(target.context, { ...extended, revokedAt: new Date() });
    });

    // Kinds that end access at the instant (ADR 0060): the end-of-access timer calls endAccess,
    // then the deprovision job runs as if nothing had happened.
    const endAccess = harness.connector.endAccess;
    if (endAccess)
      it("ends access at once with endAccess, twice as once, and a deprovision after it still cleans up", async () => {
        const subject = grant();
        const provisioned = await connector.provision(target.context, subject);
        const recorded = { ...subject, externalRef: provisioned.externalRef, revokedAt: new Date() };
        const never = { ...grant(), revokedAt: new Date() };
        const before = await connector.inspect(target.context);
        await endAccess(target.context, [recorded, never]);
        assert.equal(await target.canAccess(recorded, provisioned.credential ?? null), false, "ended");
        await endAccess(target.context, [recorded]);
        assert.deepEqual(
          held(await connector.inspect(target.context), never.externalRef ?? ""),
          held(before, never.externalRef ?? ""),
          "a grant the target never held is left as it was",
        );
        assert.equal((await connector.deprovision(target.context, recorded)).outcome, "removed");
        assert.deepEqual(held(await connector.inspect(target.context), provisioned.externalRef), []);
      });

    it("finds drift: access added by hand shows in inspect", async () => {
      const added = await target.addAccessByHand();
      const entries = await connector.inspect(target.context);
      assert.ok(
        entries.some((entry) => entry.principal === added.principal && entry.target === added.target),
        `inspect reports ${added.principal} -> ${added.target}`,
      );
    });
  });
};
