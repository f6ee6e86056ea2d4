// What a change of the first control-plane node's settings does.
//
// Replace (a new cluster: delete resets the host, create runs `kubeadm init` again; workers follow, because
// their caCertHash/apiEndpoint inputs come from this resource):
//   - cluster.podSubnet, serviceSubnet, dnsDomain, controlPlaneEndpoint: baked into certificates, the service
//     CIDR allocator, kube-proxy and CoreDNS, and every node's config; kubeadm cannot change them in place;
//   - caCertPem/caKeyPem: every certificate and kubeconfig derives from the CA;
//   - node.name, node.advertiseAddress (and role): the etcd member, certificates and Node object carry them;
//   - cluster.kubernetesVersion: upgrades (`kubeadm upgrade`) are out of scope, so another version means
//     another cluster. Pulumi shows the replacement in the preview: read it before confirming.
//   Replacement is delete-before-replace: the old and the new control plane live on the same host, and
//   creating the new one first would have the old one's delete reset it.
// Update in place, through kubeadm's own phases (providers/init-update.ts):
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
import { diffOfChanges, pathChanges, type PathChanges } from "../shared/path-diff";

export const INIT_REPLACE_PATHS = [
  "cluster.kubernetesVersion",
  "cluster.podSubnet",
  "cluster.serviceSubnet",
  "cluster.dnsDomain",
  "cluster.controlPlaneEndpoint",
  "caCertPem",
  "caKeyPem",
  "node.name",
  "node.advertiseAddress",
  "node.role",
] as const;

export type ControlPlaneComponent = "apiserver" | "controller-manager" | "scheduler";

const COMPONENT_ARGS: [string, ControlPlaneComponent][] = [
  ["cluster.apiServer.extraArgs", "apiserver"],
  ["cluster.controllerManager.extraArgs", "controller-manager"],
  ["cluster.scheduler.extraArgs", "scheduler"],
];

export const INIT_UPDATE_PATHS = [
  ...COMPONENT_ARGS.map(([path]) => path),
  "cluster.apiServer.certSANs",
  "cluster.imageRepository",
  "cluster.kubelet.extraArgs",
  "cluster.schedulableControlPlane",
  "cluster.kubeVip",
  "node.labels",
] as const;

export const INIT_STORED_PATHS = ["connection", "resetScript"] as const;

/** The in-place work an update does, in the order init-update.ts runs it. */
export interface InitUpdatePlan {
  /** Re-issue the API server certificate (certSANs changed). */
  apiserverCertificate: boolean;
  /** Control-plane static Pods to re-render; all three when the image repository changed. */
  components: ControlPlaneComponent[];
  /** Re-render etcd's manifest and re-apply the CoreDNS and kube-proxy add-ons (image repository). */
  etcdAndAddons: boolean;
  /** Upload the new ClusterConfiguration to the kubeadm-config ConfigMap. */
  uploadClusterConfiguration: boolean;
  /** `kubeadm init phase kubelet-start` (kubelet extra args). */
  kubelet: boolean;
  /** Add or remove the control-plane taint. */
  taint: boolean;
  /** Relabel the Node. */
  labels: boolean;
}

export interface InitChanges extends PathChanges {
  plan: InitUpdatePlan;
}

/** The in-place work for a list of changed update paths (shared with joined control-plane nodes). */
export function updatePlan(updates: string[]): InitUpdatePlan {
  const has = (path: string) => updates.includes(path);
  const imageRepository = has("cluster.imageRepository");
  const components = imageRepository
    ? COMPONENT_ARGS.map(([, component]) => component)
    : COMPONENT_ARGS.filter(([path]) => has(path)).map(([, component]) => component);
  const apiserverCertificate = has("cluster.apiServer.certSANs");
  return {
    apiserverCertificate,
    components,
    etcdAndAddons: imageRepository,
    uploadClusterConfiguration: components.length > 0 || apiserverCertificate,
    kubelet: has("cluster.kubelet.extraArgs"),
    taint: has("cluster.schedulableControlPlane"),
    labels: has("node.labels"),
  };
}

export function initChanges(olds: KubeadmInitOutputs, news: KubeadmInitInputs): InitChanges {
  const changes = pathChanges(olds, news, {
    replace: INIT_REPLACE_PATHS,
    update: INIT_UPDATE_PATHS,
    stored: INIT_STORED_PATHS,
  });
  return { ...changes, plan: updatePlan(changes.updates) };
}

export function initDiff(olds: KubeadmInitOutputs, news: KubeadmInitInputs) {
  return diffOfChanges(initChanges(olds, news));
}

/** True when the plan has anything to do on the host. */
export function hasRemoteWork(plan: InitUpdatePlan): boolean {
  return (
    plan.apiserverCertificate ||
    plan.components.length > 0 ||
    plan.etcdAndAddons ||
    plan.uploadClusterConfiguration ||
    plan.kubelet ||
    plan.taint ||
    plan.labels
  );
}
