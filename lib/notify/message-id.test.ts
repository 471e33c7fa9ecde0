import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { notificationMessageId } from "./send-notification";

describe("e-mail Message-ID", () => {
  it("is the same for every attempt at one notification, so a copy re-sent after a crash is one message to mail stores", () => {
    const id = "0193a8f0-7c1e-7b2a-9c3d-1234567890ab";
    assert.equal(notificationMessageId(id, "https://access.example.com"), `<${id}@access.example.com>`);
    assert.equal(
      notificationMessageId(id, "https://access.example.com/"),
      notificationMessageId(id, "https://access.example.com"),
    );
    assert.notEqual(
      notificationMessageId(id, "https://access.example.com"),
      notificationMessageId("0193a8f0-7c1e-7b2a-9c3d-1234567890ac", "https://access.example.com"),
    );
  });
});
