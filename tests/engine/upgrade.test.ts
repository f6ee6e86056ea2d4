// A version bump on real nodes (issue 18): a cluster built at Kubernetes 1.34 by the real engine, the real kubeadm,
// kubelet and control-plane images of both versions (tools/setup builds them, the lab's registry and package mirrors
// serve them), is moved to the pinned 1.35 by changing kubernetesVersion and the package mirror's minor, as a user
// behind a firewall would. The preview shows updates, never a replacement; refusals come before anything changes; the
// workloads survive; the destroy afterwards leaves the hosts as they were.
import { strict as assert } from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { HostSpec } from "../../lab/spec";
import { registryPulls } from "../../lab/registry";
import { labKubernetesVersions } from "../../lab/stack-config";
import { assertSameLines, LabStack } from "../support/lab-stack";
import { pinnedVersions } from "../../tools/paths";
import { killUpWhen } from "../support/killed-up";

const { previous: FROM, pinned: TO } = labKubernetesVersions();
const escaped = (text: string) => text.replace(/\./g, "\\.");
const CONTROL_PLANE = "cp1";
const WORKERS = ["w1", "w2"];
const HOSTS: HostSpec[] = [
  { name: CONTROL_PLANE, distro: "ubuntu" },
  { name: "w1", distro: "ubuntu" },
  { name: "w2", distro: "rocky" },
];

interface NodeList {
  items: {
    metadata: { name: string };
    spec: { unschedulable?: boolean };
    status: { conditions: { type: string; status: string }[]; nodeInfo: { kubeletVersion: string } };
  }[];
}

describe("upgrade: a kubernetesVersion bump on real nodes (real engine)", function () {
  this.timeout(1_800_000);
  let lab: LabStack;
  const beforeUp = new Map<string, string>();

  const nodes = async () => JSON.parse(await lab.kubectl("get nodes -o json")) as NodeList;
  const kubeletVersions = async () =>
    Object.fromEntries((await nodes()).items.map((n) => [n.metadata.name, n.status.nodeInfo.kubeletVersion]));
  /** The control plane's static Pods' and add-ons' images, by component. */
  const images = async () => {
    const pods = JSON.parse(await lab.kubectl("-n kube-system get pods -o json")) as {
      items: {
        metadata: { name: string; labels?: Record<string, string> };
        spec: { containers: { image: string }[] };
      }[];
    };
    const byComponent: Record<string, string> = {};
    for (const pod of pods.items) {
      const name = pod.metadata.labels?.component ?? pod.metadata.labels?.["k8s-app"];
      if (name) byComponent[name] = pod.spec.containers[0].image.replace(/^.*\//, "");
    }
    return byComponent;
  };
  /** Only the version, for the refusals: the check refuses it before any repository is read. */
  const setVersionOnly = (version: string) =>
    lab.stack.setConfig("pulumi-kubeadm:kubernetesVersion", { value: version });

  before(async function () {
    lab = await LabStack.start({
      lab: "upgrade",
      hosts: HOSTS,
      kubernetesVersion: FROM,
      config: {
        // A stopped kubelet shows as NotReady in about 20 s, not in 50. Not the seed's 10 s: the kubelets renew their
        // leases every 10 s, so with 10 s a late renewal on a busy machine flaps a healthy node NotReady, and the
        // upgrade's preflight rightly refuses it (seen once).
        controllerManager: { extraArgs: { "node-monitor-grace-period": "20s" } },
        addons: { flannel: { enabled: true, backend: "vxlan" } },
      },
    });
    for (const host of HOSTS) beforeUp.set(host.name, await lab.listing(host.name));
    lab.declareHosts([CONTROL_PLANE], WORKERS);
  });

  after(async () => {
    await lab?.stop();
  });

  it(`builds the cluster at ${FROM}, with a workload and data in it`, async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await kubeletVersions(), { [CONTROL_PLANE]: FROM, w1: FROM, w2: FROM });
    // That version's packages, as each family reports them, and that version's own etcd and CoreDNS (kubeadm 1.34's),
    // all pulled from the lab's registry.
    const bare = FROM.slice(1);
    assert.equal(await lab.lab.run(CONTROL_PLANE, "dpkg-query -W -f='${Version}' kubeadm"), `${bare}-1.1`);
    assert.equal(await lab.lab.run("w2", "rpm -q --qf '%{VERSION}-%{RELEASE}' kubelet"), `${bare}-150500.1.1`);
    const before = await images();
    assert.equal(before["kube-apiserver"], `kube-apiserver:${FROM}`);
    assert.equal(before["kube-proxy"], `kube-proxy:${FROM}`);
    assert.equal(before.etcd, `etcd:${pinnedVersions().ETCD_PREVIOUS_VERSION}-0`);
    assert.equal(before["kube-dns"], `coredns:v${pinnedVersions().COREDNS_PREVIOUS_VERSION}`);
    const pulled = registryPulls(lab.lab.name).map((p) => p.path.replace("/manifests/", ":"));
    assert.ok(
      !pulled.some((p) => p.endsWith(`:${TO}`)),
      `pulled ${TO} images before the upgrade:\n${pulled.join("\n")}`,
    );
    await lab.kubectl("create configmap kept-across-the-upgrade --from-literal=answer=42");
    await lab.kubectl("create deployment web --image=busybox:1.35.0 --replicas=2 -- sleep 36000");
    await lab
      .kubectl("rollout status deployment/web --timeout=300s", { timeoutMs: 320_000 })
      .catch(async (error: Error) => {
        const pods = await lab.kubectl("get pods -o wide").catch((e: Error) => e.message);
        const events = await lab.kubectl("get events --sort-by=.lastTimestamp").catch((e: Error) => e.message);
        throw new Error(`${error.message}\n${pods}\n${events.split("\n").slice(-25).join("\n")}`);
      });
  });

  it("refuses a downgrade and a skipped minor in the preview, naming the rule and the way forward", async () => {
    const [major, minor] = FROM.replace(/^v/, "").split(".").map(Number);
    const downgrade = `v${major}.${minor}.0`;
    const skip = `v${major}.${minor + 2}.1`;
    for (const [version, rule] of [
      [downgrade, new RegExp(`older than the cluster's ${FROM.slice(1)}: kubeadm cannot downgrade`)],
      [skip, new RegExp(`skips ${major}\\.${minor + 1}.*one minor at a time`)],
    ] as const) {
      await setVersionOnly(version);
      await assert.rejects(lab.preview(), (error: Error) => {
        assert.match(error.message, rule);
        return true;
      });
    }
    await setVersionOnly(FROM);
    assert.deepEqual(await kubeletVersions(), { [CONTROL_PLANE]: FROM, w1: FROM, w2: FROM });
  });

  it("refuses the upgrade while a node is NotReady, before the control plane or any kubelet changes", async () => {
    await lab.lab.run("w2", "systemctl stop kubelet");
    await lab.kubectl("wait --for=condition=Ready=Unknown node/w2 --timeout=120s", { timeoutMs: 150_000 });
    await lab.setKubernetesVersion(TO);
    const from = lab.output.length;
    await assert.rejects(lab.up(), (error: Error) => {
      assert.match(`${error.message}\n${lab.output.slice(from)}`, /node w2 is NotReady/);
      return true;
    });
    assert.equal((await images())["kube-apiserver"], `kube-apiserver:${FROM}`);
    assert.deepEqual(await kubeletVersions(), { [CONTROL_PLANE]: FROM, w1: FROM, w2: FROM });
    await lab.lab.run("w2", "systemctl start kubelet");
    await lab.kubectl("wait --for=condition=Ready node/w2 --timeout=120s", { timeoutMs: 150_000 });
  });

  it(`previews the bump to ${TO} as updates of every node, never a replacement`, async () => {
    const planned: string[] = [];
    const onEvent = (event: EngineEvent) => {
      const step = event.resourcePreEvent?.metadata;
      const kind = /pulumi-kubeadm:(KubeadmInit|KubeadmJoin)$/.exec(step?.type ?? "")?.[1];
      if (step && kind) planned.push(`${step.op} ${kind}`);
    };
    const from = lab.output.length;
    await lab.preview({ onEvent });
    assert.deepEqual(planned.sort(), ["update KubeadmInit", "update KubeadmJoin", "update KubeadmJoin"]);
    // The plan in words, which nodes in which order.
    const preview = lab.output.slice(from);
    assert.match(
      preview,
      new RegExp(`\\[cp1\\] upgrade plan: minor upgrade ${escaped(FROM)} → ${escaped(TO)}, first of all nodes`),
    );
    for (const worker of WORKERS) {
      assert.match(
        preview,
        new RegExp(`\\[${worker}\\] upgrade plan: .*after every control plane, 1 worker at a time`),
      );
    }
  });

  it(`upgrades every node in place to ${TO}, finishing after pulumi was killed in the worker phase`, async () => {
    // Killed once a worker is cordoned for its upgrade: the control plane is done, the workers are not.
    const workerCordoned = async () => {
      const annotations = await lab
        .kubectl(`get nodes ${WORKERS.join(" ")} -o jsonpath={.items[*].metadata.annotations}`)
        .catch(() => "");
      return annotations.includes("pulumi-kubeadm.io/cordoned-for-upgrade");
    };
    await killUpWhen(lab, workerCordoned, { logName: "upgrade-killed-up.log", what: "a worker's upgrade started" });
    const atKill = await kubeletVersions();
    assert.equal(atKill[CONTROL_PLANE], TO, "the control plane was not upgraded before the workers");
    assert.ok(
      WORKERS.some((w) => atKill[w] === FROM),
      `every worker was upgraded already: ${JSON.stringify(atKill)}`,
    );
    lab.project.cli(["cancel", "--yes", "--stack", lab.stack.name]);

    const from = lab.output.length;
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-4000));
    assert.match(lab.output.slice(from), /pending operations from previous deployment/);
    assert.equal(result.summary.resourceChanges?.replace ?? 0, 0);
    assert.deepEqual(await kubeletVersions(), { [CONTROL_PLANE]: TO, w1: TO, w2: TO });
    const after = await images();
    for (const component of ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"]) {
      assert.equal(after[component], `${component}:${TO}`, component);
    }
    assert.equal(after.etcd, `etcd:${pinnedVersions().ETCD_VERSION}-0`);
    assert.equal(after["kube-dns"], `coredns:v${pinnedVersions().COREDNS_VERSION}`);
    for (const node of (await nodes()).items) {
      assert.equal(node.spec.unschedulable ?? false, false, `${node.metadata.name} was left cordoned`);
      assert.equal(node.status.conditions.find((c) => c.type === "Ready")?.status, "True", node.metadata.name);
    }
    assert.equal(await lab.kubectl("get configmap kept-across-the-upgrade -o jsonpath={.data.answer}"), "42");
    await lab.kubectl("rollout status deployment/web --timeout=180s", { timeoutMs: 200_000 });
    // The resumed run went on from what the nodes showed: the control plane's upgrade was not run again.
    assert.doesNotMatch(lab.output.slice(from), /\[cp1\] upgrade: kubeadm upgrade apply/);
    // The etcd snapshot taken before it, on the node, as the outputs report it.
    const snapshot = (await lab.stack.outputs()).etcdSnapshots.value[CONTROL_PLANE] as { path: string; sha256: string };
    const sum = (await lab.lab.run(CONTROL_PLANE, `sha256sum ${snapshot.path}`)).split(/\s+/)[0];
    assert.equal(`sha256:${sum}`, snapshot.sha256);
    // Nothing is left to do.
    const changed: string[] = [];
    await lab.preview({
      onEvent: (event: EngineEvent) => {
        const step = event.resourcePreEvent?.metadata;
        if (step && step.op !== "same") changed.push(`${step.op} ${step.urn}`);
      },
    });
    assert.deepEqual(changed, []);
  });

  it("destroys the upgraded cluster, leaving every host as it was before the first up", async () => {
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    for (const host of HOSTS) assertSameLines(await lab.listing(host.name), beforeUp.get(host.name)!, host.name);
  });
});
