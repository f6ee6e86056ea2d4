// Host preparation doubles: modprobe/lsmod, sysctl, swapon/swapoff and /etc/fstab, curl.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import { DoublesLab } from "./doubles-harness";

describe("lab doubles: modules, sysctl, swap, curl", function () {
  this.timeout(60000);
  let lab: DoublesLab;
  beforeEach(() => (lab = new DoublesLab("ubuntu")));
  afterEach(() => lab.cleanup());

  it("modprobe loads known modules (and their dependencies); unknown ones fail like modprobe", () => {
    assert.equal(lab.run("lsmod").stdout, "Module                  Size  Used by\n");
    assert.equal(lab.run("modprobe", ["overlay"]).code, 0);
    assert.equal(lab.run("modprobe", ["br_netfilter"]).code, 0);
    const ls = lab.run("lsmod").stdout;
    assert.match(ls, /^br_netfilter\s+\d+\s+0$/m);
    assert.match(ls, /^bridge\s+\d+\s+1 br_netfilter$/m);
    assert.match(ls, /^overlay\s+\d+\s+0$/m);
    const r = lab.run("modprobe", ["foo"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `modprobe: FATAL: Module foo not found in directory /lib/modules/${os.release()}\n`);
    assert.equal(lab.run("modprobe", ["-r", "bridge"]).code, 1, "in use by br_netfilter");
    assert.equal(lab.run("modprobe", ["-r", "br_netfilter"]).code, 0);
  });

  it("net.bridge.* exists only while br_netfilter is loaded", () => {
    let r = lab.run("sysctl", ["-w", "net.bridge.bridge-nf-call-iptables=1"]);
    assert.equal(r.code, 255);
    assert.equal(
      r.stderr,
      "sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\n",
    );
    r = lab.run("sysctl", ["net.bridge.bridge-nf-call-iptables"]);
    assert.equal(r.code, 255);
    lab.run("modprobe", ["br_netfilter"]);
    r = lab.run("sysctl", ["-w", "net.bridge.bridge-nf-call-iptables=1"]);
    assert.deepEqual([r.code, r.stdout], [0, "net.bridge.bridge-nf-call-iptables = 1\n"]);
    assert.equal(
      lab.run("sysctl", ["-n", "net.bridge.bridge-nf-call-ip6tables"]).stdout,
      "1\n",
      "br_netfilter's default",
    );
  });

  it("net.* keys are written for real (here: the test's proc tree); others are only recorded", () => {
    let r = lab.run("sysctl", ["-w", "net.ipv4.ip_forward=1"]);
    assert.deepEqual([r.code, r.stdout], [0, "net.ipv4.ip_forward = 1\n"]);
    assert.equal(lab.procRead("net/ipv4/ip_forward"), "1");
    r = lab.run("sysctl", ["-w", "kernel.pid_max=65536"]);
    assert.equal(r.code, 0);
    assert.equal(lab.procRead("kernel/pid_max"), "4194304", "never written");
    assert.equal(lab.run("sysctl", ["kernel.pid_max"]).stdout, "kernel.pid_max = 65536\n");
    assert.deepEqual(lab.stateJson("sysctl.json"), { "kernel.pid_max": "65536" });
    assert.equal(lab.run("sysctl", ["-n", "net/ipv4/ip_forward"]).stdout, "1\n", "slash form");
    r = lab.run("sysctl", ["-w", "net.ipv4.no_such_key=1"]);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, "sysctl: cannot stat /proc/sys/net/ipv4/no_such_key: No such file or directory\n");
  });

  it("on the machine itself (no LAB_PROC_SYS, not a lab host) nothing is ever written to /proc/sys", () => {
    const before = {
      forward: fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8"),
      swappiness: fs.readFileSync("/proc/sys/vm/swappiness", "utf8"),
    };
    const env = { LAB_PROC_SYS: "" };
    const flip = before.forward.trim() === "1" ? "0" : "1";
    assert.equal(lab.run("sysctl", ["-w", `net.ipv4.ip_forward=${flip}`], { env }).code, 0);
    assert.equal(lab.run("sysctl", ["-w", "vm.swappiness=7"], { env }).code, 0);
    assert.equal(fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8"), before.forward);
    assert.equal(fs.readFileSync("/proc/sys/vm/swappiness", "utf8"), before.swappiness);
    assert.equal(lab.run("sysctl", ["-n", "vm.swappiness"], { env }).stdout, "7\n", "recorded");
  });

  it("sysctl --system and -p apply files in systemd's order", () => {
    lab.write(
      "/etc/sysctl.d/k8s.conf",
      "# kubernetes\nnet.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward=1\n",
    );
    lab.write("/usr/lib/sysctl.d/50-pid-max.conf", "kernel.pid_max = 4194304\n");
    let r = lab.run("sysctl", ["--system"]);
    assert.equal(r.code, 255, "br_netfilter is not loaded");
    assert.equal(
      r.stdout,
      "* Applying /usr/lib/sysctl.d/50-pid-max.conf ...\nkernel.pid_max = 4194304\n* Applying /etc/sysctl.d/k8s.conf ...\nnet.ipv4.ip_forward = 1\n",
    );
    assert.equal(
      r.stderr,
      "sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\n",
    );
    lab.run("modprobe", ["br_netfilter"]);
    r = lab.run("sysctl", ["-p", "/etc/sysctl.d/k8s.conf"]);
    assert.deepEqual([r.code, r.stdout], [0, "net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 1\n"]);
    r = lab.run("sysctl", ["-p", "/etc/sysctl.d/nope.conf"]);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, 'sysctl: cannot open "/etc/sysctl.d/nope.conf": No such file or directory\n');
  });

  it("swap is on at start; swapoff -a turns it off until swapon -a, which reads /etc/fstab", () => {
    assert.match(lab.read("/etc/fstab"), /^\/swap\.img\tnone\tswap\tsw\t0\t0$/m);
    assert.equal(
      lab.run("swapon", ["--show"]).stdout,
      "NAME      TYPE SIZE USED PRIO\n/swap.img file   2G   0B   -2\n",
    );
    assert.equal(lab.run("swapoff", ["-a"]).code, 0);
    assert.equal(lab.run("swapon", ["--show"]).stdout, "");
    assert.equal(lab.run("swapon", ["-a"]).code, 0);
    assert.match(lab.run("swapon", ["--show"]).stdout, /\/swap\.img/, "the fstab line turns it back on");
    lab.write("/etc/fstab", lab.read("/etc/fstab").replace(/^\/swap\.img/m, "# /swap.img"));
    lab.run("swapoff", ["-a"]);
    lab.run("swapon", ["-a"]);
    assert.equal(lab.run("swapon", ["--show"]).stdout, "");
  });

  it("curl serves the catalogue's files and fails like curl otherwise", () => {
    let r = lab.run("curl", ["-fsSL", "https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    const dearmored = lab.sh(
      "curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key | gpg --dearmor | wc -c",
    );
    assert.ok(Number(dearmored.stdout.trim()) > 50, dearmored.stderr);
    r = lab.run("curl", ["-fsSL", "https://example.com/x"]);
    assert.deepEqual([r.code, r.stderr], [6, "curl: (6) Could not resolve host: example.com\n"]);
    r = lab.run("curl", ["-fsSL", "https://pkgs.k8s.io/core:/stable:/v1.99/deb/Release.key"]);
    assert.deepEqual([r.code, r.stderr], [22, "curl: (22) The requested URL returned error: 404\n"]);
    r = lab.run("curl", [
      "-fsSLo",
      "/etc/yum.repos.d/docker-ce.repo",
      "https://download.docker.com/linux/centos/docker-ce.repo",
    ]);
    assert.equal(r.code, 23, "no such directory on ubuntu");
    lab.labWrite("registries.json", { blocked: ["pkgs.k8s.io"] });
    assert.equal(lab.run("curl", ["-fsSL", "https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key"]).code, 6);
  });
});
