// The lab's pure parts: names and addresses, argument parsing, durations, account files, faults.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "../../lab/cli";
import { hostSpecs } from "../../lab/controller";
import { checkSpec, initArgs, parseSecurity, type HostSpec } from "../../lab/spec";
import { accountFiles } from "../../lab/hosts/accounts";
import { candidateBlocks, checkLabName, labAddresses, nsPrefix } from "../../lab/names";
import { clearFaults, initShared, parseDuration, readFaults, setFault } from "../../lab/shared";

describe("lab units", function () {
  it("numbers lab addresses as the README says: a /20 per lab, 250 hosts per /24", function () {
    const first = labAddresses(0);
    assert.equal(first.cidr, "198.18.0.0/20");
    assert.equal(first.host(0), "198.18.0.2");
    assert.equal(first.host(249), "198.18.0.251");
    assert.equal(first.host(250), "198.18.1.2");
    assert.equal(first.host(16 * 250 - 1), "198.18.15.251");
    assert.throws(() => first.host(16 * 250));
    assert.throws(() => first.host(-1));
    assert.deepEqual(
      [first.gateway, first.loadBalancer, first.virtualIp, first.registry, first.machine],
      ["198.18.0.1", "198.18.0.252", "198.18.0.253", "198.18.15.253", "198.18.15.254"],
    );
    assert.equal(labAddresses(1).host(0), "198.18.16.2");
    const last = labAddresses(31);
    assert.equal(last.cidr, "198.19.240.0/20");
    assert.equal(last.machine, "198.19.255.254");
    assert.throws(() => labAddresses(32));
    // The default lab keeps the demo's addresses; no other lab may take them.
    assert.deepEqual(candidateBlocks("lab"), [0]);
    assert.ok(!candidateBlocks("lab2").includes(0));
  });

  it("refuses lab names whose namespace prefix could cover another lab's", function () {
    assert.equal(nsPrefix("lab"), "pk-lab-");
    assert.throws(() => checkLabName("lab-2"), /invalid lab name/);
    assert.throws(() => checkLabName("Lab"), /invalid lab name/);
    assert.throws(() => checkLabName("../x"), /invalid lab name/);
  });

  it("parses durations for the clock", function () {
    assert.equal(parseDuration("25h"), 90_000);
    assert.equal(parseDuration("1h30m"), 5400);
    assert.equal(parseDuration("2d"), 172_800);
    assert.equal(parseDuration("90"), 90);
    assert.equal(parseDuration("-1h"), -3600);
    assert.throws(() => parseDuration("1 hour"), /invalid duration/);
    assert.throws(() => parseDuration(""), /invalid duration/);
  });

  it("builds host specs from up's arguments", function () {
    assert.deepEqual(
      hostSpecs(3, "mixed").map((h) => `${h.name}:${h.distro}`),
      ["h1:ubuntu", "h2:rocky", "h3:ubuntu"],
    );
    assert.deepEqual(
      hostSpecs(undefined, "rocky", ["cp", "w1"]).map((h) => `${h.name}:${h.distro}`),
      ["cp:rocky", "w1:rocky"],
    );
    assert.deepEqual(
      hostSpecs(3, "rocky,ubuntu").map((h) => h.distro),
      ["rocky", "ubuntu", "rocky"],
    );
    assert.throws(() => hostSpecs(3, "ubuntu", ["a", "b"]), /3 hosts but 2 names/);
    assert.throws(() => hostSpecs(2, "debian"), /unknown distro/);
    assert.throws(() => hostSpecs(0), /positive integer/);
  });

  it("gives rocky hosts SELinux and firewalld as init-host options, and refuses them elsewhere", function () {
    assert.deepEqual(parseSecurity("selinux=enforcing,firewalld"), { selinux: "enforcing", firewalld: true });
    assert.throws(() => parseSecurity("selinux=on"), /unknown security option "selinux=on"/);
    assert.deepEqual(initArgs({ selinux: "enforcing", firewalld: true }), ["--selinux=enforcing", "--firewalld"]);
    assert.deepEqual(initArgs({}), []);
    const spec = (host: HostSpec) => ({ name: "sec", hosts: [host] });
    assert.doesNotThrow(() => checkSpec(spec({ name: "r1", distro: "rocky", selinux: "enforcing", firewalld: true })));
    assert.throws(() => checkSpec(spec({ name: "u1", distro: "ubuntu", firewalld: true })), /for rocky hosts/);
  });

  it("gives hosts a private registry (ubuntu only) and kinds of swap as init-host options", function () {
    assert.deepEqual(initArgs({ privateRegistry: true, swap: ["fstab", "unit", "zram"] }), [
      "--private-registry",
      "--swap=fstab,unit,zram",
    ]);
    assert.deepEqual(initArgs({ swap: ["fstab"] }), [], "a fresh install's swap file is the default");
    assert.deepEqual(initArgs({ swap: [] }), ["--swap=none"]);
    const spec = (host: HostSpec) => ({ name: "kinds", hosts: [host] });
    assert.doesNotThrow(() => checkSpec(spec({ name: "u1", distro: "ubuntu", privateRegistry: true, swap: [] })));
    assert.throws(() => checkSpec(spec({ name: "r1", distro: "rocky", privateRegistry: true })), /for ubuntu hosts/);
    assert.throws(
      () => checkSpec(spec({ name: "u1", distro: "ubuntu", swap: ["tmpfs" as "zram"] })),
      /unknown swap kind "tmpfs"/,
    );
    assert.throws(() => checkSpec(spec({ name: "u1", distro: "ubuntu", swap: ["unit", "unit"] })), /appears twice/);
  });

  it("parses the CLI's flags with or without '='", function () {
    const args = parseArgs(["up", "3", "--name", "x", "--distro=mixed", "--json", "--", "--not-a-flag"]);
    assert.deepEqual(args.positional, ["up", "3", "--not-a-flag"]);
    assert.equal(args.flags.get("name"), "x");
    assert.equal(args.flags.get("distro"), "mixed");
    assert.equal(args.flags.get("json"), true);
    assert.throws(() => parseArgs(["up", "--name"]), /needs a value/);
  });

  it("adds kube to the host's accounts without copying the machine's password hashes", function () {
    const etc = fs.mkdtempSync(path.join(os.tmpdir(), "lab-etc-"));
    try {
      fs.writeFileSync(
        path.join(etc, "passwd"),
        "root:x:0:0:root:/root:/bin/bash\nold:x:1500:1500::/home/old:/bin/sh\n",
      );
      fs.writeFileSync(path.join(etc, "group"), "root:x:0:\nold:x:1500:\n");
      fs.writeFileSync(path.join(etc, "shadow"), "root:$6$secret$hash:19000:0:99999:7:::\nold:$6$other:19000::::::\n");
      fs.writeFileSync(path.join(etc, "gshadow"), "root:$6$g::\n");
      const files = accountFiles(etc);
      assert.match(files.passwd, /^kube:x:1500:1500:kube:\/home\/kube:\/bin\/bash$/m);
      assert.doesNotMatch(files.passwd, /^old:/m, "a machine account with kube's uid is dropped");
      assert.doesNotMatch(files.shadow + files.gshadow, /\$6\$/);
      assert.match(files.shadow, /^root:\*:/m, "root: no password but not locked (key login)");
      assert.match(files.shadow, /^kube:\*:/m);
      assert.match(files.group, /^kube:x:1500:$/m);
    } finally {
      fs.rmSync(etc, { recursive: true, force: true });
    }
  });

  it("sets and clears faults per host and command", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-shared-"));
    try {
      initShared(dir);
      assert.equal(fs.readFileSync(path.join(dir, "clock"), "utf8"), "0\n");
      setFault(dir, "h1", "kubeadm init", { fail: "boom" });
      setFault(dir, "h1", "kubeadm join", { hang: 30 });
      setFault(dir, "h2", "crictl pull", { dropSsh: true });
      assert.deepEqual(readFaults(dir, "h1"), { "kubeadm init": { fail: "boom" }, "kubeadm join": { hang: 30 } });
      assert.throws(() => setFault(dir, "h1", "x", { hang: "long" } as never), /must be a number/);
      clearFaults(dir, "h1");
      assert.deepEqual(readFaults(dir, "h1"), {});
      assert.deepEqual(readFaults(dir, "h2"), { "crictl pull": { dropSsh: true } });
      clearFaults(dir);
      assert.deepEqual(fs.readdirSync(path.join(dir, "faults")), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
