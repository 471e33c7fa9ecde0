import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyAddress, type TAddressClass } from "./addresses";

const classOf = (host: string): TAddressClass | null => classifyAddress(host)?.class ?? null;

const expectAll = (cases: Record<string, TAddressClass>) => {
  for (const [host, expected] of Object.entries(cases)) assert.equal(classOf(host), expected, host);
};

describe("outbound address classification", () => {
  it("classifies every internal IPv4 range, at both of its edges", () => {
    expectAll({
      "127.0.0.1": "loopback",
      "127.255.255.254": "loopback",
      "10.0.0.0": "private",
      "10.255.255.255": "private",
      "172.16.0.1": "private",
      "172.31.255.255": "private",
      "192.168.0.1": "private",
      "192.168.255.255": "private",
      "169.254.0.1": "link_local",
      "169.254.169.254": "link_local",
      "100.64.0.1": "cgnat",
      "100.127.255.255": "cgnat",
      "0.0.0.0": "unspecified",
      "0.1.2.3": "unspecified",
      "224.0.0.1": "multicast",
      "239.255.255.250": "multicast",
      "255.255.255.255": "broadcast",
      "240.0.0.1": "reserved",
      "192.0.0.8": "reserved",
      "198.18.0.1": "reserved",
    });
  });

  it("leaves the public neighbours of those ranges public", () => {
    for (const host of [
      "8.8.8.8",
      "1.1.1.1",
      "9.255.255.255",
      "11.0.0.0",
      "172.15.255.255",
      "172.32.0.0",
      "192.167.255.255",
      "192.169.0.0",
      "169.253.255.255",
      "169.255.0.0",
      "100.63.255.255",
      "100.128.0.0",
      "126.255.255.255",
      "128.0.0.0",
      "223.255.255.255",
    ])
      assert.equal(classOf(host), "public", host);
  });

  it("classifies the internal IPv6 ranges, including the EC2 metadata address", () => {
    expectAll({
      "::1": "loopback",
      "[::1]": "loopback",
      "::": "unspecified",
      "fe80::1": "link_local",
      "fe80::1%eth0": "link_local",
      "febf:ffff::1": "link_local",
      "fc00::1": "ula",
      "fd00:ec2::254": "ula",
      "fdff:ffff::1": "ula",
      "ff02::1": "multicast",
      "fec0::1": "private",
      "2001:db8::1": "reserved",
      "2001:0:4136:e378:8000:63bf:3fff:fdd2": "reserved",
      "2606:4700:4700::1111": "public",
      "2a00:1450:4001:80b::200e": "public",
    });
  });

  it("sees through IPv4-mapped, compatible, NAT64 and 6to4 forms of internal IPv4 addresses", () => {
    expectAll({
      "::ffff:127.0.0.1": "loopback",
      "[::ffff:127.0.0.1]": "loopback",
      "::ffff:7f00:1": "loopback",
      "0:0:0:0:0:ffff:7f00:0001": "loopback",
      "::ffff:169.254.169.254": "link_local",
      "::ffff:a9fe:a9fe": "link_local",
      "::ffff:10.1.2.3": "private",
      "::ffff:192.168.1.1": "private",
      "::ffff:100.64.0.1": "cgnat",
      "::ffff:0.0.0.0": "unspecified",
      "::127.0.0.1": "loopback",
      "::10.0.0.1": "private",
      "::ffff:0:127.0.0.1": "loopback",
      "64:ff9b::127.0.0.1": "loopback",
      "64:ff9b::a9fe:a9fe": "link_local",
      "2002:7f00:1::": "loopback",
      "2002:c0a8:101::1": "private",
      "::ffff:8.8.8.8": "public",
      "64:ff9b::8.8.8.8": "public",
    });
  });

  it("reads IPv4 in every notation the C resolver accepts", () => {
    const cases: Record<string, string> = {
      "0x7f.1": "127.0.0.1",
      "2130706433": "127.0.0.1",
      "0x7f000001": "127.0.0.1",
      "017700000001": "127.0.0.1",
      "0177.0.0.1": "127.0.0.1",
      "127.1": "127.0.0.1",
      "127.0.1": "127.0.0.1",
      "0x7F.0x0.0x0.0x1": "127.0.0.1",
      "0": "0.0.0.0",
      "0xa9.0xfe.0xa9.0xfe": "169.254.169.254",
      "2852039166": "169.254.169.254",
      "10.1": "10.0.0.1",
      "3232235777": "192.168.1.1",
    };
    for (const [host, address] of Object.entries(cases)) {
      const parsed = classifyAddress(host);
      assert.equal(parsed?.address, address, host);
      assert.notEqual(parsed?.class, "public", host);
    }
  });

  it("does not take host names, or numbers out of range, for addresses", () => {
    for (const host of [
      "example.com",
      "localhost",
      "1.2.3.4.5",
      "256.1.1.1",
      "1.2.3.256",
      "4294967296",
      "0x100000000",
      "08.0.0.1",
      "1e3",
      "",
      "[example.com]",
      "::ffff:999.0.0.1",
    ])
      assert.equal(classifyAddress(host), null, host);
  });
});
