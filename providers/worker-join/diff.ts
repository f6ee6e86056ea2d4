// What a change of a worker's settings does.
//
// Replace (drain, delete the Node, reset the host, join again; delete-before-replace, since old and new are the
// same host):
//   - node.name, node.advertiseAddress (and role): the Node object and the kubelet's certificate carry them;
//   - apiEndpoint, caCertHash: another control plane or CA is another cluster (this is also how replacing the
//     control plane carries over to the workers: while it is replaced, these inputs are unknown);
// Update in place:
//   - cluster.kubernetesVersion: the worker's part of the upgrade (node/upgrade-rollout.ts), after every control
//     plane, drained first;
//   - node.labels: kubectl label on the control plane;
//   - cluster.kubelet.extraArgs: kubeadm-flags.env is rewritten and the kubelet restarted (node/kubelet-flags.ts).
// Update with no remote work: the worker's and the control plane's connections, the reset script, and the drain
//   settings are only stored, so later operations (delete in particular) use the new ones.
import type { KubeadmJoinInputs, KubeadmJoinOutputs } from "./inputs";
import { diffByPaths, diffOfChanges } from "../shared/path-diff";
import { KUBERNETES_VERSION_PATH, showUpgradePart } from "../node/upgrade-rollout";

export const WORKER_JOIN_REPLACE_PATHS = [
  "node.name",
  "node.advertiseAddress",
  "node.role",
  "apiEndpoint",
  "caCertHash",
] as const;

export const WORKER_JOIN_UPDATE_PATHS = ["node.labels", "cluster.kubelet.extraArgs", KUBERNETES_VERSION_PATH] as const;

export const WORKER_JOIN_STORED_PATHS = ["connection", "controlPlane", "resetScript", "cluster.drain"] as const;

const byPaths = diffByPaths<KubeadmJoinOutputs, KubeadmJoinInputs>({
  replace: WORKER_JOIN_REPLACE_PATHS,
  update: WORKER_JOIN_UPDATE_PATHS,
  stored: WORKER_JOIN_STORED_PATHS,
});

/** The changes update acts on. */
export const workerJoinChanges = byPaths.changes;

/** The diff the engine gets; an upgrade also says the worker's part in it. */
export function workerJoinDiff(olds: KubeadmJoinOutputs, news: KubeadmJoinInputs) {
  const changes = workerJoinChanges(olds, news);
  if (changes.updates.includes(KUBERNETES_VERSION_PATH)) {
    const from = olds.cluster.kubernetesVersion;
    showUpgradePart(
      "worker",
      news.node.name,
      from,
      news.cluster.kubernetesVersion,
      news.cluster.upgrade?.workersAtOnce,
    );
  }
  return diffOfChanges(changes);
}
