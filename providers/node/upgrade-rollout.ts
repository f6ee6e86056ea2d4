// The cluster's upgrade when kubernetesVersion changes, as each node's resource takes its part (kubeadm's order):
// the first control plane checks the whole cluster before anything changes, snapshots etcd and runs
// `kubeadm upgrade apply`; the other control planes follow one at a time with `kubeadm upgrade node`; workers wait
// until every control plane is at the new version, then go `upgrade.workersAtOnce` at a time. The engine already
// orders the first control plane before the nodes that take its outputs; the waits and slots here order the rest.
import { normalizeKubernetesVersion } from "../../config/version";
import { upgradePath } from "../../kubeadm/upgrade-path";
import type { RemoteSession, SecretMasker } from "../../ssh";
import { takeEtcdSnapshot, type EtcdSnapshot } from "./etcd-snapshot";
import { kubectl } from "./kubectl";
import { withRolloutSlot } from "./rollout-slots";
import type { ClusterSettings, NodeSettings } from "./settings";
import {
  observeCluster,
  upgradeProblems,
  upgradeStage,
  VERSIONED_STATIC_PODS,
  type ClusterObservation,
} from "./upgrade-preflight";
import { upgradeNode, type UpgradeRole } from "./upgrade-node";
import { KubeadmStepError } from "../shared/step-errors";
import type { StepReporter } from "../shared/step-reporter";
import { summary } from "../shared/progress";

/** The setting whose change is an upgrade (an update of every node's resource, never a replacement). */
export const KUBERNETES_VERSION_PATH = "cluster.kubernetesVersion";

/**
 * The node's part of the upgrade in words, shown by the diff: in the preview before `pulumi up` asks to go on, and
 * in `up` before the node's turn comes. A refused version says nothing here: the check refuses it with the reason.
 */
export function describeUpgradePart(
  role: UpgradeRole,
  from: string,
  to: string,
  workersAtOnce = 1,
): string | undefined {
  const path = upgradePath(from, to);
  if (path.kind !== "patch" && path.kind !== "minor") return undefined;
  const parts: Record<UpgradeRole, string> = {
    first:
      "first of all nodes: every node checked Ready and within the skew policy, an etcd snapshot, `kubeadm upgrade " +
      "apply` (control plane, etcd, CoreDNS, kube-proxy; certificates renewed), then drained for its kubelet and kubectl",
    "control-plane":
      "after the first control plane, one control plane at a time: `kubeadm upgrade node`, then drained for its " +
      "kubelet and kubectl",
    worker:
      `after every control plane, ${workersAtOnce} worker${workersAtOnce === 1 ? "" : "s"} at a time ` +
      "(upgrade.workersAtOnce): `kubeadm upgrade node`, drained for its kubelet and kubectl",
  };
  return `${path.kind} upgrade ${path.from} → ${path.to}, ${parts[role]}`;
}

/** Shows the node's part of an upgrade (describeUpgradePart) as a line that stays. */
export function showUpgradePart(
  role: UpgradeRole,
  node: string,
  from: string,
  to: string,
  workersAtOnce?: number,
): void {
  const text = describeUpgradePart(role, from, to, workersAtOnce);
  if (text) summary(node, "upgrade plan", text);
}

export interface RolloutPart {
  /** The version the node's resource was at (its stored settings). */
  from: string;
  cluster: ClusterSettings;
  node: NodeSettings;
  /** The cluster's endpoint: names the cluster's rollout slots. */
  apiEndpoint: string;
  reporter: StepReporter;
  masker: SecretMasker;
}

/** A node resource's part, from its stored settings (the version it was at) and its new ones. */
export function rolloutPart(
  olds: { cluster: ClusterSettings },
  news: { cluster: ClusterSettings; node: NodeSettings },
  apiEndpoint: string,
  reporter: StepReporter,
  masker: SecretMasker,
): RolloutPart {
  return {
    from: olds.cluster.kubernetesVersion,
    cluster: news.cluster,
    node: news.node,
    apiEndpoint,
    reporter,
    masker,
  };
}

/** Seconds a node waits for the nodes before it in the rollout. */
const WAIT_FOR_EARLIER_SECONDS = 45 * 60;
const POLL_SECONDS = 5;
/** A waiting node says what it waits for this often. */
const WAIT_REPORT_SECONDS = 30;

function snapshotBefore(session: RemoteSession, part: RolloutPart): Promise<EtcdSnapshot | undefined> {
  const settings = part.cluster.etcdSnapshots;
  if (settings?.beforeChanges === false) return Promise.resolve(undefined);
  return takeEtcdSnapshot(session, part.node.name, settings?.keep ?? 3, part.reporter);
}

/**
 * The first control plane's part: every problem of the cluster refused at once before anything changes, then an etcd
 * snapshot and the node's upgrade (`kubeadm upgrade apply` for the cluster). Returns the snapshot.
 */
export async function upgradeFirstControlPlane(
  session: RemoteSession,
  part: RolloutPart,
): Promise<EtcdSnapshot | undefined> {
  const target = normalizeKubernetesVersion(part.cluster.kubernetesVersion);
  part.reporter.begin("upgrade preflight", `from ${normalizeKubernetesVersion(part.from)} to ${target}`);
  const problems = upgradeProblems(await observeCluster(session), part.from, part.cluster.kubernetesVersion);
  if (problems.length > 0) {
    throw new KubeadmStepError(
      session.target,
      "upgrade preflight",
      `the upgrade to ${target} was refused before anything changed:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
  const snapshot = await snapshotBefore(session, part);
  await withRolloutSlot(`${part.apiEndpoint} control planes`, 1, () =>
    upgradeNode(
      { node: session, kubectlOn: session },
      { role: "first", cluster: part.cluster, node: part.node, reporter: part.reporter, masker: part.masker },
    ),
  );
  return snapshot;
}

/** A joined control plane's part: after `kubeadm upgrade apply` finished, one control plane at a time. */
export async function upgradeJoinedControlPlane(
  session: RemoteSession,
  part: RolloutPart,
): Promise<EtcdSnapshot | undefined> {
  const target = normalizeKubernetesVersion(part.cluster.kubernetesVersion);
  // `kubeadm upgrade node` takes its version from the kubeadm-config ConfigMap, which `upgrade apply` writes last.
  await waitFor(session, part, "kubeadm upgrade apply on the first control plane", async () => {
    const config = await session.run(
      kubectl(["-n", "kube-system", "get", "configmap", "kubeadm-config", "-o=jsonpath={.data.ClusterConfiguration}"]),
      { allowFailure: true, streamOutput: false, summary: "kubectl get configmap kubeadm-config" },
    );
    const version = /^kubernetesVersion:\s*(\S+)\s*$/m.exec(config.stdout)?.[1];
    return version === target ? [] : [`the cluster's configuration is at ${version ?? "an unknown version"}`];
  });
  return withRolloutSlot(`${part.apiEndpoint} control planes`, 1, async () => {
    const snapshot = await snapshotBefore(session, part);
    await upgradeNode(
      { node: session, kubectlOn: session },
      { role: "control-plane", cluster: part.cluster, node: part.node, reporter: part.reporter, masker: part.masker },
    );
    return snapshot;
  });
}

/**
 * What of the control planes is not at `target` yet, from the cluster's observation (upgrade-preflight.ts): each
 * control-plane node's kubelet, and its API server, controller manager and scheduler.
 */
export function controlPlanesBehind(obs: ClusterObservation, target: string): string[] {
  return obs.nodes
    .filter((node) => node.controlPlane)
    .flatMap((node) => {
      const remaining = upgradeStage(obs, node.name, target)?.remaining ?? [];
      const behind: string[] = [];
      if (remaining.includes("control-plane")) {
        for (const component of VERSIONED_STATIC_PODS) {
          const tag = node.staticPods.find((pod) => pod.component === component)?.tag;
          if (tag !== target) behind.push(`${node.name}: ${component} ${tag || "not running"}`);
        }
      }
      if (remaining.includes("kubelet")) behind.push(`${node.name}: kubelet ${node.kubeletVersion || "unknown"}`);
      return behind;
    });
}

/** A worker's part: once every control plane is at the new version, `upgrade.workersAtOnce` workers at a time. */
export async function upgradeWorker(
  worker: RemoteSession,
  controlPlane: RemoteSession,
  part: RolloutPart,
): Promise<void> {
  const target = normalizeKubernetesVersion(part.cluster.kubernetesVersion);
  await waitFor(controlPlane, part, "every control plane", async () => {
    const obs = await observeCluster(controlPlane).catch(() => undefined);
    return obs === undefined ? ["the API server did not answer"] : controlPlanesBehind(obs, target);
  });
  const size = part.cluster.upgrade?.workersAtOnce ?? 1;
  await withRolloutSlot(
    `${part.apiEndpoint} workers`,
    size,
    () =>
      upgradeNode(
        { node: worker, kubectlOn: controlPlane },
        { role: "worker", cluster: part.cluster, node: part.node, reporter: part.reporter, masker: part.masker },
      ),
    () => part.reporter.begin("upgrade: waiting", `for one of the ${size} worker slot(s) (upgrade.workersAtOnce)`),
  );
}

/** Polls `pending` (what is still to come, nothing when done) until it is empty, saying what it waits for. */
async function waitFor(
  session: RemoteSession,
  part: RolloutPart,
  what: string,
  pending: () => Promise<string[]>,
): Promise<void> {
  const started = Date.now();
  let reported = 0;
  for (;;) {
    const left = await pending();
    if (left.length === 0) return;
    const elapsed = (Date.now() - started) / 1000;
    if (elapsed >= WAIT_FOR_EARLIER_SECONDS) {
      throw new KubeadmStepError(
        session.target,
        "upgrade: waiting",
        `${part.node.name} waited ${Math.round(elapsed / 60)} minutes for ${what} to reach ` +
          `${normalizeKubernetesVersion(part.cluster.kubernetesVersion)}, still: ${left.join("; ")}. ` +
          "Look at those nodes' upgrades (pulumi up's output above), then run `pulumi up` again.",
      );
    }
    if (reported === 0 || elapsed - reported >= WAIT_REPORT_SECONDS) {
      part.reporter.begin("upgrade: waiting", `for ${what}: ${left.join("; ")}`);
      reported = Math.max(elapsed, 1);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_SECONDS * 1000));
  }
}
