// What a change of a joined control-plane node's settings does.
//
// Replace (delete-before-replace: remove it from the cluster and etcd, reset, join again):
//   - node.name, node.advertiseAddress (and role): its etcd member, certificates and Node carry them;
//   - apiEndpoint, caCertHash: another control plane or CA is another cluster (and how a replaced first
//     control plane carries over: while it is replaced these inputs are unknown);
//   - cluster.kubernetesVersion: upgrades are out of scope.
// Update in place, on the node itself (it has admin.conf like the first one), through kubeadm's phases as for
// the first control-plane node (init-update.ts): component extra args, certSANs, imageRepository, kubelet
// extra args, the control-plane taint, labels; kube-vip's static Pod is rewritten or removed.
// Update with no remote work: the connections (its own and the other control-plane nodes'), the reset script
// and the drain settings are only stored.
import type { KubeadmControlPlaneJoinInputs, KubeadmControlPlaneJoinOutputs } from "./control-plane-join-inputs";
import { changedPaths } from "./plain-data";

export const CONTROL_PLANE_JOIN_REPLACE_PATHS = [
  "node.name",
  "node.advertiseAddress",
  "node.role",
  "apiEndpoint",
  "caCertHash",
  "cluster.kubernetesVersion",
] as const;

export const CONTROL_PLANE_JOIN_UPDATE_PATHS = [
  "cluster.apiServer.extraArgs",
  "cluster.controllerManager.extraArgs",
  "cluster.scheduler.extraArgs",
  "cluster.apiServer.certSANs",
  "cluster.imageRepository",
  "cluster.kubelet.extraArgs",
  "cluster.schedulableControlPlane",
  "cluster.kubeVip",
  "node.labels",
] as const;

export const CONTROL_PLANE_JOIN_STORED_PATHS = ["connection", "controlPlanes", "resetScript", "cluster.drain"] as const;

export interface ControlPlaneJoinChanges {
  replaces: string[];
  updates: string[];
  stored: string[];
}

export function controlPlaneJoinChanges(
  olds: KubeadmControlPlaneJoinOutputs,
  news: KubeadmControlPlaneJoinInputs,
): ControlPlaneJoinChanges {
  return {
    replaces: changedPaths(olds, news, CONTROL_PLANE_JOIN_REPLACE_PATHS),
    updates: changedPaths(olds, news, CONTROL_PLANE_JOIN_UPDATE_PATHS),
    stored: changedPaths(olds, news, CONTROL_PLANE_JOIN_STORED_PATHS),
  };
}

export function controlPlaneJoinDiff(olds: KubeadmControlPlaneJoinOutputs, news: KubeadmControlPlaneJoinInputs) {
  const { replaces, updates, stored } = controlPlaneJoinChanges(olds, news);
  return {
    changes: replaces.length + updates.length + stored.length > 0,
    replaces,
    deleteBeforeReplace: replaces.length > 0,
  };
}
