// HostPrep on a host that already runs Docker from Docker's apt repository (issue 15, "real hosts are not blank"):
// with packages.apt.containerdRepository naming that repository, the steps use Docker's apt source as it is, keep
// containerd.io and docker-ce, make containerd serve CRI, and the undo puts Docker's config back; a container Docker
// started keeps running throughout. By default the host's containerd.io is the runtime as well. The steps run as the
// product runs them: each its Command's command line, the undos as the host's PreparedHost does
// (tests/support/host-steps).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostPrepSteps, type HostPrepStep } from "../../components/host-prep/steps";
import type { ClusterSpec } from "../../config/spec";
import { startLab, type Lab } from "../../lab";
import { labConnection } from "../support/lab-connection";
import { labShell, type LabShell } from "../support/lab-shell";
import { runStepCommand, undoOnHost } from "../support/host-steps";
import { clusterSpec, workerNode } from "../kubeadm/cluster-spec-fixture";

const LAB = "dkdocker";
const HOST = "d1";
const APT_MIRROR = "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/";
const DOCKER_REPOSITORY = "https://download.docker.com/linux/ubuntu/";

function steps(packages: Partial<ClusterSpec["packages"]> = {}): HostPrepStep[] {
  const spec = clusterSpec("v1.35.4", {
    // Lab hosts offer cgroup v1 only, as the lab's stacks allow.
    kubelet: { extraArgs: {}, allowCgroupV1: true },
    packages: {
      apt: { kubernetesRepository: APT_MIRROR, kubernetesKeyUrl: `${APT_MIRROR}Release.key`, ...packages.apt },
      yum: clusterSpec("v1.35.4").packages.yum,
    },
  });
  return hostPrepSteps(spec, workerNode());
}

describe("HostPrep on a host that already runs Docker", function () {
  this.timeout(300_000);
  let lab: Lab | undefined;
  let tmp: string;
  let shell: LabShell;
  const ssh = (command: string, input = "") => shell.ssh(HOST, command, { input });
  const ok = (command: string, input = "") => shell.ok(HOST, command, { input });

  /** Files with checksums where the steps write, the product's state, and the packages with their versions. */
  const listing = () =>
    ok(
      "for root in /etc/apt /etc/containerd /etc/crictl.yaml /var/lib/pulumi-kubeadm; do " +
        '[ -e "$root" ] && find "$root" -xdev -printf \'%p %m %y\\n\'; done | sort; ' +
        "find /etc/apt /etc/containerd -type f -exec md5sum {} + | sort; dpkg-query -W | sort",
    );
  /** The containerd task of a Docker container: its pid changes if the container was restarted. */
  const task = async (id: string) => {
    const line = (await ok("ctr -n moby task ls")).split("\n").find((l) => l.startsWith(id));
    return line?.trim().split(/\s+/).slice(1).join(" ");
  };

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-dkdocker-"));
    lab = await startLab({ name: LAB, hosts: [{ name: HOST, distro: "ubuntu", docker: true }] });
    shell = labShell(lab, tmp);
  });

  after(async function () {
    await lab?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("the lab host is as `apt-get install docker-ce` leaves it, and its docker double runs containers", async () => {
    // The host has just booted: sshd answers before systemd has started every enabled unit (docker was seen
    // "activating" on a busy machine). Its state is judged once the boot is over, running or degraded.
    await ssh("systemctl is-system-running --wait");
    assert.equal(await ok("systemctl is-active containerd docker"), "active\nactive\n");
    assert.match(
      await ok("cat /etc/apt/sources.list.d/docker.list"),
      /^deb \[arch=amd64 signed-by=\/etc\/apt\/keyrings\/docker\.asc\] https:\/\/download\.docker\.com\/linux\/ubuntu noble stable$/m,
    );
    assert.match(await ok("cat /etc/containerd/config.toml"), /^disabled_plugins = \["cri"\]$/m);
    const gone = await ssh("docker rm -f nothing-here");
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, "Error response from daemon: No such container: nothing-here\n");
    // dockerd does not start without containerd: the CLI cannot reach it then.
    await ok("systemctl stop docker containerd");
    const down = await ssh("docker info");
    assert.equal(down.code, 1);
    assert.match(down.stderr, /Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker\.sock/);
    await ok("systemctl start containerd docker");
  });

  /**
   * Prepares the host for containerd with the stack's package settings, checks Docker and its container went through
   * untouched and CRI answers, then undoes and compares with the listing from before.
   */
  async function prepareAndUndo(apt: Partial<ClusterSpec["packages"]["apt"]>): Promise<void> {
    const registry = `http://${lab!.network.registry}:5000`;
    await ok(`mkdir -p /etc/docker && printf '{"registry-mirrors": ["${registry}"]}\\n' >/etc/docker/daemon.json`);
    const id = (await ok("docker run -d --name web busybox:1.35.0 sleep 3600")).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const running = await task(id);
    assert.match(running ?? "", /^\d+ RUNNING$/);
    const versions = await ok("dpkg-query -W containerd.io docker-ce");
    const before = await listing();

    const chain = steps({ apt: apt as ClusterSpec["packages"]["apt"] }).filter((step) =>
      ["package-repositories", "packages", "containerd"].includes(step.name),
    );
    for (const step of chain) {
      const created = await runStepCommand(shell, HOST, step);
      assert.equal(created.code, 0, `${step.name}: ${created.stdout}\n${created.stderr}`);
    }
    // One source for Docker's repository, the host's own, and apt takes it.
    assert.equal((await ssh("test -e /etc/apt/sources.list.d/containerd.list")).code, 1);
    assert.equal(
      (await ok("grep -rl download.docker.com /etc/apt/sources.list /etc/apt/sources.list.d")).trim(),
      "/etc/apt/sources.list.d/docker.list",
    );
    await ok("apt-get update -q");
    assert.equal(await ok("dpkg-query -W containerd.io docker-ce"), versions, "Docker's packages are the host's");
    assert.match(await ok("cat /etc/containerd/config.toml"), /SystemdCgroup|io\.containerd\.grpc\.v1\.cri/);
    await ok("crictl info >/dev/null");
    assert.equal(await task(id), running, "containerd's restart left Docker's container running");
    assert.match(await ok("docker ps"), /\bweb\n$/);

    await undoOnHost(labConnection(lab!, HOST), HOST, chain);
    assert.equal(await listing(), before);
    assert.equal(await ok("systemctl is-active containerd docker"), "active\nactive\n");
    assert.equal(await task(id), running);
    assert.equal(await ok("docker rm -f web"), "web\n");
  }

  it("keeps containerd.io as the runtime by default, serves CRI, keeps Docker's container running, and undoes to before", async () => {
    // The preflight finds nothing to object to: Docker's containerd is used, not replaced.
    const preflight = steps().find((step) => step.name === "preflight")!;
    const checked = await runStepCommand(shell, HOST, preflight);
    assert.equal(checked.code, 0, checked.stderr);
    await prepareAndUndo({});
  });

  it("uses the host's own source when packages.apt.containerdRepository names Docker's repository", async () => {
    await prepareAndUndo({ containerdRepository: DOCKER_REPOSITORY });
  });
});
