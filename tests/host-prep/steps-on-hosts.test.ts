// HostPrep's step scripts, exactly as the product sends them, on lab hosts over real SSH: a step that fails half way
// leaves the host as it found it (issue 16, point 1), and an undo puts back the host's own files byte for byte and
// removes only what the product added (issue 15). A step runs as its command:remote:Command runs it (its command line
// as the session's exec request), its undo and refresh as its host's PreparedHost does them (tests/support/host-steps).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostPrepSteps, type HostPrepStep } from "../../components/host-prep/steps";
import type { ClusterSpec } from "../../config/spec";
import { startLab, type Lab } from "../../lab";
import { labConnection } from "../support/lab-connection";
import { labShell, type LabShell } from "../support/lab-shell";
import { preparedHostProvider } from "../../providers/prepared-host";
import { captureConsole } from "../providers/kubeadm-fakes";
import { preparedHost, refreshHost, repairOnHost, runStepCommand, stepRun, undoOnHost } from "../support/host-steps";
import { clusterSpec, workerNode } from "../kubeadm/cluster-spec-fixture";
import { leftovers, snapshot, type MachineSnapshot } from "../lab/leftovers";

const LAB = "hpsteps";
const APT_MIRROR = "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/";
const YUM_MIRROR = "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/";
const UNREACHABLE = "https://mirror.unreachable.example/kubernetes/v1.35/";

function repositoriesStep(packages: Partial<ClusterSpec["packages"]>): HostPrepStep {
  const spec = clusterSpec("v1.35.4", {
    packages: {
      apt: { kubernetesRepository: APT_MIRROR, kubernetesKeyUrl: `${APT_MIRROR}Release.key` },
      yum: { kubernetesRepository: YUM_MIRROR, kubernetesKeyUrl: `${YUM_MIRROR}repodata/repomd.xml.key` },
      ...packages,
    },
  });
  const step = hostPrepSteps(spec, workerNode()).find((candidate) => candidate.name === "package-repositories");
  assert.ok(step, "HostPrep has a package-repositories step");
  return step;
}

const hostStep = (name: string) =>
  hostPrepSteps(clusterSpec("v1.35.4"), workerNode()).find((step) => step.name === name)!;

describe("HostPrep steps on lab hosts", function () {
  this.timeout(300_000);
  let lab: Lab | undefined;
  let tmp: string;
  let machineBefore: MachineSnapshot;

  let shell: LabShell;
  const ssh = (host: string, command: string, input = "") => shell.ssh(host, command, { input });
  const ok = (host: string, command: string, input = "") => shell.ok(host, command, { input });

  /** Runs a step as its Command does, with the repair count a refresh left it. */
  const runStep = (host: string, step: HostPrepStep) => runStepCommand(shell, host, step);
  /** Undoes steps as the host's PreparedHost does on destroy: the last one first. */
  const undo = (host: string, ...steps: HostPrepStep[]) => undoOnHost(labConnection(lab!, host), host, steps);

  /** Files, modes and checksums under the paths a step may touch, and the product's state directory. */
  function listing(host: string): Promise<string> {
    const roots = "/etc/apt /etc/yum.repos.d /etc/containerd /etc/crictl.yaml /var/lib/pulumi-kubeadm /tmp";
    return ok(
      host,
      `for root in ${roots}; do [ -e "$root" ] && find "$root" -xdev -printf '%p %m %y\\n'; done | sort; ` +
        `find /etc/apt /etc/yum.repos.d /etc/containerd -type f -exec md5sum {} + 2>/dev/null | sort`,
    );
  }

  before(async function () {
    machineBefore = snapshot();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-hpsteps-"));
    lab = await startLab({
      name: LAB,
      hosts: [
        { name: "u1", distro: "ubuntu" },
        { name: "r1", distro: "rocky" },
      ],
    });
    shell = labShell(lab, tmp);
  });

  after(async function () {
    await lab?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (machineBefore) assert.deepEqual(leftovers(LAB, machineBefore), []);
  });

  it("a repository that cannot be reached on a re-run puts back the files the step wrote, naming the setting", async () => {
    const good = repositoriesStep({});
    assert.match((await runStep("r1", good)).stdout, /configured \(dnf\)/);
    const prepared = await listing("r1");
    const repoFile = await ok("r1", "cat /etc/yum.repos.d/kubernetes.repo");

    const unreachable = repositoriesStep({
      yum: { kubernetesRepository: UNREACHABLE, kubernetesKeyUrl: `${UNREACHABLE}repodata/repomd.xml.key` },
    });
    const failed = await runStep("r1", unreachable);
    assert.notEqual(failed.code, 0, failed.stdout);
    assert.ok(failed.stderr.includes(`packages.yum.kubernetesRepository (${UNREACHABLE})`), failed.stderr);
    assert.match(failed.stderr, /the files it wrote are back as they were before it ran/);
    assert.equal(await ok("r1", "cat /etc/yum.repos.d/kubernetes.repo"), repoFile);
    assert.equal(await listing("r1"), prepared, "the host is as the last successful run left it");

    // The undo takes the host back to before the first run; a failing first run then leaves nothing at all.
    await undo("r1", good);
    const blank = await listing("r1");
    assert.equal((await runStep("r1", unreachable)).code === 0, false);
    assert.equal(await listing("r1"), blank);
  });

  it("a key that cannot be downloaded names the URL and its setting, and leaves no temporary file", async () => {
    const before = await listing("u1");
    const missingKey = repositoriesStep({
      apt: { kubernetesRepository: APT_MIRROR, kubernetesKeyUrl: `${UNREACHABLE}Release.key` },
    });
    const failed = await runStep("u1", missingKey);
    assert.equal(failed.code, 1, failed.stdout);
    assert.ok(
      failed.stderr.includes(`cannot download ${UNREACHABLE}Release.key (from packages.apt.kubernetesKeyUrl`),
      failed.stderr,
    );
    assert.equal(await listing("u1"), before);
  });

  it("the undo puts back the host's own repository file byte for byte and removes only what it added", async () => {
    const own = "# the host's own pin, kept by its admin\ndeb [trusted=yes] https://apt.internal.example/k8s /\n";
    await ok("u1", "umask 077 && cat >/etc/apt/sources.list.d/kubernetes.list", own);
    const before = await listing("u1");

    const step = repositoriesStep({});
    assert.equal((await runStep("u1", step)).code, 0);
    assert.match(await ok("u1", "cat /etc/apt/sources.list.d/kubernetes.list"), /signed-by=.*mirrors\.aliyun\.com/);
    // A re-run with other settings (an update) still remembers what the host had before the first run.
    assert.equal((await runStep("u1", step)).code, 0);

    await undo("u1", step);
    assert.equal(await ok("u1", "cat /etc/apt/sources.list.d/kubernetes.list"), own);
    assert.equal(await ok("u1", "stat -c %a /etc/apt/sources.list.d/kubernetes.list"), "600\n");
    assert.equal(await listing("u1"), before);
    await ok("u1", "rm /etc/apt/sources.list.d/kubernetes.list");
  });

  it("the preflight refuses a cgroup v1 host (as lab hosts are) until kubelet.allowCgroupV1 is set, and changes nothing", async () => {
    const preflight = (allowCgroupV1: boolean) =>
      hostPrepSteps(clusterSpec("v1.35.4", { kubelet: { extraArgs: {}, allowCgroupV1 } }), workerNode()).find(
        (step) => step.name === "preflight",
      )!;
    const before = await listing("r1");
    const refused = await runStep("r1", preflight(false));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^host r1 is not ready for kubeadm:$/m);
    assert.match(refused.stderr, /only offers cgroup v1 .*'pulumi config set --path kubelet\.allowCgroupV1 true'/);
    assert.equal((await runStep("r1", preflight(true))).code, 0);
    assert.equal(await listing("r1"), before);
  });

  it("IPv6 subnets turn IPv6 forwarding on, and the undo puts back the value from before", async () => {
    const steps = hostPrepSteps(
      clusterSpec("v1.35.4", { podSubnet: "fd00:10:244::/56", serviceSubnet: "fd00:10:96::/112" }),
      workerNode(),
    );
    const [modules, sysctl] = ["kernel-modules", "sysctl"].map((name) => steps.find((step) => step.name === name)!);
    await ok("u1", "sysctl -w net.ipv6.conf.all.forwarding=0");
    const before = await ok("u1", "sysctl -n net.ipv6.conf.all.forwarding");
    assert.equal(before, "0\n");
    for (const step of [modules, sysctl]) assert.equal((await runStep("u1", step)).code, 0);
    assert.equal(await ok("u1", "sysctl -n net.ipv6.conf.all.forwarding"), "1\n");
    assert.match(await ok("u1", "cat /etc/sysctl.d/99-kubernetes.conf"), /^net\.ipv6\.conf\.all\.forwarding = 1$/m);
    await undo("u1", modules, sysctl);
    assert.equal(await ok("u1", "sysctl -n net.ipv6.conf.all.forwarding"), before);
    // The modules the step loaded are gone again, and with br_netfilter its sysctls.
    assert.doesNotMatch(await ok("u1", "lsmod"), /^(br_netfilter|overlay) /m);
    assert.equal((await ssh("u1", "sysctl -n net.bridge.bridge-nf-call-iptables")).code, 255);
  });

  it("the kernel-modules undo leaves loaded a module the host had loaded before", async () => {
    const modules = hostPrepSteps(clusterSpec("v1.35.4"), workerNode()).find((step) => step.name === "kernel-modules")!;
    await ok("u1", "modprobe br_netfilter");
    assert.equal((await runStep("u1", modules)).code, 0);
    await undo("u1", modules);
    const loaded = await ok("u1", "lsmod");
    assert.match(loaded, /^br_netfilter /m);
    assert.doesNotMatch(loaded, /^overlay /m);
    await ok("u1", "modprobe -r br_netfilter");
  });

  it("keeps swap off for indented and three-field fstab lines and systemd's swap units; the undo puts all back", async () => {
    const own = await ok("r1", "cat /etc/fstab");
    const fstab =
      "UUID=0a1b / xfs defaults 0 0\n" +
      "  /swap.img none swap sw 0 0\n" +
      "/dev/zram0 none swap\n" +
      "# /old.img none swap sw 0 0\n";
    await ok("r1", "cat >/etc/fstab", fstab);
    const swapOff = hostStep("swap-off");
    assert.equal((await runStep("r1", swapOff)).code, 0);
    assert.equal(
      await ok("r1", "cat /etc/fstab"),
      "UUID=0a1b / xfs defaults 0 0\n" +
        "#pulumi-kubeadm-swap#   /swap.img none swap sw 0 0\n" +
        "#pulumi-kubeadm-swap# /dev/zram0 none swap\n" +
        "# /old.img none swap sw 0 0\n",
    );
    // zram-generator's and GPT auto-swap's units are pulled in by swap.target too.
    assert.equal((await ssh("r1", "systemctl is-enabled swap.target")).stdout, "masked\n");

    await undo("r1", swapOff);
    assert.equal(await ok("r1", "cat /etc/fstab"), fstab);
    assert.notEqual((await ssh("r1", "systemctl is-enabled swap.target")).stdout, "masked\n");
    await ok("r1", "cat >/etc/fstab", own);
  });

  it("the containerd step runs again with mirrors, never touches a registry it did not write, and undoes to nothing", async () => {
    const mirrors = (endpoints: string[]) =>
      hostPrepSteps(
        clusterSpec("v1.35.4", {
          packages: {
            apt: { kubernetesRepository: APT_MIRROR, kubernetesKeyUrl: `${APT_MIRROR}Release.key` },
            yum: { kubernetesRepository: YUM_MIRROR, kubernetesKeyUrl: `${YUM_MIRROR}repodata/repomd.xml.key` },
          },
          containerd: {
            registryMirrors: { "docker.io": endpoints },
            sandboxImage: "registry.example.org/k8s/pause:3.10.1",
            restrictOomScoreAdj: true,
          },
        }),
        workerNode(),
      );
    const byName = (steps: HostPrepStep[], name: string) => steps.find((step) => step.name === name)!;
    const first = mirrors(["https://docker.m.daocloud.io"]);
    const second = mirrors(["https://mirror.example.org"]);
    // The host's own private registry, configured before the product came.
    await ok(
      "u1",
      "mkdir -p /etc/containerd/certs.d/private.example && echo 'server = \"https://private.example\"' >/etc/containerd/certs.d/private.example/hosts.toml",
    );
    const before = await listing("u1");
    const chain = ["package-repositories", "packages", "containerd"].map((name) => byName(first, name));
    let containerdOutput = "";
    for (const step of chain) {
      const created = await runStep("u1", step);
      assert.equal(created.code, 0, `${step.name}: ${created.stdout}\n${created.stderr}`);
      containerdOutput = created.stdout;
    }
    // The lab's containerd is 1.x, without the CRI RuntimeConfig call: kubeadm 1.35 warns (read from its source).
    assert.match(containerdOutput, /containerd 1\.\S+ lacks the CRI RuntimeConfig call: kubeadm v1\.35\.4 warns/);
    // A kubeadm whose preflight required it would stop the step before containerd's configuration is touched.
    const configured = await ok("u1", "md5sum /etc/containerd/config.toml");
    const strict = chain[2];
    const refused = await runStep("u1", {
      ...strict,
      environment: { ...strict.environment, RUNTIME_CONFIG_CHECK: "error" },
    });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /requires: install containerd 2\.x: .*packages\.apt\.containerdRepository/);
    assert.equal(await ok("u1", "md5sum /etc/containerd/config.toml"), configured);
    // The program's new mirrors make a new command for the step (an update of its Command), which runs it again.
    assert.notEqual(stepRun(byName(second, "containerd")), stepRun(strict));
    const rerun = await runStep("u1", byName(second, "containerd"));
    assert.equal(rerun.code, 0, `${rerun.stdout}\n${rerun.stderr}`);
    assert.match(await ok("u1", "cat /etc/containerd/certs.d/docker.io/hosts.toml"), /mirror\.example\.org/);
    assert.equal(
      await ok("u1", "cat /etc/containerd/certs.d/private.example/hosts.toml"),
      'server = "https://private.example"\n',
    );
    assert.equal(
      await ok("u1", "cat /etc/crictl.yaml"),
      "runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\n",
    );

    await undo("u1", chain[0], chain[1], byName(second, "containerd"));
    assert.equal(
      await ok("u1", "cat /etc/containerd/certs.d/private.example/hosts.toml"),
      'server = "https://private.example"\n',
    );
    assert.equal((await ssh("u1", "test -e /var/lib/pulumi-kubeadm")).code, 1, "the undos leave no state behind");
    assert.equal((await ssh("u1", "test -e /etc/crictl.yaml")).code, 1);
    assert.equal(await listing("u1"), before);
    await ok("u1", "rm -r /etc/containerd");
  });

  describe("refresh", () => {
    it("sees a file the step wrote edited on the host, and the next up puts it back", async () => {
      // The bridge settings exist once br_netfilter is loaded: the step before sysctl loads it.
      const modules = hostStep("kernel-modules");
      const sysctl = hostStep("sysctl");
      const host = await preparedHost(labConnection(lab!, "u1"), "u1", [modules, sysctl]);
      for (const step of [modules, sysctl]) {
        const created = await runStep("u1", step);
        assert.equal(created.code, 0, `${step.name}: ${created.stdout}\n${created.stderr}`);
      }
      const clean = await refreshHost("u1/prepared-host", host);
      assert.deepEqual(clean.drift, {}, "nothing drifted right after the step ran");

      await ok("u1", "echo 'net.ipv4.ip_forward = 0' >/etc/sysctl.d/99-kubernetes.conf");
      const refreshed = await refreshHost("u1/prepared-host", clean);
      assert.deepEqual(refreshed.drift, {
        sysctl: ["/etc/sysctl.d/99-kubernetes.conf was edited or removed since the step wrote it"],
      });
      // The next up: the PreparedHost's update runs the sysctl step's command again, and only that step's.
      const lines = await repairOnHost("u1/prepared-host", refreshed);
      assert.deepEqual(
        lines.filter((line) => / repaired in /.test(line)).map((line) => line.replace(/ in .*$/, "")),
        ["[u1] sysctl: repaired"],
      );
      assert.match(await ok("u1", "cat /etc/sysctl.d/99-kubernetes.conf"), /^net\.ipv4\.ip_forward = 1$/m);
      const repaired = await refreshHost("u1/prepared-host", refreshed);
      assert.deepEqual(repaired.drift, {});

      const undone = await captureConsole(() => preparedHostProvider.delete!("u1/prepared-host", repaired));
      assert.equal(undone.error, undefined, undone.error?.message);
      assert.equal((await ssh("u1", "test -e /etc/sysctl.d/99-kubernetes.conf")).code, 1);
      assert.equal((await ssh("u1", "test -e /var/lib/pulumi-kubeadm")).code, 1, "the undos leave no state behind");
    });
  });
});
