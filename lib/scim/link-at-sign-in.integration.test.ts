/**
 * People the directory created are linked at sign-in by issuer and subject, or by the
 * connection's link claim (Entra ID's `oid`), never by e-mail alone; and a linked person keeps
 * the directory's groups, whatever the ID token's groups claim says (ADRs 0038, 0039).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { signInUser } from "../auth/sign-in";
import { db, disconnectDb } from "../db";
import { uniqueId } from "../testing/fixtures";
import { appErrorWith } from "../testing/matchers";
import { createScimClient } from "../testing/scim-client";
import { linkDirectoryUserAtSignIn } from "./link-at-sign-in";
import { PATCH_OP_SCHEMA } from "./patch";

after(disconnectDb);

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

describe("linking a directory's person at sign-in", () => {
  it("finds the person Okta created by (issuer, sub) and keeps the directory's groups over the token's", async () => {
    const okta = await createScimClient();
    const externalId = uniqueId("00u");
    const created = await okta.call("POST", "/Users", {
      schemas: [USER],
      userName: `${externalId}@example.com`,
      externalId,
    });
    const id = created.body.id as string;
    const groupName = uniqueId("scim-approvers");
    await okta.call("POST", "/Groups", { schemas: [GROUP], displayName: groupName, members: [{ value: id }] });

    const signedIn = await signInUser({
      issuer: okta.issuer,
      identity: { subject: externalId, email: null, name: "Okta Person", groups: ["portal-admins", "from-the-token"] },
    });
    assert.equal(signedIn.userId, id, "the same person, not a second one");
    const row = await db.user.findUniqueOrThrow({ where: { id } });
    assert.deepEqual(row.groups, [groupName], "the token's groups claim does not replace the directory's");
    assert.notEqual(row.lastSignInAt, null);
  });

  it("links an Entra ID person by the oid claim once, then keys them by the token's pairwise sub", async () => {
    const entra = await createScimClient({ linkClaim: "oid" });
    const oid = "9950b140-90a0-4201-9d65-b5f209fb4cd0";
    const created = await entra.call("POST", "/Users", {
      schemas: [USER],
      userName: "entra@contoso.com",
      externalId: oid,
    });
    const id = created.body.id as string;
    const pairwise = uniqueId("pairwise-sub");

    const linked = await linkDirectoryUserAtSignIn({
      issuer: entra.issuer,
      subject: pairwise,
      claims: { sub: pairwise, oid },
    });
    assert.deepEqual(linked, { userId: id });
    const signedIn = await signInUser({
      issuer: entra.issuer,
      identity: { subject: pairwise, email: null, name: "Entra Person", groups: [] },
    });
    assert.equal(signedIn.userId, id);
    assert.equal((await db.user.findUniqueOrThrow({ where: { id } })).subject, pairwise);
    const event = await db.auditEvent.findFirstOrThrow({ where: { action: "directory.user.link", targetId: id } });
    assert.equal(event.actorType, "DIRECTORY");

    // Later directory changes still apply; a new externalId is refused now that the person signed in.
    const renamed = await entra.call("PATCH", `/Users/${id}`, {
      schemas: [PATCH_OP_SCHEMA],
      Operations: [{ op: "Replace", path: "displayName", value: "Renamed" }],
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    const rekey = await entra.call("PATCH", `/Users/${id}`, {
      schemas: [PATCH_OP_SCHEMA],
      Operations: [{ op: "Replace", path: "externalId", value: "another" }],
    });
    assert.equal(rekey.status, 400);
    assert.equal(rekey.body.scimType, "mutability");

    // A second account claiming the same oid later links nobody.
    assert.equal(
      await linkDirectoryUserAtSignIn({ issuer: entra.issuer, subject: uniqueId("other"), claims: { oid } }),
      null,
    );
  });

  it("never links by e-mail alone: another subject with the same verified address is refused", async () => {
    const okta = await createScimClient();
    const externalId = uniqueId("00u");
    const email = `${externalId}@example.com`;
    const created = await okta.call("POST", "/Users", {
      schemas: [USER],
      userName: email,
      externalId,
      emails: [{ value: email, primary: true }],
    });
    const id = created.body.id as string;
    await assert.rejects(
      signInUser({
        issuer: okta.issuer,
        identity: { subject: uniqueId("someone-else"), email, name: "Impostor", groups: [] },
      }),
      appErrorWith("CONFLICT"),
    );
    const row = await db.user.findUniqueOrThrow({ where: { id } });
    assert.equal(row.subject, externalId);
    assert.equal(row.lastSignInAt, null);
    assert.equal(await db.user.count({ where: { issuer: okta.issuer } }), 1);
  });
});
