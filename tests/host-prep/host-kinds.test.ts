// HostPrep's steps on hosts that are not blank (issue 15): one whose containerd its admin set up for a private
// registry before the product came, and one with swap of every kind the kubelet would trip on after a reboot (fstab
// lines plain, indented and three-field, a systemd .swap unit, zram-generator's device). The steps run exactly as the
// product sends them (each its Command's command line; the undos as the host's PreparedHost runs them, last step
// first: tests/support/host-steps); the undos give back the host as it was (lab/spec.ts HostSetup makes these hosts).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostPrepSteps, type HostPrepStep } from "../../components/host-prep/steps";
import { startLab, type Lab } from "../../lab";
import { clusterSpec, workerNode } from "../kubeadm/cluster-spec-fixture";
import { leftovers, snapshot, type MachineSnapshot } from "../lab/leftovers";
import { labConnection } from "../support/lab-connection";
import { labShell, type LabShell } from "../support/lab-shell";
import { runStepCommand, undoOnHost } from "../support/host-steps";

const LAB = "swkinds";
const APT_MIRROR = "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/";
const YUM_MIRROR = "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/";
const REGISTRY_DIR = "/etc/containerd/certs.d/registry.corp.example:5000";
const ALL_SWAP = ["/dev/vdb2", "/dev/zram0", "/swap.img", "/swapfile", "/var/swap"];

describe("HostPrep on hosts with a private registry and every kind of swap", function () {
  this.timeout(600_000);
  let lab: Lab | undefined;
  let tmp: string;
  let machineBefore: MachineSnapshot;
  let shell: LabShell;
  const ok = (host: string, command: string) => shell.ok(host, command);

  const steps = hostPrepSteps(
    clusterSpec("v1.35.4", {
      packages: {
        apt: { kubernetesRepository: APT_MIRROR, kubernetesKeyUrl: `${APT_MIRROR}Release.key` },
        yum: { kubernetesRepository: YUM_MIRROR, kubernetesKeyUrl: `${YUM_MIRROR}repodata/repomd.xml.key` },
      },
    }),
    workerNode(),
  );
  const step = (name: string) => steps.find((candidate) => candidate.name === name)!;

  /** Runs a step as its Command does, asserting it succeeded; its output. */
  async function runStep(host: string, hostStep: HostPrepStep) {
    const r = await runStepCommand(shell, host, hostStep);
    assert.equal(r.code, 0, `${hostStep.name}: ${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Undoes steps as the host's PreparedHost does on destroy (the last one first); the lines it printed. */
  const undo = (host: string, ...hostSteps: HostPrepStep[]) => undoOnHost(labConnection(lab!, host), host, hostSteps);

  /**
   * What an undo must give back: every file under /etc and /opt with its checksum, links, the installed packages,
   * the enabled and masked units, what runs, and the active swap.
   */
  function listing(host: string): Promise<string> {
    return ok(
      host,
      [
        "find /etc /opt -xdev -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum",
        "echo '# links'; find /etc /opt -xdev -type l -printf '%p -> %l\\n' 2>/dev/null | sort",
        "echo '# directories'; find /etc /opt -xdev -type d 2>/dev/null | sort",
        "echo '# packages'; (dpkg-query -W 2>/dev/null || rpm -qa 2>/dev/null) | sort",
        "echo '# units'; systemctl list-unit-files --state=enabled,masked --no-legend | awk '{print $1, $2}' | sort",
        "echo '# running'; systemctl is-active containerd kubelet 2>&1 || true",
        "echo '# swap'; swapon --noheadings --raw --show=NAME,PRIO | sort",
      ].join("; "),
    );
  }

  const activeSwap = async (host: string) =>
    (await ok(host, "swapon --noheadings --show=NAME")).split("\n").filter(Boolean).sort();

  async function reboot(host: string) {
    await lab!.hostDown(host);
    await lab!.hostUp(host);
  }

  before(async function () {
    machineBefore = snapshot();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-swkinds-"));
    lab = await startLab({
      name: LAB,
      hosts: [
        { name: "corp", distro: "ubuntu", privateRegistry: true },
        { name: "swp", distro: "rocky", swap: ["fstab", "fstab-indented", "fstab-short", "unit", "zram"] },
      ],
    });
    shell = labShell(lab, tmp);
  });

  after(async function () {
    await lab?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (machineBefore) assert.deepEqual(leftovers(LAB, machineBefore), []);
  });

  it("keeps the host's private registry working for the cluster's containerd, and the undos give its containerd back", async () => {
    // The host has just booted: sshd answers before systemd has started every enabled unit (containerd was seen
    // "activating" with an engine test running beside this file). Its state is judged once the boot is over,
    // running or degraded, as in existing-docker.test.ts.
    await shell.ssh("corp", "systemctl is-system-running --wait");
    assert.equal(
      await ok("corp", "systemctl is-enabled containerd; systemctl is-active containerd"),
      "enabled\nactive\n",
    );
    const registryFiles = await ok(
      "corp",
      `cat ${REGISTRY_DIR}/hosts.toml ${REGISTRY_DIR}/ca.crt | sha256sum; ls -l ${REGISTRY_DIR}`,
    );
    const ownConfig = await ok("corp", "cat /etc/containerd/config.toml");
    const ownContainerd = await ok("corp", "dpkg-query -W containerd runc");
    const before = await listing("corp");

    const chain = ["package-repositories", "packages", "containerd"].map(step);
    for (const hostStep of chain) await runStep("corp", hostStep);
    assert.equal(
      await ok("corp", `cat ${REGISTRY_DIR}/hosts.toml ${REGISTRY_DIR}/ca.crt | sha256sum; ls -l ${REGISTRY_DIR}`),
      registryFiles,
    );
    assert.equal(await ok("corp", "dpkg-query -W containerd runc"), ownContainerd, "the host's own containerd stays");
    // The product's configuration still reads the registries' hosts.toml files: the CRI plugin, which pulls for the
    // kubelet, resolves the private registry through them.
    const cri = JSON.parse(await ok("corp", "crictl info")) as { config: { registry: { configPath: string } } };
    assert.equal(cri.config.registry.configPath, "/etc/containerd/certs.d");
    const image = "registry.corp.example:5000/library/busybox:1.35.0";
    await ok("corp", `crictl pull ${image}`);
    assert.match(await ok("corp", "crictl images"), /registry\.corp\.example:5000\/library\/busybox\s+1\.35\.0/);
    await ok("corp", `crictl rmi ${image}`);

    const undone = await undo("corp", ...chain);
    assert.deepEqual(
      undone.filter((line) => / undone in /.test(line)).map((line) => line.replace(/ in .*$/, "")),
      ["[corp] containerd: undone", "[corp] packages: undone", "[corp] package-repositories: undone"],
      "the last step first",
    );
    assert.equal(await ok("corp", "cat /etc/containerd/config.toml"), ownConfig);
    assert.equal(
      await ok("corp", "systemctl is-enabled containerd; systemctl is-active containerd"),
      "enabled\nactive\n",
    );
    assert.equal(await listing("corp"), before);
  });

  it("keeps swap of every kind off across a reboot, and the undo gives every kind back", async () => {
    assert.deepEqual(await activeSwap("swp"), ALL_SWAP);
    const before = await listing("swp");
    const fstab = await ok("swp", "cat /etc/fstab");
    const swapOff = step("swap-off");

    await runStep("swp", swapOff);
    assert.equal(await ok("swp", "swapon --show"), "");
    await reboot("swp");
    assert.equal(await ok("swp", "swapon --show"), "", "nothing turns swap on at boot");
    assert.equal(await ok("swp", "systemctl is-enabled swapfile.swap"), "enabled\n", "the host's unit stays enabled");

    const undone = (await undo("swp", swapOff)).join("\n");
    assert.equal(await ok("swp", "cat /etc/fstab"), fstab);
    // What was on is on again at once, at its priority: fstab's by swapon -a, the unit's and zram's by name.
    assert.deepEqual(await activeSwap("swp"), ALL_SWAP);
    assert.match(undone, /^\[swp\] undo: swap restored as it was: /m);
    assert.match(await ok("swp", "swapon --show"), /^\/dev\/zram0\s+partition\s+\S+\s+\S+\s+100$/m);
    assert.equal(await listing("swp"), before);
    await reboot("swp");
    assert.deepEqual(await activeSwap("swp"), ALL_SWAP);
    assert.equal(await listing("swp"), before);
  });
});
