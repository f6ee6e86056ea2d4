// HostPrep's selinux and firewalld steps, exactly as the product sends them, on a rocky lab host that starts with
// SELinux enforcing and firewalld running (the lab's doubles; firewalld's rules are real nftables rules in the host's
// network namespace), and on an ubuntu host, which has neither (issue 15). Each step runs as its Command runs it, its
// undo and its refresh check as the host's PreparedHost does them (tests/support/host-steps).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostPrepSteps, type HostPrepStep } from "../../components/host-prep/steps";
import type { ClusterSpec } from "../../config/spec";
import { startLab, type Lab } from "../../lab";
import { shellQuote } from "../../config/quote";
import type { PreparedHostOutputs } from "../../providers/prepared-host";
import { HELPERS_DIRECTORY } from "../../providers/prepared-host/helpers";
import { clusterSpec, controlPlaneNode } from "../kubeadm/cluster-spec-fixture";
import { leftovers, snapshot, type MachineSnapshot } from "../lab/leftovers";
import { labConnection } from "../support/lab-connection";
import { labShell, type LabShell } from "../support/lab-shell";
import { preparedHost, refreshHost, repairOnHost, runStepCommand, undoOnHost } from "../support/host-steps";

const LAB = "hprhel";
const CONTROL_PLANE_PORTS = ["6443/tcp", "2379-2380/tcp", "10250/tcp", "10257/tcp", "10259/tcp", "8472/udp"];

describe("HostPrep: SELinux and firewalld on lab hosts", function () {
  this.timeout(300_000);
  let lab: Lab | undefined;
  let tmp: string;
  let machineBefore: MachineSnapshot;
  let shell: LabShell;
  const ok = (host: string, command: string, input = "") => shell.ok(host, command, { input });
  const ssh = (host: string, command: string) => shell.ssh(host, command);

  /** The steps of a control-plane node (its address the host's own, so the zone is the one of its interface). */
  function steps(host: string, hostPrep: ClusterSpec["hostPrep"] = { selinux: "permissive", firewalld: "openPorts" }) {
    const address = lab!.inventory.hosts.find((h) => h.name === host)!.address;
    const all = hostPrepSteps(clusterSpec("v1.35.4", { hostPrep }), controlPlaneNode(host, address));
    const byName = (name: string) => all.find((step) => step.name === name)!;
    return { preflight: byName("preflight"), selinux: byName("selinux"), firewalld: byName("firewalld"), all };
  }

  /** Runs a step as its Command does. */
  const runStep = (host: string, step: HostPrepStep) => runStepCommand(shell, host, step);

  async function succeeds(host: string, step: HostPrepStep) {
    const r = await runStep(host, step);
    assert.equal(r.code, 0, `${step.name}: ${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Undoes steps as the host's PreparedHost does on destroy (the last one first); the lines it printed. */
  const undo = (host: string, ...steps: HostPrepStep[]) => undoOnHost(labConnection(lab!, host), host, steps);

  /** Whether a port is open in the public zone: [runtime, permanent]. */
  async function open(host: string, port: string): Promise<[boolean, boolean]> {
    const query = (permanent: string) =>
      ssh(host, `firewall-cmd ${permanent} --zone=public --query-port=${shellQuote(port)}`);
    return [(await query("")).code === 0, (await query("--permanent")).code === 0];
  }

  /** What a destroy must give back: SELinux mode and config file, firewalld's zone (both configurations), its files. */
  function securityListing(host: string): Promise<string> {
    return ok(
      host,
      "getenforce; stat -c '%n %a %s' /etc/selinux/config; sha256sum /etc/selinux/config; " +
        "firewall-cmd --zone=public --list-all; firewall-cmd --permanent --zone=public --list-all; " +
        "find /etc/firewalld -printf '%p %m %y\\n' | sort; find /etc/firewalld -type f -exec sha256sum {} + | sort; " +
        "if test -e /var/lib/pulumi-kubeadm; then echo state; else echo no-state; fi",
    );
  }

  /** A TCP connection from one host to another's port: what it answered, or how it failed. */
  async function connect(from: string, to: string, port: number): Promise<string> {
    const address = lab!.inventory.hosts.find((h) => h.name === to)!.address;
    const r = await ssh(from, `socat -t 2 -T 5 - TCP:${shellQuote(address)}:${port},connect-timeout=5 </dev/null 2>&1`);
    return r.stdout.trim();
  }

  before(async function () {
    machineBefore = snapshot();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-hprhel-"));
    lab = await startLab({
      name: LAB,
      hosts: [
        { name: "r1", distro: "rocky", selinux: "enforcing", firewalld: true },
        { name: "u1", distro: "ubuntu" },
      ],
    });
    shell = labShell(lab, tmp);
    // Something listening on r1's API server port and on a port no step opens, answering each connection.
    for (const port of [6443, 7777]) {
      await ok(
        "r1",
        `systemd-run --unit=lab-listen-${port} socat TCP-LISTEN:${port},fork,reuseaddr SYSTEM:'echo hello'`,
      );
    }
  });

  after(async function () {
    await lab?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (machineBefore) assert.deepEqual(leftovers(LAB, machineBefore), []);
  });

  it("the rocky host starts with SELinux enforcing and firewalld rejecting all but ssh, for real", async () => {
    assert.equal(await ok("r1", "getenforce"), "Enforcing\n");
    assert.match(await ok("r1", "cat /etc/selinux/config"), /^SELINUX=enforcing$/m);
    assert.equal(await ok("r1", "systemctl is-active firewalld"), "active\n");
    assert.equal(await ok("r1", "firewall-cmd --state"), "running\n");
    assert.match(await ok("r1", "nft list chain inet firewalld filter_INPUT"), /hook input/);
    assert.match(await connect("u1", "r1", 6443), /No route to host/, "rejected: icmp admin-prohibited");
    assert.equal(await connect("r1", "r1", 6443), "hello", "the host reaches itself (loopback)");
  });

  it("prepares: permissive now and at boot, the ports open; a refresh sees drift the next run repairs; the undo gives back exactly what was there", async () => {
    const { selinux, firewalld, all } = steps("r1");
    // An admin's own port, open before the product came, and a host whose state directory another step made first
    // (a stack prepared before these steps existed).
    await ok("r1", "firewall-cmd --add-port=10250/tcp && firewall-cmd --permanent --add-port=10250/tcp");
    const swapOff = all.find((step) => step.name === "swap-off")!;
    const before = await securityListing("r1");
    await succeeds("r1", swapOff);
    const configBefore = await ok("r1", "cat /etc/selinux/config");

    assert.match(await succeeds("r1", selinux), /SELinux is permissive \(now and after a reboot\)/);
    assert.match(await succeeds("r1", firewalld), /firewalld lets in .*6443\/tcp.*\(zone public\)/);
    assert.equal(await ok("r1", "getenforce"), "Permissive\n");
    assert.equal(
      await ok("r1", "cat /etc/selinux/config"),
      configBefore.replace(/^SELINUX=enforcing$/m, "SELINUX=permissive"),
      "only the SELINUX= line changes",
    );
    for (const port of CONTROL_PLANE_PORTS) assert.deepEqual(await open("r1", port), [true, true], port);
    assert.equal(await connect("u1", "r1", 6443), "hello", "the real nftables rules let 6443 in");
    assert.match(await connect("u1", "r1", 7777), /No route to host/, "a port no step opened stays closed");
    // A refresh: the host's PreparedHost runs each step's check.
    let host: PreparedHostOutputs = await preparedHost(labConnection(lab!, "r1"), "r1", [selinux, firewalld]);
    host = await refreshHost("r1/prepared-host", host);
    assert.deepEqual(host.drift, {});

    // Drift: SELinux enforcing again, 6443 closed at runtime; the next run of each step repairs it.
    await ok("r1", "setenforce 1 && firewall-cmd --remove-port=6443/tcp");
    host = await refreshHost("r1/prepared-host", host);
    assert.deepEqual(host.drift, {
      selinux: ["SELinux is enforcing again (the step set it permissive)"],
      firewalld: ["firewalld no longer lets in 6443/tcp (zone public, runtime configuration)"],
    });
    assert.match(await connect("u1", "r1", 6443), /No route to host/);
    // The next up: the host's PreparedHost runs both steps again, in HostPrep's order.
    const repairLines = await repairOnHost("r1/prepared-host", host);
    assert.deepEqual(
      repairLines.filter((line) => / repaired in /.test(line)).map((line) => line.replace(/ in .*$/, "")),
      ["[r1] selinux: repaired", "[r1] firewalld: repaired"],
    );
    host = await refreshHost("r1/prepared-host", host);
    assert.deepEqual(host.drift, {});
    assert.equal(await connect("u1", "r1", 6443), "hello");

    // A reboot: SELinux as the config file says, firewalld loads the permanent configuration.
    await lab!.hostDown("r1");
    await lab!.hostUp("r1");
    await ok("r1", "systemd-run --unit=lab-listen-6443 socat TCP-LISTEN:6443,fork,reuseaddr SYSTEM:'echo hello'");
    assert.equal(await ok("r1", "getenforce"), "Permissive\n");
    assert.equal(await connect("u1", "r1", 6443), "hello");

    await undo("r1", selinux, firewalld);
    assert.equal(await ok("r1", "getenforce"), "Enforcing\n");
    assert.equal(await ok("r1", "cat /etc/selinux/config"), configBefore);
    assert.deepEqual(await open("r1", "10250/tcp"), [true, true], "the admin's port stays open");
    for (const port of CONTROL_PLANE_PORTS.filter((p) => p !== "10250/tcp"))
      assert.deepEqual(await open("r1", port), [false, false], port);
    assert.match(await connect("u1", "r1", 6443), /No route to host/);
    await undo("r1", swapOff);
    assert.equal(await securityListing("r1"), before);
    await ok("r1", "firewall-cmd --remove-port=10250/tcp && firewall-cmd --permanent --remove-port=10250/tcp");
  });

  it("with keep, the steps change nothing and the preflight reports SELinux and the closed ports with the key", async () => {
    const kept = steps("r1", { selinux: "keep", firewalld: "keep" });
    const before = await securityListing("r1");
    assert.match(await succeeds("r1", kept.selinux), /hostPrep\.selinux is keep/);
    assert.match(await succeeds("r1", kept.firewalld), /hostPrep\.firewalld is keep/);
    assert.equal(await securityListing("r1"), before);
    const preflight = await runStep("r1", kept.preflight);
    assert.equal(preflight.code, 1, preflight.stdout);
    assert.match(preflight.stderr, /^host r1 is not ready for kubeadm:$/m);
    assert.match(
      preflight.stderr,
      /SELinux is enforcing, and hostPrep\.selinux is keep: .*hostPrep\.selinux permissive/,
    );
    assert.match(
      preflight.stderr,
      /zone public does not let in 6443\/tcp 2379-2380\/tcp 10250\/tcp 10257\/tcp 10259\/tcp 8472\/udp, .*hostPrep\.firewalld openPorts/,
    );
    assert.equal(await securityListing("r1"), before);
  });

  it("on ubuntu (no SELinux, no firewalld) does nothing and records nothing", async () => {
    const { selinux, firewalld } = steps("u1");
    // The helpers the steps' commands source are the PreparedHost's, there from before the first step to after the
    // last undo (asserted gone at the end).
    const listing = () =>
      ok(
        "u1",
        `find /etc /var/lib -xdev \\( -path /var/lib/lab -o -path /var/lib/systemd -o -path ${HELPERS_DIRECTORY} \\) -prune -o -printf '%p %m %y %s\\n' | sort`,
      );
    const before = await listing();
    assert.match(await succeeds("u1", selinux), /SELinux is not enabled on this host: nothing to do/);
    assert.match(await succeeds("u1", firewalld), /firewalld is not running: no ports to open/);
    assert.equal((await ssh("u1", "test -e /var/lib/pulumi-kubeadm")).code, 1, "nothing recorded");
    assert.equal(await listing(), before);
    await undo("u1", selinux, firewalld);
    assert.equal(await listing(), before);
    assert.equal((await ssh("u1", `test -e ${HELPERS_DIRECTORY}`)).code, 1, "the helpers went with the PreparedHost");
  });
});
