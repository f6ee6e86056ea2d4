// kube-vip as a static Pod: what `kube-vip manifest pod --interface <if> --address <vip> --controlplane --arp
// --leaderElection` writes, with the image and kubeconfig chosen here. The kubelet of every control-plane node
// runs it; the elected leader adds the virtual IP to the interface and answers ARP for it, so
// controlPlaneEndpoint reaches a live API server without a load balancer.
import { isIP } from "net";
import { Scalar, stringify } from "yaml";
import { API_SERVER_BIND_PORT } from "./init-config";

export const KUBE_VIP_MANIFEST_PATH = "/etc/kubernetes/manifests/kube-vip.yaml";
export const ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf";
/**
 * During `kubeadm init` (1.29+) admin.conf's group is bound to cluster-admin only late in the run, after the
 * API server must already be reachable through the virtual IP: kube-vip's leader election needs the
 * super-admin credentials until init is done (kube-vip's documented workaround).
 */
export const SUPER_ADMIN_KUBECONFIG = "/etc/kubernetes/super-admin.conf";

/** Seconds of kube-vip's leader election, as its generator writes them: a dead leader is replaced in ~5 s. */
const LEASE = { duration: 5, renewDeadline: 3, retryPeriod: 1 };

export interface KubeVipManifestOptions {
  /** The virtual IP (controlPlaneEndpoint's host). */
  address: string;
  interface: string;
  image: string;
  /** The host's kubeconfig kube-vip reads (mounted where kube-vip looks for it, /etc/kubernetes/admin.conf). */
  kubeconfig: typeof ADMIN_KUBECONFIG | typeof SUPER_ADMIN_KUBECONFIG;
}

export function renderKubeVipManifest(opts: KubeVipManifestOptions): string {
  const family = isIP(opts.address);
  if (family === 0) throw new Error(`kube-vip's address "${opts.address}" must be an IP address`);
  if (opts.interface.trim() === "") throw new Error("kube-vip needs the interface the virtual IP goes on");
  const env = [
    { name: "vip_arp", value: "true" },
    { name: "port", value: String(API_SERVER_BIND_PORT) },
    { name: "vip_nodename", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    { name: "vip_interface", value: opts.interface },
    // kube-vip 1.x reads the address's prefix length from vip_subnet (it ignores the older vip_cidr).
    { name: "vip_subnet", value: family === 6 ? "128" : "32" },
    { name: "dns_mode", value: "first" },
    { name: "cp_enable", value: "true" },
    { name: "cp_namespace", value: "kube-system" },
    // The local API server, not the virtual IP the kubeconfig names: kube-vip 1.x reads its kubeconfig as an
    // explicit file and talks to the kubeconfig's server unless given this, and the virtual IP answers only once a
    // leader holds it, which takes a Lease from the API (during `kubeadm init`, and on every node after a restart).
    // "kubernetes" is 127.0.0.1 through the Pod's host alias and a name in the API server's certificate.
    { name: "kubernetes_addr", value: `kubernetes:${API_SERVER_BIND_PORT}` },
    { name: "vip_leaderelection", value: "true" },
    { name: "vip_leasename", value: "plndr-cp-lock" },
    { name: "vip_leaseduration", value: String(LEASE.duration) },
    { name: "vip_renewdeadline", value: String(LEASE.renewDeadline) },
    { name: "vip_retryperiod", value: String(LEASE.retryPeriod) },
    { name: "address", value: opts.address },
    // Quoted: a value starting with ':' is one some YAML 1.1 readers take for a mapping indicator.
    { name: "prometheus_server", value: Object.assign(new Scalar(":2112"), { type: Scalar.QUOTE_DOUBLE }) },
  ];
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "kube-vip", namespace: "kube-system" },
    spec: {
      containers: [
        {
          args: ["manager"],
          env,
          image: opts.image,
          imagePullPolicy: "IfNotPresent",
          name: "kube-vip",
          resources: {},
          securityContext: { capabilities: { add: ["NET_ADMIN", "NET_RAW"] } },
          volumeMounts: [{ mountPath: ADMIN_KUBECONFIG, name: "kubeconfig" }],
        },
      ],
      // The API server's certificate names "kubernetes"; kube-vip reaches the local one through it.
      hostAliases: [{ hostnames: ["kubernetes"], ip: "127.0.0.1" }],
      hostNetwork: true,
      volumes: [{ hostPath: { path: opts.kubeconfig }, name: "kubeconfig" }],
    },
  };
  // YAML 1.1 quoting, as for kubeadm's configs: "true" and "5" must stay strings for the kubelet.
  return stringify(pod, { version: "1.1" });
}
