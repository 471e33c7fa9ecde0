import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import nodemailer from "nodemailer";
import { decodeHeader, listDevMail, parseMail, saveDevMail } from "./dev-mail-store";

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});
const tempDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "jit-dev-mail-"));
  dirs.push(dir);
  return dir;
};

/** The exact bytes nodemailer would send, without a network. */
const compose = async (message: nodemailer.SendMailOptions): Promise<string> => {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  const info = await transport.sendMail(message);
  return (info.message as Buffer).toString("utf8");
};

describe("dev mail: minimal MIME parsing", () => {
  it("reads subject, from, to, text and HTML of what nodemailer sends", async () => {
    const longLine = `Justification: ${"é".repeat(60)} <script>alert(1)</script> = done`;
    const raw = await compose({
      from: "JIT Access <jit-access@localhost>",
      to: "Alice <alice@example.com>",
      subject: "Zugriff genehmigt: prod-postgres ✓",
      text: `Hello Alice,\n\n${longLine}\n`,
      html: `<p>${longLine.replace("<script>", "&lt;script&gt;").replace("</script>", "&lt;/script&gt;")}</p>`,
    });
    const mail = parseMail(raw, { to: ["alice@example.com"] });
    assert.equal(mail.subject, "Zugriff genehmigt: prod-postgres ✓");
    assert.equal(mail.from, "JIT Access <jit-access@localhost>");
    assert.deepEqual(mail.to, ["alice@example.com"]);
    assert.equal(mail.text, `Hello Alice,\n\n${longLine}`);
    assert.ok(mail.html?.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(!Number.isNaN(Date.parse(mail.date)));
  });

  it("decodes RFC 2047 words in Q and B form", () => {
    assert.equal(decodeHeader("=?UTF-8?Q?caf=C3=A9_ok?= =?UTF-8?B?4pyT?="), "café ok✓");
    assert.equal(decodeHeader("plain"), "plain");
  });
});

describe("dev mail: the folder", () => {
  it("lists saved messages newest first and an absent folder as empty", async () => {
    const dir = await tempDir();
    assert.deepEqual(await listDevMail({ dir: path.join(dir, "missing") }), []);
    for (const subject of ["first", "second", "third"]) {
      await saveDevMail(
        { from: "a@x", to: ["b@x"], subject, text: subject, html: null, date: new Date().toISOString() },
        { dir },
      );
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.deepEqual(
      (await listDevMail({ dir })).map((mail) => mail.subject),
      ["third", "second", "first"],
    );
    assert.equal((await readdir(dir)).length, 3);
  });
});
