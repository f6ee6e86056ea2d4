// The RHEL family's SELinux tools and firewalld, as lab doubles: what the host preparation asks of them behaves like
// libselinux-utils and firewalld 1.3 (texts, exit codes, root only), the mode after a boot is the config file's,
// and firewalld keeps its zone file format and turns its runtime configuration into nftables rules.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DoublesLab } from "./doubles-harness";

describe("lab doubles: SELinux and firewalld (rocky)", function () {
  this.timeout(60000);
  let lab: DoublesLab;
  afterEach(() => lab?.cleanup());

  describe("SELinux", () => {
    it("is disabled on a rocky host started without it, and setenforce says so", () => {
      lab = new DoublesLab("rocky");
      assert.equal(lab.run("getenforce").stdout, "Disabled\n");
      assert.equal(lab.run("selinuxenabled").code, 1);
      assert.equal(lab.run("sestatus").stdout, "SELinux status:                 disabled\n");
      const r = lab.run("setenforce", ["0"]);
      assert.deepEqual([r.code, r.stderr], [1, "setenforce: SELinux is disabled\n"]);
      assert.equal(lab.exists("/etc/selinux/config"), false);
    });

    it("starts enforcing from /etc/selinux/config; setenforce changes the running mode only, as root only", () => {
      lab = new DoublesLab("rocky", { initArgs: ["--selinux=enforcing"] });
      assert.match(lab.read("/etc/selinux/config"), /^SELINUX=enforcing$/m);
      assert.match(lab.read("/etc/selinux/config"), /^SELINUXTYPE=targeted$/m);
      assert.equal(lab.run("getenforce").stdout, "Enforcing\n");
      assert.equal(lab.run("selinuxenabled").code, 0);

      const denied = lab.run("setenforce", ["0"], { env: { LAB_UID: "1500" } });
      assert.deepEqual(
        [denied.code, denied.stderr],
        [1, "setenforce: security_setenforce() failed: Permission denied\n"],
      );
      assert.equal(lab.run("getenforce", [], { env: { LAB_UID: "1500" } }).stdout, "Enforcing\n", "anyone may read it");
      const usage = lab.run("setenforce", ["maybe"]);
      assert.deepEqual([usage.code, usage.stderr], [1, "usage:  setenforce [ Enforcing | Permissive | 1 | 0 ]\n"]);

      assert.equal(lab.run("setenforce", ["0"]).code, 0);
      assert.equal(lab.run("getenforce").stdout, "Permissive\n");
      assert.match(lab.run("sestatus").stdout, /^Current mode:\s+permissive\nMode from config file:\s+enforcing$/m);
      assert.equal(lab.run("setenforce", ["Enforcing"]).code, 0);
      assert.equal(lab.run("getenforce").stdout, "Enforcing\n");
      assert.ok(
        lab.commands().some((line) => / uid=\d+ setenforce 0$/.test(line)),
        "logged",
      );
    });

    it("after a reboot the mode is the config file's", () => {
      lab = new DoublesLab("rocky", { initArgs: ["--selinux=enforcing"] });
      assert.equal(lab.run("setenforce", ["0"]).code, 0);
      const reboot = () => lab.run(path.join(lab.root, "doubles", "init-host"), ["rocky", "--selinux=enforcing"]);
      assert.equal(reboot().code, 0);
      assert.equal(lab.run("getenforce").stdout, "Enforcing\n", "setenforce does not survive a reboot");
      lab.write(
        "/etc/selinux/config",
        lab.read("/etc/selinux/config").replace("SELINUX=enforcing", "SELINUX=permissive"),
      );
      assert.equal(reboot().code, 0, "the options only matter at the first boot");
      assert.equal(lab.run("getenforce").stdout, "Permissive\n");
      lab.write(
        "/etc/selinux/config",
        lab.read("/etc/selinux/config").replace("SELINUX=permissive", "SELINUX=disabled"),
      );
      assert.equal(reboot().code, 0);
      assert.equal(lab.run("selinuxenabled").code, 1);
    });

    it("SELinux and firewalld are refused on ubuntu hosts", () => {
      lab = new DoublesLab("ubuntu", { init: false });
      const r = lab.run(path.join(lab.root, "doubles", "init-host"), ["ubuntu", "--firewalld"]);
      assert.equal(r.code, 2);
    });
  });

  describe("firewalld", () => {
    const rules = () => fs.readFileSync(path.join(lab.state, "firewalld", "ruleset.nft"), "utf8");
    const start = () => assert.equal(lab.run("firewalld", ["--lab-start"]).code, 0);

    it("is not running until its unit starts it; the package is installed and enabled", () => {
      lab = new DoublesLab("rocky", { initArgs: ["--firewalld"] });
      assert.ok(lab.exists("/usr/lib/systemd/system/firewalld.service"));
      assert.deepEqual(fs.readdirSync(lab.path("/etc/firewalld/zones")), [], "the package's, empty");
      assert.equal(
        fs.readlinkSync(lab.path("/etc/systemd/system/multi-user.target.wants/firewalld.service")),
        "/usr/lib/systemd/system/firewalld.service",
      );
      const stopped = lab.run("firewall-cmd", ["--state"]);
      assert.deepEqual([stopped.code, stopped.stdout, stopped.stderr], [252, "", "not running\n"]);
      const other = lab.run("firewall-cmd", ["--add-port=6443/tcp"]);
      assert.deepEqual([other.code, other.stderr], [252, "FirewallD is not running\n"]);
      start();
      assert.deepEqual([lab.run("firewall-cmd", ["--state"]).stdout], ["running\n"]);
      assert.equal(lab.run("firewall-cmd", ["--get-default-zone"]).stdout, "public\n");
      assert.equal(lab.run("firewall-cmd", ["--list-services"]).stdout, "ssh dhcpv6-client cockpit\n");
      assert.equal(lab.run("firewalld", ["--lab-stop"]).code, 0);
      assert.equal(lab.run("firewall-cmd", ["--state"]).code, 252);
    });

    it("opens ports at runtime and permanently, in firewalld's zone file format, and enforces them", () => {
      lab = new DoublesLab("rocky", { initArgs: ["--firewalld"] });
      start();
      assert.doesNotMatch(rules(), /6443/);
      assert.match(rules(), /^\s+tcp dport 22 accept$/m);
      assert.match(rules(), /^\s+reject with icmpx admin-prohibited$/m);

      let r = lab.run("firewall-cmd", ["--add-port=6443/tcp", "--add-port=2379-2380/tcp"]);
      assert.deepEqual([r.code, r.stdout], [0, "success\n"]);
      assert.match(rules(), /^\s+tcp dport 6443 accept$/m);
      assert.match(rules(), /^\s+tcp dport 2379-2380 accept$/m);
      assert.equal(lab.exists("/etc/firewalld/zones/public.xml"), false, "runtime only");
      assert.equal(lab.run("firewall-cmd", ["--permanent", "--query-port=6443/tcp"]).stdout, "no\n");

      r = lab.run("firewall-cmd", ["--permanent", "--zone=public", "--add-port=6443/tcp"]);
      assert.deepEqual([r.code, r.stdout], [0, "success\n"]);
      assert.equal(
        lab.read("/etc/firewalld/zones/public.xml"),
        '<?xml version="1.0" encoding="utf-8"?>\n<zone>\n  <short>Public</short>\n' +
          "  <description>For use in public areas. You do not trust the other computers on networks to not harm your computer. Only selected incoming connections are accepted.</description>\n" +
          '  <service name="ssh"/>\n  <service name="dhcpv6-client"/>\n  <service name="cockpit"/>\n' +
          '  <port port="6443" protocol="tcp"/>\n  <forward/>\n</zone>\n',
      );
      r = lab.run("firewall-cmd", ["--permanent", "--add-port=6443/tcp"]);
      assert.deepEqual(
        [r.code, r.stdout, r.stderr],
        [0, "success\n", "Warning: ALREADY_ENABLED: '6443:tcp' already in 'public'\n"],
      );
      assert.equal(lab.exists("/etc/firewalld/zones/public.xml.old"), false, "nothing changed, nothing written");

      const query = lab.run("firewall-cmd", ["--query-port=10250/tcp"]);
      assert.deepEqual([query.code, query.stdout], [1, "no\n"]);
      assert.equal(lab.run("firewall-cmd", ["-q", "--query-port=6443/tcp"]).stdout, "");
      assert.equal(lab.run("firewall-cmd", ["-q", "--query-port=6443/tcp"]).code, 0);

      r = lab.run("firewall-cmd", ["--remove-port=6443/tcp"]);
      assert.equal(r.code, 0);
      assert.doesNotMatch(rules(), /dport 6443 /);
      r = lab.run("firewall-cmd", ["--remove-port=6443/tcp"]);
      assert.deepEqual([r.code, r.stderr], [0, "Warning: NOT_ENABLED: '6443:tcp' not in 'public'\n"]);
      r = lab.run("firewall-cmd", ["--permanent", "--remove-port=6443/tcp"]);
      assert.equal(r.code, 0);
      assert.doesNotMatch(lab.read("/etc/firewalld/zones/public.xml"), /6443/);
      assert.match(lab.read("/etc/firewalld/zones/public.xml.old"), /6443/, "firewalld keeps the previous file");

      // A reload replaces the runtime configuration with the permanent one.
      assert.equal(lab.run("firewall-cmd", ["--add-port=8472/udp"]).code, 0);
      assert.equal(lab.run("firewall-cmd", ["--reload"]).code, 0);
      assert.equal(lab.run("firewall-cmd", ["--query-port=8472/udp"]).code, 1);
    });

    it("refuses changes by a non-root user and malformed ports, with firewalld's codes", () => {
      lab = new DoublesLab("rocky", { initArgs: ["--firewalld"] });
      start();
      const denied = lab.run("firewall-cmd", ["--add-port=6443/tcp"], { env: { LAB_UID: "1500" } });
      assert.equal(denied.code, 253);
      assert.match(denied.stderr, /^Authorization failed\./);
      assert.equal(lab.run("firewall-cmd", ["--query-port=22/tcp"], { env: { LAB_UID: "1500" } }).code, 1);
      assert.equal(lab.run("firewall-cmd", ["--add-port=6443"]).code, 102);
      assert.equal(lab.run("firewall-cmd", ["--add-port=99999/tcp"]).code, 102);
      assert.equal(lab.run("firewall-cmd", ["--add-port=6443/xyz"]).code, 103);
      assert.equal(lab.run("firewall-cmd", ["--zone=nosuch", "--list-ports"]).code, 112);
      const noZone = lab.run("firewall-cmd", ["--get-zone-of-interface=eth0"]);
      assert.deepEqual([noZone.code, noZone.stderr], [2, "no zone\n"]);
    });

    it("an interface bound to another zone gets that zone's rules", () => {
      lab = new DoublesLab("rocky", { initArgs: ["--firewalld"] });
      start();
      assert.equal(lab.run("firewall-cmd", ["--zone=trusted", "--change-interface=eth1"]).code, 0);
      assert.equal(lab.run("firewall-cmd", ["--get-zone-of-interface=eth1"]).stdout, "trusted\n");
      assert.match(rules(), /iifname "eth1" goto filter_IN_trusted/);
      assert.match(rules(), /chain filter_IN_trusted \{\n.*\n\s+accept\n\s+\}/);
    });
  });
});
