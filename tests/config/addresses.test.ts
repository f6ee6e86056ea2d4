import { strict as assert } from "assert";
import fc from "fast-check";
import {
  cidrContains,
  cidrsOverlap,
  formatIp,
  parseCidr,
  parseHostPort,
  parseIp,
  type IpAddress,
} from "../../config/addresses";
import { parseGoDuration } from "../../config/duration";

const ipv4 = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((value): IpAddress => ({ family: 4, value }));
const ipv6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((value): IpAddress => ({ family: 6, value }));

describe("addresses", () => {
  it("formats and parses every IPv4 and IPv6 address back to itself", () => {
    fc.assert(fc.property(fc.oneof(ipv4, ipv6), (ip) => assert.deepEqual(parseIp(formatIp(ip)), ip)));
  });

  it("reads the IPv6 spellings people write", () => {
    assert.equal(parseIp("::ffff:192.0.2.1")?.value, parseIp("::ffff:c000:201")?.value);
    assert.equal(parseIp("2001:DB8:0:0::1")?.value, parseIp("2001:db8::1")?.value);
    assert.equal(formatIp({ family: 6, value: parseIp("2001:db8:0:0:1:0:0:1")!.value }), "2001:db8::1:0:0:1");
    assert.equal(parseIp("fe80::1%eth0"), undefined);
  });

  it("finds an address inside a range exactly when its network bits match", () => {
    fc.assert(
      fc.property(ipv4, fc.integer({ min: 0, max: 32 }), ipv4, (network, prefix, probe) => {
        const cidr = parseCidr(`${formatIp(network)}/${prefix}`)!;
        const shift = BigInt(32 - prefix);
        assert.equal(cidrContains(cidr, probe), network.value >> shift === probe.value >> shift);
      }),
    );
  });

  it("treats ranges of different families as disjoint", () => {
    assert.equal(cidrsOverlap(parseCidr("0.0.0.0/0")!, parseCidr("::/0")!), false);
    assert.equal(cidrsOverlap(parseCidr("10.0.0.0/8")!, parseCidr("10.96.0.0/12")!), true);
  });

  it("splits host and port the way kubeadm accepts them", () => {
    assert.deepEqual(parseHostPort("[2001:db8::1]:6443"), { host: "2001:db8::1", port: 6443 });
    assert.deepEqual(parseHostPort("api.example.com"), { host: "api.example.com" });
    assert.ok("problem" in parseHostPort("api.example.com:"));
  });
});

describe("parseGoDuration", () => {
  it("reads compound and fractional durations as Go does", () => {
    assert.equal(parseGoDuration("1h30m"), 90 * 60_000);
    assert.equal(parseGoDuration("1.5h"), 90 * 60_000);
    assert.equal(parseGoDuration("1m30s500ms"), 90_500);
    assert.equal(parseGoDuration("0"), 0);
  });

  it("rejects what Go rejects: bare numbers, spaces, unknown units", () => {
    for (const text of ["15", "15 m", "1d", "", "h"]) assert.equal(parseGoDuration(text), undefined, text);
  });
});
