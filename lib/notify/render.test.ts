import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import nodemailer from "nodemailer";
import { fcOptions, hostileString } from "../testing/hostile";
import { absoluteLink, escapeHtml, escapeMrkdwn, renderChat, renderEmail } from "./render";

const APP_URL = "https://access.example.com";
const HOSTILE = `<script>alert(1)</script> & "quoted" 'single' <img src=x onerror=alert(2)>`;

describe("e-mail rendering: stored text renders inert", () => {
  it("escapes the five HTML-significant characters", () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
    assert.equal(escapeHtml("&lt;"), "&amp;lt;", "an already-escaped entity is escaped again, not trusted");
  });

  it("escapes every interpolated value in the HTML body: title, body, recipient name", () => {
    const { html, text, subject } = renderEmail(
      {
        title: `Request ${HOSTILE}`,
        body: `Justification: ${HOSTILE}\nsecond line\n\nnext paragraph`,
        link: "/requests/abc",
      },
      { appUrl: APP_URL, recipientName: `Mallory "><svg onload=alert(3)>` },
    );
    assert.doesNotMatch(html, /<script|<img|<svg/i);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /Mallory &quot;&gt;&lt;svg onload=alert\(3\)&gt;/);
    // Only the tags the template itself writes.
    const tags = [...html.matchAll(/<\/?([a-z0-9!]+)/gi)].map((match) => match[1]?.toLowerCase());
    for (const tag of tags)
      assert.ok(["!doctype", "html", "body", "p", "h1", "br", "a"].includes(tag ?? ""), `unexpected tag ${tag}`);
    assert.match(html, /<a href="https:\/\/access\.example\.com\/requests\/abc">Open in JIT Access<\/a>/);
    assert.match(html, /<br>second line<\/p>/);
    // The text part is plain text: the justification is carried as typed.
    assert.ok(text.includes(`Justification: ${HOSTILE}`));
    assert.ok(text.includes("Open in JIT Access: https://access.example.com/requests/abc"));
    assert.equal(subject, `Request ${HOSTILE}`);
  });

  it("puts the subject on one line", () => {
    assert.equal(
      renderEmail(
        { title: "a\r\nBcc: victim@example.com", body: "", link: null },
        { appUrl: APP_URL, recipientName: "x" },
      ).subject,
      "a Bcc: victim@example.com",
    );
  });

  it("links only to the portal's own origin", () => {
    assert.equal(absoluteLink("/requests/1", APP_URL), "https://access.example.com/requests/1");
    assert.equal(absoluteLink(null, APP_URL), null);
    assert.equal(absoluteLink("//evil.example/x", APP_URL), null);
    assert.equal(absoluteLink("https://evil.example/x", APP_URL), null);
    const { html } = renderEmail(
      { title: "t", body: "b", link: "//evil.example/x" },
      { appUrl: APP_URL, recipientName: "x" },
    );
    assert.doesNotMatch(html, /evil/);
  });
});

describe("chat rendering: mrkdwn control characters are escaped", () => {
  it("escapes &, < and >, in that order", () => {
    assert.equal(escapeMrkdwn("a & b < c > d"), "a &amp; b &lt; c &gt; d");
    assert.equal(escapeMrkdwn("&lt;!channel&gt;"), "&amp;lt;!channel&amp;gt;");
  });

  it("cannot be made to ping a channel, mention a user or add a link", () => {
    const message = renderChat(
      {
        title: "Break-glass <!channel>",
        body: "because <!here> <@U123> <https://evil.example|click me> & more",
        link: "/requests/abc",
      },
      { appUrl: APP_URL },
    );
    assert.doesNotMatch(
      message.text.replace(/<https:\/\/access\.example\.com\/requests\/abc\|Open in JIT Access>$/, ""),
      /[<>]/,
    );
    assert.match(message.text, /&lt;!channel&gt;/);
    assert.match(message.text, /&lt;https:\/\/evil\.example\|click me&gt; &amp; more/);
    assert.ok(message.text.endsWith("<https://access.example.com/requests/abc|Open in JIT Access>"));
    assert.equal(message.blocks?.[0]?.text.text, message.text);
    assert.equal(message.blocks?.[0]?.text.type, "mrkdwn");
  });

  it("leaves out blocks when the text is too long for a section", () => {
    const message = renderChat({ title: "t", body: "x".repeat(5000), link: null }, { appUrl: APP_URL });
    assert.equal(message.blocks, undefined);
    assert.ok(message.text.length > 5000);
  });
});

describe("stored text stays inert in e-mail and chat, whatever it is (property)", () => {
  const TEMPLATE_TAGS = ["!doctype", "html", "body", "p", "h1", "br", "a"];
  const notification = () =>
    fc.record({
      title: hostileString(),
      body: hostileString(),
      link: fc.option(fc.constantFrom("/requests/abc", "//evil.example/x", "javascript:alert(1)", "/x?<y>"), {
        nil: null,
      }),
    });

  it("e-mail: only the template's own tags, a one-line subject, links only to the portal", () => {
    fc.assert(
      fc.property(notification(), hostileString(), (input, recipientName) => {
        const { html, subject, text } = renderEmail(input, { appUrl: APP_URL, recipientName });
        for (const [, tag] of html.matchAll(/<\/?([a-z0-9!]+)/gi))
          assert.ok(TEMPLATE_TAGS.includes(tag?.toLowerCase() ?? ""), `tag ${tag} in ${html}`);
        for (const [element] of html.matchAll(/<[^>]*>/g)) assert.doesNotMatch(element, /\son[a-z]+=/i);
        for (const [, href] of html.matchAll(/href="([^"]*)"/g))
          assert.ok(href?.startsWith(`${APP_URL}/`), `link ${href}`);
        assert.doesNotMatch(subject, /[\r\n]/);
        assert.ok(text.includes(input.body));
      }),
      fcOptions(300),
    );
  });

  it("e-mail headers: a hostile recipient name or subject adds no header (nodemailer's own encoding)", async () => {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "\r\n" });
    await fc.assert(
      fc.asyncProperty(hostileString(), hostileString(), async (name, title) => {
        const { subject, text, html } = renderEmail(
          { title, body: "b", link: null },
          { appUrl: APP_URL, recipientName: name },
        );
        const sent = await transport.sendMail({
          from: "JIT Access <jit@example.com>",
          to: { name, address: "someone@example.com" },
          subject,
          text,
          html,
        });
        const raw = (sent.message as Buffer).toString("utf8");
        const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
        const names = head
          .split("\r\n")
          .filter((line) => !/^\s/.test(line))
          .map((line) => line.slice(0, line.indexOf(":")).toLowerCase());
        assert.deepEqual(
          names.filter(
            (header) =>
              !["content-type", "from", "to", "subject", "message-id", "date", "mime-version"].includes(header),
          ),
          [],
          head,
        );
        assert.equal(names.filter((header) => header === "to").length, 1, head);
      }),
      fcOptions(100),
    );
  });

  it("chat: no mention, channel ping or link but the portal's own; mrkdwn entities only", () => {
    fc.assert(
      fc.property(notification(), (input) => {
        const { text } = renderChat(input, { appUrl: APP_URL });
        const withoutOwnLink = text.replace(/\n<https:\/\/access\.example\.com\/[^|>]*\|Open in JIT Access>$/, "");
        assert.doesNotMatch(withoutOwnLink, /[<>]/);
        assert.doesNotMatch(withoutOwnLink.replace(/&(amp|lt|gt);/g, ""), /&/);
        assert.ok(
          JSON.parse(JSON.stringify(renderChat(input, { appUrl: APP_URL }))).text === text,
          "the webhook body is JSON that round-trips",
        );
      }),
      fcOptions(300),
    );
  });
});
