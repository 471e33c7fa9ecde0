import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { absoluteLink, escapeHtml, escapeMrkdwn, renderChat, renderEmail } from "./render";

const APP_URL = "https://access.example.com";
const HOSTILE = `<script>alert(1)</script> & "quoted" 'single' <img src=x onerror=alert(2)>`;

describe("e-mail rendering: stored text renders inert", () => {
  it("escapes the five HTML-significant characters", () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    assert.equal(escapeHtml("&lt;"), "&amp;lt;", "an already-escaped entity is escaped again, not trusted");
  });

  it("escapes every interpolated value in the HTML body: title, body, recipient name", () => {
    const { html, text, subject } = renderEmail(
      { title: `Request ${HOSTILE}`, body: `Justification: ${HOSTILE}\nsecond line\n\nnext paragraph`, link: "/requests/abc" },
      { appUrl: APP_URL, recipientName: `Mallory "><svg onload=alert(3)>` },
    );
    assert.doesNotMatch(html, /<script|<img|<svg/i);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /Mallory &quot;&gt;&lt;svg onload=alert\(3\)&gt;/);
    // Only the tags the template itself writes.
    const tags = [...html.matchAll(/<\/?([a-z0-9!]+)/gi)].map((match) => match[1]?.toLowerCase());
    for (const tag of tags) assert.ok(["!doctype", "html", "body", "p", "h1", "br", "a"].includes(tag ?? ""), `unexpected tag ${tag}`);
    assert.match(html, /<a href="https:\/\/access\.example\.com\/requests\/abc">Open in JIT Access<\/a>/);
    assert.match(html, /<br>second line<\/p>/);
    // The text part is plain text: the justification is carried as typed.
    assert.ok(text.includes(`Justification: ${HOSTILE}`));
    assert.ok(text.includes("Open in JIT Access: https://access.example.com/requests/abc"));
    assert.equal(subject, `Request ${HOSTILE}`);
  });

  it("puts the subject on one line", () => {
    assert.equal(renderEmail({ title: "a\r\nBcc: victim@example.com", body: "", link: null }, { appUrl: APP_URL, recipientName: "x" }).subject, "a Bcc: victim@example.com");
  });

  it("links only to the portal's own origin", () => {
    assert.equal(absoluteLink("/requests/1", APP_URL), "https://access.example.com/requests/1");
    assert.equal(absoluteLink(null, APP_URL), null);
    assert.equal(absoluteLink("//evil.example/x", APP_URL), null);
    assert.equal(absoluteLink("https://evil.example/x", APP_URL), null);
    const { html } = renderEmail({ title: "t", body: "b", link: "//evil.example/x" }, { appUrl: APP_URL, recipientName: "x" });
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
      { title: "Break-glass <!channel>", body: "because <!here> <@U123> <https://evil.example|click me> & more", link: "/requests/abc" },
      { appUrl: APP_URL },
    );
    assert.doesNotMatch(message.text.replace(/<https:\/\/access\.example\.com\/requests\/abc\|Open in JIT Access>$/, ""), /[<>]/);
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
