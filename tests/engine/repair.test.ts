// After drift or a failed run, the next `pulumi up` puts the host right (issue 16), with the real engine on two real
// nodes (lab/README.md, "Real nodes"): what a refresh finds changed on the host re-runs exactly the steps it concerns;
// `up --replace` of one preparation step, or of all a joined worker's, leaves the host prepared; a repository step
// that fails half way puts its files back; a flag that crashes the API server, or the kubelets, is repaired by putting
// the config back; a worker switched off in the middle of its preparation is prepared and joined by the next up; a
// wrong pinned host key stores nothing, so destroy still works. After each repair a node is as a fresh up left it
// (LabStack.listing). One lab and one stack for the file; each case starts from what the previous one left.
import { strict as assert } from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { failure, sleep } from "../support/engine";
import { assertSameLines, keepCaseOutput, LabStack, type StoredResource } from "../support/lab-stack";
import { ed25519HostKey } from "../config/fixtures";

const CONTROL_PLANE = "cp1";
const WORKER = "w1";
const NODES = [CONTROL_PLANE, WORKER];
const SYSCTL_FILE = "/etc/sysctl.d/99-kubernetes.conf";
const MODULES_FILE = "/etc/modules-load.d/kubernetes.conf";
const REPOSITORY_FILE = "/etc/yum.repos.d/kubernetes.repo";
const MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml";
/** A flag name validation lets through (it is well formed) that the real kube-apiserver refuses to start with. */
const BAD_FLAG = "not-a-real-flag";

/** A node's host-preparation steps' Commands, by step name (the resource name ends with "-prep-<step>"). */
function steps(resources: StoredResource[], node = CONTROL_PLANE): Map<string, StoredResource> {
  const marker = `-${node}-prep-`;
  return new Map(
    resources
      .filter((r) => r.type === "command:remote:Command" && r.urn.includes(marker))
      .map((r) => [r.urn.slice(r.urn.lastIndexOf(marker) + marker.length), r]),
  );
}

/** A host's PreparedHost (which runs again the steps a refresh found changed). */
function preparedHost(resources: StoredResource[], node = CONTROL_PLANE): StoredResource {
  const host = resources.find((r) => r.type.endsWith(":PreparedHost") && r.outputs?.node === node);
  assert.ok(host, `no PreparedHost for ${node}`);
  return host;
}

/** What the last refresh found changed on a host, by step (the `drift` output of the host's PreparedHost). */
function drift(resources: StoredResource[], node = CONTROL_PLANE): Record<string, string[]> {
  return (preparedHost(resources, node).outputs?.drift ?? {}) as Record<string, string[]>;
}

describe("repairs on a real node (real engine, real sshd, real kubeadm)", function () {
  this.timeout(1_800_000);
  let lab: LabStack;
  const clean: Record<string, string> = {};
  /** Each node's listing right after the first up: what a fresh up with the lab's config leaves. */
  const fresh: Record<string, string> = {};

  const run = (command: string) => lab.lab.run(CONTROL_PLANE, command);

  before(async () => {
    // Rocky: the package repositories are .repo files (issue 16 lost kubernetes.repo to `up --replace`).
    lab = await LabStack.start({
      lab: "repair",
      hosts: [
        { name: CONTROL_PLANE, distro: "rocky" },
        { name: WORKER, distro: "ubuntu" },
      ],
    });
    for (const host of NODES) clean[host] = await lab.snapshot(host);
    lab.declareHosts([CONTROL_PLANE], [WORKER]);
  });

  keepCaseOutput("repair", () => lab);

  after(async () => {
    await lab?.stop();
  });

  it("builds a control plane and a worker", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await lab.nodeNames(), NODES);
    for (const host of NODES) fresh[host] = await lab.listing(host);
  });

  it("reports edited files, a removed package and swap turned back on as drift; the next up re-runs exactly those steps", async () => {
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
    await lab.lab.run(WORKER, "apt-get remove -y --allow-change-held-packages kubectl");
    const kubectlGone = await lab.lab.exec(WORKER, "command -v kubectl");
    assert.notEqual(kubectlGone.code, 0, "kubectl is still installed on w1");

    const from = lab.output.length;
    const refreshed = await lab.refresh();
    assert.equal(refreshed.summary.result, "succeeded", lab.output.slice(-3000));
    const warnings = lab.output.slice(from);
    assert.match(warnings, new RegExp(`\\[cp1\\] sysctl: changed on the host: .*${SYSCTL_FILE} was edited or removed`));
    assert.match(warnings, /\[cp1\] sysctl: changed on the host: .*net\.ipv4\.ip_forward is 0, not 1/);
    assert.match(warnings, new RegExp(`\\[cp1\\] kernel-modules: changed on the host: ${MODULES_FILE} was edited`));
    assert.match(warnings, /\[cp1\] swap-off: changed on the host: swap is on again/);
    assert.match(warnings, /\[w1\] packages: changed on the host: kubectl is no longer installed/);
    const drifted = ["kernel-modules", "swap-off", "sysctl"];
    const state = lab.resources();
    const found = drift(state);
    assert.deepEqual(Object.keys(found).sort(), drifted, JSON.stringify(found));
    assert.deepEqual(Object.keys(drift(state, WORKER)), ["packages"]);

    // The plan: the two hosts' PreparedHosts, updated in place (their update runs the drifted steps again), and
    // nothing else: no step's Command changes.
    const planned: string[] = [];
    const onEvent = (event: EngineEvent) => {
      const step = event.resourcePreEvent?.metadata;
      if (step && step.op !== "same") planned.push(`${step.op} ${step.urn}`);
    };
    await lab.preview({ onEvent });
    const expected = NODES.map((node) => `update ${preparedHost(state, node).urn}`);
    assert.deepEqual(planned.sort(), expected.sort());

    const upFrom = lab.output.length;
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(
      Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same"),
      [["update", 2]],
    );
    // Exactly the four drifted steps ran again, each host's in HostPrep's order.
    // From Diagnostics, where each closing line is once (the live output shows it too).
    const upOutput = lab.output.slice(upFrom);
    const repaired = [
      ...upOutput.slice(upOutput.indexOf("\nDiagnostics:")).matchAll(/\[(\w+)\] ([a-z-]+): repaired in /g),
    ].map(([, node, step]) => `${node} ${step}`);
    const order = [...steps(state).keys()];
    assert.deepEqual(
      repaired.filter((line) => line.startsWith("cp1 ")),
      drifted.sort((a, b) => order.indexOf(a) - order.indexOf(b)).map((step) => `cp1 ${step}`),
    );
    assert.deepEqual(
      repaired.filter((line) => line.startsWith("w1 ")),
      ["w1 packages"],
    );
    assert.equal(await run(`cat ${SYSCTL_FILE}`), sysctl);
    assert.equal((await run("sysctl -n net.ipv4.ip_forward")).trim(), "1");
    assert.equal(await run(`cat ${MODULES_FILE}`), modules);
    assert.equal(await run("cat /etc/fstab"), fstab, "the fstab's swap line is not commented again");
    assert.equal((await run("swapon --noheadings --show=NAME")).trim(), "", "swap is still on");
    for (const host of NODES)
      assertSameLines(await lab.listing(host), fresh[host], `${host} is not as a fresh up left it`);

    // Nothing is left to find, and nothing to do.
    const againFrom = lab.output.length;
    await lab.refresh();
    assert.doesNotMatch(lab.output.slice(againFrom), /changed on the host/);
    assert.deepEqual(drift(lab.resources()), {});
    assert.deepEqual(drift(lab.resources(), WORKER), {});
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
    // A replaced step runs again; its undo is the host's (PreparedHost), for destroy, so nothing was taken away.
    assert.doesNotMatch(lab.output.slice(from), /\[cp1\] package-repositories: undone in /);
    assert.equal(await run(`cat ${REPOSITORY_FILE} 2>&1 || true`), repository, `${REPOSITORY_FILE} is not as before`);
    await run("dnf makecache -q");
    assertSameLines(await lab.listing(CONTROL_PLANE), fresh[CONTROL_PLANE], "cp1 is not as a fresh up left it");
  });

  it("leaves a joined worker prepared and in the cluster after `up --replace` of every one of its preparation steps", async () => {
    const urns = [...steps(lab.resources(), WORKER).values()].map((step) => step.urn);
    assert.ok(urns.length >= 8, `only ${urns.length} steps for w1`);
    const result = await lab.up({ replace: urns });
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(
      Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same"),
      [["replace", urns.length]],
    );
    assertSameLines(await lab.listing(WORKER), fresh[WORKER], "w1 is not as a fresh up left it");
    assert.deepEqual(await lab.nodeNames(), NODES);
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
    assertSameLines(await lab.listing(CONTROL_PLANE), fresh[CONTROL_PLANE], "cp1 is not as a fresh up left it");
  });

  it("puts back the files of a repository step that failed half way; with the config put back, nothing is left to do", async () => {
    const repositoryKey = "pulumi-kubeadm:packages.apt.kubernetesRepository";
    const keyUrlKey = "pulumi-kubeadm:packages.apt.kubernetesKeyUrl";
    const good = (await lab.stack.getConfig(repositoryKey, true)).value;
    // The mirror answers, but has no such version: the key (from the good repository) downloads, the step writes the
    // source file, and only then apt-get update gets a 404.
    const missing = good.replace(/\/v\d+\.\d+\//, "/v1.99/");
    assert.notEqual(missing, good);
    await lab.stack.setConfig(repositoryKey, { value: missing }, true);
    await lab.stack.setConfig(keyUrlKey, { value: `${good}Release.key` }, true);
    let message: string;
    try {
      message = await failure(lab.up());
    } finally {
      await lab.stack.setConfig(repositoryKey, { value: good }, true);
      await lab.stack.removeConfig(keyUrlKey, true);
    }
    assert.match(message, /command:remote:Command \(cluster-w1-prep-package-repositories\)/, message.slice(-3000));
    assert.ok(message.includes(`packages.apt.kubernetesRepository (${missing})`), message.slice(-3000));
    assert.match(message, /the files it wrote are back as they were before it ran/);
    assertSameLines(await lab.listing(WORKER), fresh[WORKER], "w1 is not as the last up left it");

    // Nothing of the failed update was stored for w1's steps: with the config put back, they have nothing to do.
    // (cp1's step, on rocky, ignores apt settings but carries them, so its update succeeded and is undone now.) w1's
    // PreparedHost, updated before the step failed, stores the steps' scripts as the program has them again: no
    // login to w1 for that.
    const changed: string[] = [];
    const logins = lab.logins(WORKER);
    const result = await lab.up({
      onEvent: (event: EngineEvent) => {
        const step = event.resourcePreEvent?.metadata;
        if (step && step.op !== "same" && step.type !== "pulumi:pulumi:Stack") changed.push(`${step.op} ${step.urn}`);
      },
    });
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(
      changed.filter((change) => change.includes(`-${WORKER}`) && !change.includes(":PreparedHost::")),
      [],
      "the failed update stored something for w1",
    );
    assert.equal(lab.logins(WORKER), logins, "the up logged in to w1");
    await lab.lab.run(WORKER, "apt-get update -q");
  });

  it("repairs kubelets that an extra arg made fail, on a worker and a control plane, once it is taken out", async () => {
    const key = `pulumi-kubeadm:kubelet.extraArgs["${BAD_FLAG}"]`;
    await lab.stack.setConfig(key, { value: "enabled" }, true);
    try {
      // The worker alone first (its update waits for the control plane's otherwise, which fails first).
      const join = lab
        .resources()
        .find((r) => r.type.startsWith("pulumi-nodejs:dynamic") && r.outputs?.nodeName === WORKER);
      assert.ok(join, "no join resource for w1 in the state");
      const onWorker = await failure(lab.up({ target: [join.urn] }));
      assert.match(
        onWorker,
        /kubelet restart failed on w1 .*[\s\S]*the kubelet did not become healthy after its restart/,
      );
      assert.match(onWorker, new RegExp(`unknown flag: --${BAD_FLAG}`), onWorker.slice(-3000));
      assert.match(await lab.lab.run(WORKER, "cat /var/lib/kubelet/kubeadm-flags.env"), new RegExp(`--${BAD_FLAG}=`));

      const onControlPlane = await failure(lab.up());
      assert.match(onControlPlane, /wait for the kubelet failed on cp1 /, onControlPlane.slice(-3000));
      assert.match(onControlPlane, new RegExp(`unknown flag: --${BAD_FLAG}`));
    } finally {
      await lab.stack.removeConfig(key, true);
    }

    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    for (const host of NODES) {
      assertSameLines(await lab.listing(host), fresh[host], `${host} is not as a fresh up left it`);
    }
    // Both kubelets talk to the API server again: each renews its node's Lease (every 10 s) after the repair. (The
    // nodes are not Ready in this lab stack, which has no CNI add-on.)
    const repairedAt = Date.now();
    for (const host of NODES) {
      let renewed = 0;
      for (let i = 0; i < 60 && renewed < repairedAt; i++) {
        const time = await lab.kubectl(`-n kube-node-lease get lease ${host} -o jsonpath={.spec.renewTime}`);
        renewed = Date.parse(time);
        if (renewed < repairedAt) await sleep(1000);
      }
      assert.ok(renewed >= repairedAt, `${host}'s kubelet has not renewed its Lease since the repair`);
    }
  });

  it("prepares and joins a worker switched off in the middle of its preparation once it is back, as a fresh up does", async () => {
    lab.declareHosts([CONTROL_PLANE], []);
    const removed = await lab.up();
    assert.equal(removed.summary.result, "succeeded", lab.output.slice(-3000));
    assertSameLines(await lab.snapshot(WORKER), clean[WORKER], "w1 is not as clean as before the first up");

    // Every step here takes a second or two on real nodes: the package manager is held for a while, to switch the
    // host off in the middle of a step for sure (the doubles' delay fault).
    lab.lab.setFault(WORKER, "apt-get install", { delaySeconds: 300 });
    lab.declareHosts([CONTROL_PLANE], [WORKER]);
    const up = failure(lab.up());
    let settled = false;
    void up.then(
      () => (settled = true),
      () => (settled = true),
    );
    let installing = false;
    try {
      const deadline = Date.now() + 600_000;
      while (!installing && !settled && Date.now() < deadline) {
        const found = await lab.lab.exec(WORKER, "pgrep -f '[a]pt-get .*install'").catch(() => undefined);
        installing = found?.code === 0;
        if (!installing) await sleep(250);
      }
      assert.ok(installing, `the packages step never ran on w1:\n${lab.output.slice(-3000)}`);
      await lab.lab.hostDown(WORKER);
      const message = await up;
      assert.match(message, /packages.*w1|w1.*packages/, message.slice(-3000));
    } finally {
      lab.lab.clearFaults(WORKER);
      if (!lab.lab.isUp(WORKER)) await lab.lab.hostUp(WORKER);
      await up.catch(() => undefined);
    }
    assert.equal(await lab.nodeNames().then((names) => names.includes(WORKER)), false, "w1 joined while switched off");

    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await lab.nodeNames(), NODES);
    assertSameLines(await lab.listing(WORKER), fresh[WORKER], "w1 is not as a fresh up left it");
  });

  it("stores nothing from an up with a wrong pinned host key; destroy works once it is put back", async () => {
    const wrongKey = ed25519HostKey();
    const rightKey = lab.lab.host(CONTROL_PLANE).hostKey;
    lab.declareHosts([CONTROL_PLANE], [WORKER], { [CONTROL_PLANE]: wrongKey });
    const message = await failure(lab.up());
    assert.match(message, /host key mismatch: .* but controlPlane\[0\]\.hostKey expects /, message.slice(-3000));
    const state = JSON.stringify(lab.resources());
    const keyBody = (key: string) => key.split(" ")[1];
    assert.ok(!state.includes(keyBody(wrongKey)), "the wrong host key was stored");
    assert.ok(state.includes(keyBody(rightKey)), "the state lost the host's key");

    // With the right key back, nothing is left to do: the failed up changed nothing, on the hosts or in the state.
    lab.declareHosts([CONTROL_PLANE], [WORKER]);
    const plan = await lab.preview();
    assert.deepEqual(
      Object.entries(plan.changeSummary).filter(([op]) => op !== "same"),
      [],
    );
    for (const host of NODES) assertSameLines(await lab.listing(host), fresh[host], `${host} changed`);
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    for (const host of NODES) {
      assertSameLines(await lab.snapshot(host), clean[host], `${host} is not as clean as before the first up`);
    }
  });
});
