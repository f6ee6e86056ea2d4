// HostPrep's preflight script, run here with sh against a stand-in `stat`: what it refuses and how it says so.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { hostPrepSteps } from "../../components/host-prep/steps";
import { clusterSpec, controlPlaneNode } from "../kubeadm/cluster-spec-fixture";
import type { ClusterSpec } from "../../config/spec";

describe("HostPrep preflight", () => {
  let bin: string;
  before(() => {
    bin = mkdtempSync(join(tmpdir(), "preflight-test-"));
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  function standIn(name: string, script: string): void {
    writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, name), 0o755);
  }

  /**
   * Runs the preflight step of a spec on a "host" whose /sys/fs/cgroup is of the given filesystem type; `standIns`
   * replace other commands the script asks (nproc, dpkg-query, cat) for this run.
   */
  function preflight(
    cgroupFs: string,
    allowCgroupV1: boolean,
    standIns: Record<string, string> = {},
    overrides: Partial<ClusterSpec> = {},
  ) {
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin);
    standIn("stat", `echo ${cgroupFs}`);
    // What /sys/fs/cgroup/cgroup.controllers lists on a host where the kubelet runs (the only file it cats).
    standIn("cat", "echo cpuset cpu io memory hugetlb pids");
    for (const [name, script] of Object.entries(standIns)) standIn(name, script);
    const spec = clusterSpec("v1.35.4", { kubelet: { extraArgs: {}, allowCgroupV1 }, ...overrides });
    const [step] = hostPrepSteps(spec, controlPlaneNode());
    assert.equal(step.name, "preflight", "the preflight runs before any step that changes the host");
    return spawnSync("sh", ["-c", step.script], {
      encoding: "utf8",
      env: { ...step.environment, PATH: `${bin}:${process.env.PATH}` },
    });
  }

  it("passes on cgroup v2", () => {
    const run = preflight("cgroup2fs", false);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /preflight passed/);
  });

  it("refuses cgroup v1, naming the setting that allows it and the kernel argument that avoids it", () => {
    const run = preflight("tmpfs", false);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /is not ready for kubeadm/);
    assert.match(run.stderr, /only offers cgroup v1/);
    assert.match(run.stderr, /pulumi config set --path kubelet\.allowCgroupV1 true/);
    assert.match(run.stderr, /systemd\.unified_cgroup_hierarchy=1/);
  });

  it("accepts cgroup v1 once kubelet.allowCgroupV1 is set", () => {
    const run = preflight("tmpfs", true);
    assert.equal(run.status, 0, run.stderr);
  });

  it("refuses a kernel without the cgroup controllers the kubelet needs, naming them and the boot arguments", () => {
    const run = preflight("cgroup2fs", false, { cat: "echo cpuset cpu io hugetlb" });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /no cgroup controller for memory pids, which the kubelet needs: .*cgroup_enable=memory/);
  });

  const dockerHost = {
    "dpkg-query": 'if [ "$3" = containerd.io ]; then printf "install ok installed"; else exit 1; fi',
  };
  const pinned = (containerdRepository?: string): Partial<ClusterSpec> => {
    const packages = clusterSpec("v1.35.4").packages;
    return {
      packages: { ...packages, apt: { ...packages.apt, containerdRepository }, containerdPackageVersion: "1.7.28-1" },
    };
  };

  it("reports every problem of a host at once, each with its fix", () => {
    const run = preflight("tmpfs", false, { nproc: "echo 1", ...dockerHost }, pinned());
    assert.equal(run.status, 1);
    const problems = run.stderr.split("\n").filter((line) => line.startsWith("  - "));
    assert.equal(problems.length, 3, run.stderr);
    assert.match(run.stderr, /has 1 CPU; kubeadm needs at least 2 \(its NumCPU check\): .*list it under workers/);
    assert.match(
      run.stderr,
      /this host has containerd\.io, which installing containerd 1\.7\.28-1 \(packages\.containerdPackageVersion\) would remove, and Docker with it: unset packages\.containerdPackageVersion .* packages\.apt\.containerdRepository .*https:\/\/download\.docker\.com/,
    );
  });

  it("leaves a host with Docker alone: its containerd.io is the runtime unless another package is pinned", () => {
    assert.equal(preflight("cgroup2fs", false, dockerHost).status, 0);
    const docker = preflight("cgroup2fs", false, dockerHost, pinned("https://download.docker.com/linux/ubuntu/"));
    assert.equal(docker.status, 0, docker.stderr);
    // The distribution's containerd on the host: kept even when the stack names Docker's repository, unless Docker's
    // containerd.io is pinned, which is refused the other way round.
    const repository = pinned("https://download.docker.com/linux/ubuntu/");
    const unpinned = { packages: { ...repository.packages!, containerdPackageVersion: undefined } };
    const distributionHost = {
      "dpkg-query": 'if [ "$3" = containerd ]; then printf "install ok installed"; else exit 1; fi',
    };
    assert.equal(preflight("cgroup2fs", false, distributionHost, unpinned).status, 0);
    const distribution = preflight(
      "cgroup2fs",
      false,
      { "dpkg-query": 'if [ "$3" = containerd ]; then printf "install ok installed"; else exit 1; fi' },
      pinned("https://download.docker.com/linux/ubuntu/"),
    );
    assert.equal(distribution.status, 1);
    assert.match(
      distribution.stderr,
      /this host has containerd, which installing containerd\.io 1\.7\.28-1 .*would remove: /,
    );
  });

  describe("SELinux and firewalld left to the user (hostPrep keep)", () => {
    // firewalld running, its public zone letting in only 10250/tcp (a worker's kubelet port).
    const firewalld = {
      "firewall-cmd": [
        'for a in "$@"; do case "$a" in',
        "  --state) echo running; exit 0 ;;",
        "  --get-default-zone) echo public; exit 0 ;;",
        "  --get-zone-of-interface=*) echo 'no zone' >&2; exit 2 ;;",
        "  --query-port=10250/tcp) echo yes; exit 0 ;;",
        "  --query-port=*) echo no; exit 1 ;;",
        "esac; done",
      ].join("\n"),
    };
    const keep = (overrides: Partial<ClusterSpec> = {}) => ({
      hostPrep: { selinux: "keep" as const, firewalld: "keep" as const },
      ...overrides,
    });

    it("reports SELinux enforcing and the closed ports with the setting that fixes each, beside the other problems", () => {
      const run = preflight("tmpfs", false, { getenforce: "echo Enforcing", ...firewalld }, keep());
      assert.equal(run.status, 1);
      const problems = run.stderr.split("\n").filter((line) => line.startsWith("  - "));
      assert.equal(problems.length, 3, run.stderr);
      assert.match(
        run.stderr,
        /SELinux is enforcing, and hostPrep\.selinux is keep: .*'pulumi config set --path hostPrep\.selinux permissive'/,
      );
      const ports = problems.find((line) => line.includes("firewalld"))!;
      assert.match(ports, /zone public does not let in 6443\/tcp 2379-2380\/tcp 10257\/tcp 10259\/tcp 8472\/udp, /);
      assert.doesNotMatch(ports, /10250/, "an open port is not reported");
      assert.match(ports, /'pulumi config set --path hostPrep\.firewalld openPorts'/);
    });

    it("says nothing when SELinux is permissive and firewalld is not running, or when the steps take care of both", () => {
      const quiet = preflight(
        "cgroup2fs",
        false,
        { getenforce: "echo Permissive", "firewall-cmd": "echo 'not running' >&2; exit 252" },
        keep(),
      );
      assert.equal(quiet.status, 0, quiet.stderr);
      const managed = preflight("cgroup2fs", false, { getenforce: "echo Enforcing", ...firewalld });
      assert.equal(managed.status, 0, managed.stderr);
    });
  });
});
