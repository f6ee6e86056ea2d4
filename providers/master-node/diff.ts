// What a change of the first control-plane node's settings does.
//
// Replace (a new cluster: delete resets the host, create runs `kubeadm init` again; workers follow, because
// their caCertHash/apiEndpoint inputs come from this resource):
//   - cluster.podSubnet, serviceSubnet, dnsDomain, controlPlaneEndpoint: baked into certificates, the service
//     CIDR allocator, kube-proxy and CoreDNS, and every node's config; kubeadm cannot change them in place;
//   - node.name, node.advertiseAddress (and role): the etcd member, certificates and Node object carry them;
//   Replacement is delete-before-replace: the old and the new control plane live on the same host, and
//   creating the new one first would have the old one's delete reset it.
// Refused: a different CA (caCertPem). Every certificate and kubeconfig derives from it, so a new CA is a new
//   cluster; that is something to ask for (`pulumi destroy`, then `pulumi up`), never the side effect of an edit,
//   of a tls resource the tls provider re-creates, or of running a program whose CA moved (a stack whose CA a
//   ClusterCa resource made, before the tls provider did: tools/migrate-ca.ts keeps it).
// Update in place, as an upgrade (providers/node/upgrade-rollout.ts):
//   - cluster.kubernetesVersion: kubeadm's upgrade sequence on every node, this one first (`kubeadm upgrade
//     apply`); a downgrade or a skipped minor is refused at check, before anything runs.
// Update in place, through kubeadm's own phases (providers/node/control-plane-update.ts):
//   - apiServer/controllerManager/scheduler extraArgs: `kubeadm init phase control-plane <component>`;
//   - apiServer.certSANs: the API server certificate is re-issued (`kubeadm init phase certs apiserver`);
//   - imageRepository: every control-plane manifest, etcd's and the CoreDNS/kube-proxy add-ons;
//   - kubelet extraArgs: `kubeadm init phase kubelet-start` (rewrites kubeadm-flags.env, restarts the kubelet);
//   - schedulableControlPlane: the control-plane taint is added or removed with kubectl;
//   - node.labels: kubectl label;
//   - kubeVip: kube-vip's static Pod is rewritten (or removed); the kubelet restarts it.
//   ClusterConfiguration changes are also uploaded to the kubeadm-config ConfigMap (what joins and kubeadm
//   itself read later).
// Update with no remote work: the connection (a rotated key, another port or user) and the reset script are
//   only stored, so that later operations, delete in particular, use the new ones. Never a replacement: a new
//   key does not make a new machine.
// Other cluster settings (add-ons, packages, drain, join token lifetime) mean nothing to this resource and
//   show no change.
import type { KubeadmInitInputs, KubeadmInitOutputs } from "./inputs";
import { CONTROL_PLANE_UPDATE_PATHS, updatePlan, type ControlPlaneUpdatePlan } from "../node/control-plane-update";
import { diffOfChanges, pathChanges, type PathChanges } from "../shared/path-diff";
import { KUBERNETES_VERSION_PATH, showUpgradePart } from "../node/upgrade-rollout";
import { UNKNOWN_DURING_PREVIEW } from "../shared/plain-data";

export const MASTER_NODE_REPLACE_PATHS = [
  "cluster.podSubnet",
  "cluster.serviceSubnet",
  "cluster.dnsDomain",
  "cluster.controlPlaneEndpoint",
  "node.name",
  "node.advertiseAddress",
  "node.role",
] as const;

export const MASTER_NODE_STORED_PATHS = ["connection", "resetScript"] as const;

export interface MasterNodeChanges extends PathChanges {
  plan: ControlPlaneUpdatePlan;
}

export function masterNodeChanges(olds: KubeadmInitOutputs, news: KubeadmInitInputs): MasterNodeChanges {
  const changes = pathChanges(olds, news, {
    replace: MASTER_NODE_REPLACE_PATHS,
    update: [...CONTROL_PLANE_UPDATE_PATHS, KUBERNETES_VERSION_PATH],
    stored: MASTER_NODE_STORED_PATHS,
  });
  return { ...changes, plan: updatePlan(changes.updates) };
}

/** What the user runs to keep a CA that a ClusterCa resource made (tools/migrate-ca.ts). */
export const MIGRATE_CA_COMMAND = "npm run migrate-ca -- <stack>";

/** Refuses a CA other than the one the cluster was initialised with (see the top of this file). */
export function refuseNewCa(olds: KubeadmInitOutputs, news: KubeadmInitInputs): void {
  if (olds.caCertPem === news.caCertPem) return;
  const coming = news.caCertPem === UNKNOWN_DURING_PREVIEW ? "a CA that is still to be made" : "another CA";
  throw new Error(
    `${news.node.name}: the cluster was initialised with its CA and this would give it ${coming}: every certificate ` +
      "and kubeconfig of the cluster derives from the CA, so a new CA is a new cluster, and that is not done as a " +
      "side effect. A stack created before pulumi-kubeadm made its CA with the tls provider keeps its CA with " +
      `\`${MIGRATE_CA_COMMAND}\` (once; nothing on the hosts changes). Otherwise put clusterCa back as it was ` +
      "(keyType, rsaBits, certPem/keyPem or certFile/keyFile), or, to start a new cluster with a new CA, run " +
      "`pulumi destroy`, then `pulumi up`.",
  );
}

export function masterNodeDiff(olds: KubeadmInitOutputs, news: KubeadmInitInputs) {
  refuseNewCa(olds, news);
  const changes = masterNodeChanges(olds, news);
  if (changes.updates.includes(KUBERNETES_VERSION_PATH)) {
    showUpgradePart("first", news.node.name, olds.cluster.kubernetesVersion, news.cluster.kubernetesVersion);
  }
  return diffOfChanges(changes);
}
