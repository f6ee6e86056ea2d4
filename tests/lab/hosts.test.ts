// Lab hosts are real, isolated machines as far as SSH and the product can tell: each has its own hostname,
// files, kernel network settings and links, distribution, users and verified host key, and they reach each
// other on their lab addresses. Everything is checked with the real OpenSSH client.
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { knownHostsLine, startLab, type Lab } from "../../lab";
import { leftovers, snapshot, type MachineSnapshot } from "./leftovers";

const LAB = "hoststest";

interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe("lab hosts", function () {
  this.timeout(180_000);
  let lab: Lab | undefined;
  let tmp: string;
  let knownHosts: string;
  let machineBefore: MachineSnapshot;

  function ssh(
    host: string,
    command: string,
    options: { user?: string; knownHostsFile?: string } = {},
  ): Promise<SshResult> {
    const args = [...lab!.sshArgs(host, options.user ?? "root", options.knownHostsFile ?? knownHosts), command];
    return new Promise((resolve) => {
      execFile("ssh", args, { encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 255) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async function sshOk(host: string, command: string, user = "root"): Promise<string> {
    const result = await ssh(host, command, { user });
    assert.equal(result.code, 0, `${user}@${host}: ${command}: ${result.stderr}`);
    return result.stdout.trim();
  }

  before(async function () {
    machineBefore = snapshot();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-hosts-"));
    // Placeholder doubles: which family folder reaches which host is the lab's job, what they do is not.
    const doubles = path.join(tmp, "doubles");
    for (const [rel, text] of [
      ["bin/lab-hello", "#!/bin/sh\necho hello from $(hostname)\n"],
      ["apt/lab-apt-only", "#!/bin/sh\necho apt\n"],
      ["yum/lab-yum-only", "#!/bin/sh\necho yum\n"],
    ]) {
      fs.mkdirSync(path.dirname(path.join(doubles, rel)), { recursive: true });
      fs.writeFileSync(path.join(doubles, rel), text, { mode: 0o755 });
    }
    lab = await startLab(
      {
        name: LAB,
        hosts: [
          { name: "h1", distro: "ubuntu" },
          { name: "h2", distro: "ubuntu" },
          { name: "h3", distro: "rocky" },
        ],
      },
      { doublesDir: doubles },
    );
    // Pinned from the inventory, independently of the lab's own known_hosts file.
    knownHosts = path.join(tmp, "known_hosts");
    fs.writeFileSync(knownHosts, lab.inventory.hosts.map((h) => knownHostsLine(h) + "\n").join(""));
  });

  after(async function () {
    await lab?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.deepEqual(leftovers(LAB, machineBefore), []);
  });

  it("describes every host in the inventory with the README's addresses and an ed25519 host key", function () {
    const inv = lab!.inventory;
    assert.equal(inv.name, LAB);
    assert.ok(fs.existsSync(inv.privateKeyPath));
    assert.deepEqual(
      inv.hosts.map((h) => [h.name, h.distro, h.address, h.sshAddress]),
      [
        ["h1", "ubuntu", lab!.network.host(0), "127.0.0.1"],
        ["h2", "ubuntu", lab!.network.host(1), "127.0.0.1"],
        ["h3", "rocky", lab!.network.host(2), "127.0.0.1"],
      ],
    );
    for (const h of inv.hosts) {
      assert.match(h.hostKey, /^ssh-ed25519 AAAA[A-Za-z0-9+/=]+$/);
      assert.deepEqual(h.users, ["root", "kube"]);
    }
    assert.equal(new Set(inv.hosts.map((h) => h.hostKey)).size, 3, "each host has its own key");
    assert.equal(new Set(inv.hosts.map((h) => h.sshPort)).size, 3);
  });

  it("gives each host its own hostname", async function () {
    for (const h of ["h1", "h2", "h3"]) assert.equal(await sshOk(h, "hostname"), h);
    assert.notEqual(os.hostname(), "h1");
  });

  it("keeps files written on a host on that host", async function () {
    const name = `isolation-${process.pid}`;
    await sshOk("h1", `mkdir -p /etc/kubernetes && echo h1 > /etc/kubernetes/${name} && echo x > /usr/bin/${name}`);
    assert.equal(await sshOk("h1", `cat /etc/kubernetes/${name}`), "h1");
    assert.equal((await ssh("h2", `test -e /etc/kubernetes/${name}`)).code, 1);
    assert.equal(fs.existsSync(`/etc/kubernetes/${name}`), false);
    assert.equal(fs.existsSync(`/usr/bin/${name}`), false);
    // Nor can a host read another's files through the lab's state dir on the machine.
    assert.equal((await ssh("h2", `test -e ${lab!.dir}`)).code, 1);
    assert.equal((await ssh("h2", `test -e ${lab!.inventory.privateKeyPath}`)).code, 1);
    // The same file, seen without SSH.
    assert.equal((await lab!.run("h1", `cat /etc/kubernetes/${name}`)).trim(), "h1");
  });

  it("keeps kernel network settings per host", async function () {
    const machine = fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
    const h2Before = await sshOk("h2", "cat /proc/sys/net/ipv4/ip_forward");
    await sshOk("h1", "sysctl -w net.ipv4.ip_forward=1");
    assert.equal(await sshOk("h1", "cat /proc/sys/net/ipv4/ip_forward"), "1");
    assert.equal(await sshOk("h2", "cat /proc/sys/net/ipv4/ip_forward"), h2Before);
    assert.equal(fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(), machine);
  });

  it("does not let a host change machine-wide kernel settings", async function () {
    const result = await ssh("h1", "sysctl -w kernel.pid_max=4194303");
    assert.notEqual(result.code, 0);
    assert.notEqual(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8").trim(), "4194303");
  });

  it("keeps network links per host", async function () {
    // This kernel has no dummy links; a veth pair is a link all the same.
    await sshOk("h1", "ip link add dummy0 type veth peer name dummy0p && ip link show dummy0");
    assert.notEqual((await ssh("h2", "ip link show dummy0")).code, 0);
    const machine = await new Promise<number>((resolve) =>
      execFile("ip", ["link", "show", "dummy0"], (e) => resolve(e ? 1 : 0)),
    );
    assert.equal(machine, 1, "dummy0 must not exist on the machine");
  });

  it("looks like the chosen distribution, with only that family's package tools", async function () {
    for (const h of ["h1", "h2"]) {
      assert.match(await sshOk(h, "cat /etc/os-release"), /^ID=ubuntu$/m);
      assert.equal((await ssh(h, "command -v dnf")).code, 1);
      assert.equal(await sshOk(h, "lab-apt-only"), "apt");
      assert.equal((await ssh(h, "command -v lab-yum-only")).code, 1);
    }
    assert.match(await sshOk("h3", "cat /etc/os-release"), /^NAME="Rocky Linux"$/m);
    assert.match(await sshOk("h3", "cat /etc/os-release"), /^ID="rocky"$/m);
    assert.equal((await ssh("h3", "command -v apt-get")).code, 1);
    assert.equal((await ssh("h3", "test -e /var/lib/dpkg")).code, 1);
    assert.equal(await sshOk("h3", "lab-yum-only"), "yum");
    assert.equal((await ssh("h3", "command -v lab-apt-only")).code, 1);
  });

  it("installs the doubles ahead of the machine's tools and shares the lab's inputs on /lab", async function () {
    assert.equal(await sshOk("h2", "command -v lab-hello"), "/usr/local/bin/lab-hello");
    assert.equal(await sshOk("h2", "lab-hello"), "hello from h2");
    assert.equal(await sshOk("h2", "cat /lab/clock"), "0");
    assert.equal(await sshOk("h2", "test -x /lab/doubles/bin/lab-hello && echo ok"), "ok");
    assert.equal((await ssh("h2", "touch /lab/doubles/x")).code, 1, "the repository's doubles are read-only");
    lab!.advanceClock("25h");
    assert.equal(await sshOk("h1", "cat /lab/clock"), String(25 * 3600));
    lab!.setFault("h1", "apt-get install", { fail: "boom" });
    assert.deepEqual(JSON.parse(await sshOk("h1", "cat /lab/faults/h1.json")), { "apt-get install": { fail: "boom" } });
    lab!.clearFaults();
    lab!.resetClock();
    assert.equal((await ssh("h1", "test -e /lab/faults/h1.json")).code, 1);
  });

  it("lets a worker reach a port opened on the master's lab address", async function () {
    const h1 = lab!.host("h1").address;
    await sshOk("h1", "setsid socat TCP-LISTEN:6443,reuseaddr,fork SYSTEM:hostname </dev/null >/dev/null 2>&1 &");
    const reply = await sshOk(
      "h2",
      `for i in $(seq 50); do out=$(socat -T5 - TCP:${h1}:6443 </dev/null 2>/dev/null) && [ -n "$out" ] && echo "$out" && exit 0; sleep 0.1; done; exit 1`,
    );
    assert.equal(reply, "h1");
  });

  it("logs kube in with a key and gives it passwordless sudo", async function () {
    assert.equal(await sshOk("h3", "id -un; id -u", "kube"), "kube\n1500");
    assert.equal(await sshOk("h3", "sudo -n true && sudo -n id -u", "kube"), "0");
    assert.equal(await sshOk("h1", "sudo -n id -u", "kube"), "0");
    // Not the machine's: kube exists only on the hosts.
    assert.ok(!fs.readFileSync("/etc/passwd", "utf8").includes("kube:x:1500"));
  });

  it("verifies host keys: a wrong pinned key makes ssh fail", async function () {
    const wrong = path.join(tmp, "wrong_known_hosts");
    const h1 = lab!.host("h1");
    fs.writeFileSync(wrong, knownHostsLine({ ...h1, hostKey: lab!.host("h2").hostKey }) + "\n");
    const result = await ssh("h1", "true", { knownHostsFile: wrong });
    assert.equal(result.code, 255);
    assert.match(result.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    const empty = path.join(tmp, "empty_known_hosts");
    fs.writeFileSync(empty, "");
    assert.equal((await ssh("h1", "true", { knownHostsFile: empty })).code, 255);
  });

  it("switches a host off and reboots it with its disk but fresh /run, /tmp and kernel state", async function () {
    await sshOk(
      "h3",
      "echo disk > /etc/lab-reboot; echo gone > /tmp/lab-reboot; echo gone > /run/lab-reboot; " +
        "echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-lab.conf; sysctl -qw net.ipv4.tcp_keepalive_time=4321",
    );
    await lab!.hostDown("h3");
    assert.equal(lab!.isUp("h3"), false);
    assert.equal((await ssh("h3", "true")).code, 255);
    await assert.rejects(lab!.exec("h3", "true"), /down/);
    // The others do not notice.
    assert.equal(await sshOk("h2", "hostname"), "h2");
    await lab!.hostUp("h3");
    assert.equal(await sshOk("h3", "cat /etc/lab-reboot"), "disk");
    assert.equal(await sshOk("h3", "ls /tmp /run | grep -c lab-reboot || true"), "0");
    // Runtime settings are gone; persisted ones are applied at boot, as systemd-sysctl would.
    assert.equal(await sshOk("h3", "cat /proc/sys/net/ipv4/tcp_keepalive_time"), "7200");
    assert.equal(await sshOk("h3", "cat /proc/sys/net/ipv4/ip_forward"), "1");
  });
});
