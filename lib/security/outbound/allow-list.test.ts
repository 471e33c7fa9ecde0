import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseIpLiteral, type TParsedAddress } from "./addresses";
import { allowsAddress, allowsHostName, parseAllowList } from "./allow-list";

const ip = (text: string): TParsedAddress => parseIpLiteral(text) as TParsedAddress;

describe("OUTBOUND_ALLOWED_HOSTS", () => {
  it("reads host names, IPs and networks, each with an optional port", () => {
    const { entries, problems } = parseAllowList(
      "hooks.internal, *.corp.example:443, 10.0.4.7:5432, 10.20.0.0/16, [::1]:8080, fd00::/8, [fd00:ec2::/32]:80",
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      entries.map((entry) => [entry.kind, entry.port]),
      [
        ["host", null],
        ["host", 443],
        ["cidr", 5432],
        ["cidr", null],
        ["cidr", 8080],
        ["cidr", null],
        ["cidr", 80],
      ],
    );
  });

  it("names each bad entry, and refuses a /0 that would allow everything", () => {
    const { problems } = parseAllowList("ok.example, bad host, 10.0.0.0/33, 10.0.0.1:99999, 0.0.0.0/0, 10.0.0.0/x");
    assert.equal(problems.length, 5);
    assert.match(problems[0] ?? "", /"bad host": not a host name/);
    assert.match(problems[1] ?? "", /"10\.0\.0\.0\/33": the prefix length/);
    assert.match(problems[2] ?? "", /port must be a number/);
    assert.match(problems[3] ?? "", /\/0 allows every address/);
  });

  it("matches addresses by network and port, IPv4-mapped forms included", () => {
    const { entries } = parseAllowList("10.20.0.0/16, 127.0.0.1:8080, [fd00::/8]");
    assert.equal(allowsAddress(entries, ip("10.20.3.4"), 443), true);
    assert.equal(allowsAddress(entries, ip("10.21.0.1"), 443), false);
    assert.equal(allowsAddress(entries, ip("127.0.0.1"), 8080), true);
    assert.equal(allowsAddress(entries, ip("127.0.0.1"), 6379), false, "another port of an allowed IP");
    assert.equal(allowsAddress(entries, ip("::ffff:10.20.9.9"), 443), true);
    assert.equal(allowsAddress(entries, ip("fd12::1"), 443), true);
    assert.equal(allowsAddress(entries, ip("fe80::1"), 443), false);
  });

  it("matches host names exactly, or as subdomains of a *. entry, never by suffix alone", () => {
    const { entries } = parseAllowList("hooks.internal, *.corp.example:443");
    assert.equal(allowsHostName(entries, "HOOKS.internal.", 80), true);
    assert.equal(allowsHostName(entries, "evilhooks.internal", 80), false);
    assert.equal(allowsHostName(entries, "a.corp.example", 443), true);
    assert.equal(allowsHostName(entries, "a.corp.example", 80), false);
    assert.equal(allowsHostName(entries, "corp.example", 443), false);
    assert.equal(allowsHostName(entries, "evilcorp.example", 443), false);
  });
});
