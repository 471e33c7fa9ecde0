import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { grantStatus, isGrantActive } from "./grant-status";

const at = (iso: string) => new Date(iso);
const grant = { startsAt: at("2026-01-01T10:00:00Z"), expiresAt: at("2026-01-01T10:45:00Z"), revokedAt: null };

describe("grant status is computed from time and revocation", () => {
  it("is scheduled before startsAt and active from startsAt on", () => {
    assert.equal(grantStatus(grant, at("2026-01-01T09:59:59.999Z")), "scheduled");
    assert.equal(grantStatus(grant, at("2026-01-01T10:00:00Z")), "active");
  });

  it("is never active at or after expiresAt", () => {
    assert.equal(isGrantActive(grant, at("2026-01-01T10:44:59.999Z")), true);
    assert.equal(grantStatus(grant, at("2026-01-01T10:45:00Z")), "expired");
    assert.equal(isGrantActive(grant, at("2026-01-01T10:45:00Z")), false);
  });

  it("is revoked from the revocation on, whatever the window", () => {
    const revoked = { ...grant, revokedAt: at("2026-01-01T10:10:00Z") };
    assert.equal(grantStatus(revoked, at("2026-01-01T10:05:00Z")), "active");
    assert.equal(grantStatus(revoked, at("2026-01-01T10:10:00Z")), "revoked");
    assert.equal(isGrantActive(revoked, at("2026-01-01T10:20:00Z")), false);
  });
});
