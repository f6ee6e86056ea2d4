// After drift or a failed run, the next `pulumi up` puts the host right (issue 16), with the real engine on one real
// node (lab/README.md, "Real nodes"): what a refresh finds changed on the host re-runs exactly the steps it concerns;
// `up --replace` of a preparation step leaves the host prepared; a flag that crashes the API server is repaired by
// putting the config back; a wrong pinned host key stores nothing, so destroy still works. One lab and one stack for
// the file; each case starts from what the previous one left.
import { strict as assert } from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { failure } from "../support/engine";
import { keepCaseOutput, LabStack, type StoredResource } from "../support/lab-stack";
import { ed25519HostKey } from "../config/fixtures";

const CONTROL_PLANE = "cp1";
const SYSCTL_FILE = "/etc/sysctl.d/99-kubernetes.conf";
const MODULES_FILE = "/etc/modules-load.d/kubernetes.conf";
const REPOSITORY_FILE = "/etc/yum.repos.d/kubernetes.repo";
const MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml";
/** A flag name validation lets through (it is well formed) that the real kube-apiserver refuses to start with. */
const BAD_FLAG = "not-a-real-flag";

/** The host-preparation steps' resources, by step name (each RemoteStep stores its node and step). */
function steps(resources: StoredResource[]): Map<string, StoredResource> {
  return new Map(
    resources
      .filter((r) => r.type.endsWith(":RemoteStep") && r.outputs?.node === CONTROL_PLANE)
      .map((r) => [r.outputs?.step as string, r]),
  );
}

/** What the last refresh found changed on the host, by step (the `drift` output of RemoteStep's read). */
function drift(resources: StoredResource[]): Record<string, string[]> {
  return Object.fromEntries(
    [...steps(resources)]
      .filter(([, r]) => Array.isArray(r.outputs?.drift))
      .map(([step, r]) => [step, r.outputs?.drift as string[]]),
  );
}

describe("repairs on a real node (real engine, real sshd, real kubeadm)", function () {
  this.timeout(1_800_000);
  let lab: LabStack;
  let clean: string;

  const run = (command: string) => lab.lab.run(CONTROL_PLANE, command);

  before(async () => {
    // Rocky: the package repositories are .repo files (issue 16 lost kubernetes.repo to `up --replace`).
    lab = await LabStack.start({ lab: "repair", hosts: [{ name: CONTROL_PLANE, distro: "rocky" }] });
    clean = await lab.snapshot(CONTROL_PLANE);
    lab.declareHosts([CONTROL_PLANE], []);
  });

  keepCaseOutput("repair", () => lab);

  after(async () => {
    await lab?.stop();
  });

  it("builds a one-node control plane", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await lab.nodeNames(), [CONTROL_PLANE]);
  });

  it("reports edited files and swap turned back on as drift, and the next up re-runs exactly those steps", async () => {
    const sysctl = await run(`cat ${SYSCTL_FILE}`);
    const modules = await run(`cat ${MODULES_FILE}`);
    const fstab = await run("cat /etc/fstab");
    assert.match(fstab, /^#pulumi-kubeadm-swap# \S+\s+\S+\s+swap\s/m, "the swap-off step commented no fstab line");
    assert.equal((await run("swapon --noheadings --show=NAME")).trim(), "", "swap is on after up");

    // By hand, behind Pulumi's back: forwarding off in the file and in the kernel, a module dropped, swap on again.
    await run(`sed -i 's/^net.ipv4.ip_forward = 1$/net.ipv4.ip_forward = 0/' ${SYSCTL_FILE}`);
    await run("sysctl -w net.ipv4.ip_forward=0");
    await run(`sed -i '/^br_netfilter$/d' ${MODULES_FILE}`);
    await run("sed -i 's/^#pulumi-kubeadm-swap# //' /etc/fstab && swapon -a");
    assert.notEqual((await run("swapon --noheadings --show=NAME")).trim(), "", "swapon -a turned no swap on");

    const from = lab.output.length;
    const refreshed = await lab.refresh();
    assert.equal(refreshed.summary.result, "succeeded", lab.output.slice(-3000));
    const warnings = lab.output.slice(from);
    assert.match(warnings, new RegExp(`\\[cp1\\] sysctl: changed on the host: .*${SYSCTL_FILE} was edited or removed`));
    assert.match(warnings, /\[cp1\] sysctl: changed on the host: .*net\.ipv4\.ip_forward is 0, not 1/);
    assert.match(warnings, new RegExp(`\\[cp1\\] kernel-modules: changed on the host: ${MODULES_FILE} was edited`));
    assert.match(warnings, /\[cp1\] swap-off: changed on the host: swap is on again/);
    const drifted = ["kernel-modules", "swap-off", "sysctl"];
    const state = lab.resources();
    const found = drift(state);
    assert.deepEqual(Object.keys(found).sort(), drifted, JSON.stringify(found));

    // The plan: those three steps, updated in place, and nothing else.
    const planned: string[] = [];
    const onEvent = (event: EngineEvent) => {
      const step = event.resourcePreEvent?.metadata;
      if (step && step.op !== "same") planned.push(`${step.op} ${step.urn}`);
    };
    await lab.preview({ onEvent });
    assert.deepEqual(planned.sort(), drifted.map((step) => `update ${steps(state).get(step)?.urn}`).sort());

    const upFrom = lab.output.length;
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(
      Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same"),
      [["update", 3]],
    );
    const repaired = lab.output.slice(upFrom);
    for (const step of ["sysctl", "kernel-modules", "swap-off"]) {
      assert.match(repaired, new RegExp(`\\[cp1\\] ${step}: ran again in `), `${step} did not run again`);
    }
    assert.equal(await run(`cat ${SYSCTL_FILE}`), sysctl);
    assert.equal((await run("sysctl -n net.ipv4.ip_forward")).trim(), "1");
    assert.equal(await run(`cat ${MODULES_FILE}`), modules);
    assert.equal(await run("cat /etc/fstab"), fstab, "the fstab's swap line is not commented again");
    assert.equal((await run("swapon --noheadings --show=NAME")).trim(), "", "swap is still on");

    // Nothing is left to find, and nothing to do.
    const againFrom = lab.output.length;
    await lab.refresh();
    assert.doesNotMatch(lab.output.slice(againFrom), /changed on the host/);
    assert.deepEqual(drift(lab.resources()), {});
    const next = await lab.preview();
    assert.deepEqual(
      Object.entries(next.changeSummary).filter(([op]) => op !== "same"),
      [],
    );
  });

  it("leaves the host prepared after `up --replace` of its package-repositories step", async () => {
    const repository = await run(`cat ${REPOSITORY_FILE}`);
    const step = steps(lab.resources()).get("package-repositories");
    assert.ok(step, "no package-repositories step in the state");
    const from = lab.output.length;
    const result = await lab.up({ replace: [step.urn] });
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(
      Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same"),
      [["replace", 1]],
    );
    // The old step's undo ran first, then the new step wrote the file again.
    const output = lab.output.slice(from);
    const undone = output.indexOf("[cp1] package-repositories: undone in ");
    const done = output.indexOf("[cp1] package-repositories: done in ");
    assert.ok(undone >= 0 && done > undone, `not undone, then done:\n${output.slice(-3000)}`);
    assert.equal(await run(`cat ${REPOSITORY_FILE} 2>&1 || true`), repository, `${REPOSITORY_FILE} is not as before`);
    await run("dnf makecache -q");
  });

  it("repairs an API server that a flag made crash once the flag is taken out, with no manual step", async () => {
    await lab.stack.setConfig(`pulumi-kubeadm:apiServer.extraArgs["${BAD_FLAG}"]`, { value: "enabled" }, true);
    let message: string;
    try {
      message = await failure(lab.up());
    } finally {
      await lab.stack.removeConfig("pulumi-kubeadm:apiServer");
    }
    assert.match(message, /\[cp1\] .*wait for the API server/, message.slice(-3000));
    assert.match(await run(`cat ${MANIFEST}`), new RegExp(`--${BAD_FLAG}=enabled`), "the manifest never got the flag");

    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.doesNotMatch(await run(`cat ${MANIFEST}`), new RegExp(BAD_FLAG), "the manifest still has the flag");
    await lab.kubectl("get --raw=/readyz");
    const clusterConfiguration = await lab.kubectl(
      "-n kube-system get configmap kubeadm-config -o jsonpath={.data.ClusterConfiguration}",
    );
    assert.doesNotMatch(clusterConfiguration, new RegExp(BAD_FLAG), "kubeadm-config records the flag");
  });

  it("stores nothing from an up with a wrong pinned host key; destroy works once it is put back", async () => {
    const wrongKey = ed25519HostKey();
    const rightKey = lab.lab.host(CONTROL_PLANE).hostKey;
    lab.declareHosts([CONTROL_PLANE], [], { [CONTROL_PLANE]: wrongKey });
    const message = await failure(lab.up());
    assert.match(message, /host key mismatch: .* but controlPlane\[0\]\.hostKey expects /, message.slice(-3000));
    const state = JSON.stringify(lab.resources());
    const keyBody = (key: string) => key.split(" ")[1];
    assert.ok(!state.includes(keyBody(wrongKey)), "the wrong host key was stored");
    assert.ok(state.includes(keyBody(rightKey)), "the state lost the host's key");

    lab.declareHosts([CONTROL_PLANE], []);
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.equal(await lab.snapshot(CONTROL_PLANE), clean, "the host is not as clean as before the first up");
  });
});
