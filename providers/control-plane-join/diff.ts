// What a change of a joined control-plane node's settings does.
//
// Replace (delete-before-replace: remove it from the cluster and etcd, reset, join again):
//   - node.name, node.advertiseAddress (and role): its etcd member, certificates and Node carry them;
//   - apiEndpoint, caCertHash: another control plane or CA is another cluster (and how a replaced first
//     control plane carries over: while it is replaced these inputs are unknown);
// Update in place, as its part of an upgrade (node/upgrade-rollout.ts): cluster.kubernetesVersion, `kubeadm upgrade
//   node` after the first control plane's `upgrade apply`, one control plane at a time.
// Update in place, on the node itself (it has admin.conf like the first one), through kubeadm's phases as for
// the first control-plane node (node/control-plane-update.ts): component extra args, certSANs, imageRepository, kubelet
// extra args, the control-plane taint, labels; kube-vip's static Pod is rewritten or removed.
// Update with no remote work: the connections (its own and the other control-plane nodes'), the reset script
// and the drain settings are only stored.
import type { KubeadmControlPlaneJoinInputs, KubeadmControlPlaneJoinOutputs } from "./inputs";
import { CONTROL_PLANE_UPDATE_PATHS } from "../node/control-plane-update";
import { WORKER_JOIN_REPLACE_PATHS } from "../worker-join/diff";
import { diffByPaths, diffOfChanges } from "../shared/path-diff";
import { KUBERNETES_VERSION_PATH, showUpgradePart } from "../node/upgrade-rollout";

/** The same as a worker's, for the same reasons (worker-join/diff.ts). */
export const CONTROL_PLANE_JOIN_REPLACE_PATHS = WORKER_JOIN_REPLACE_PATHS;

/** The same as the first control-plane node's: both are updated by node/control-plane-update.ts. */
export const CONTROL_PLANE_JOIN_UPDATE_PATHS = [...CONTROL_PLANE_UPDATE_PATHS, KUBERNETES_VERSION_PATH] as const;

export const CONTROL_PLANE_JOIN_STORED_PATHS = ["connection", "controlPlanes", "resetScript", "cluster.drain"] as const;

const byPaths = diffByPaths<KubeadmControlPlaneJoinOutputs, KubeadmControlPlaneJoinInputs>({
  replace: CONTROL_PLANE_JOIN_REPLACE_PATHS,
  update: CONTROL_PLANE_JOIN_UPDATE_PATHS,
  stored: CONTROL_PLANE_JOIN_STORED_PATHS,
});

/** The changes update acts on. */
export const controlPlaneJoinChanges = byPaths.changes;

/** The diff the engine gets; an upgrade also says the node's part in it. */
export function controlPlaneJoinDiff(olds: KubeadmControlPlaneJoinOutputs, news: KubeadmControlPlaneJoinInputs) {
  const changes = controlPlaneJoinChanges(olds, news);
  if (changes.updates.includes(KUBERNETES_VERSION_PATH)) {
    showUpgradePart("control-plane", news.node.name, olds.cluster.kubernetesVersion, news.cluster.kubernetesVersion);
  }
  return diffOfChanges(changes);
}
