// HostPrep's preflight script, run here with sh against a stand-in `stat`: what it refuses and how it says so.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { hostPrepSteps } from "../../components/host-prep/steps";
import { clusterSpec, controlPlaneNode } from "../kubeadm/cluster-spec-fixture";

describe("HostPrep preflight", () => {
  let bin: string;
  before(() => {
    bin = mkdtempSync(join(tmpdir(), "preflight-test-"));
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  /** Runs the preflight step of a spec on a "host" whose /sys/fs/cgroup is of the given filesystem type. */
  function preflight(cgroupFs: string, allowCgroupV1: boolean) {
    writeFileSync(join(bin, "stat"), `#!/bin/sh\necho ${cgroupFs}\n`);
    chmodSync(join(bin, "stat"), 0o755);
    const spec = clusterSpec("v1.35.4", { kubelet: { extraArgs: {}, allowCgroupV1 } });
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
});
