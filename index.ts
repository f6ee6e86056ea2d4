// Reads the stack's configuration, builds the cluster it declares, exports what its users need.
import { loadFromPulumiConfig } from "./config/load";
import { KubeadmCluster } from "./components/cluster";

const { spec } = loadFromPulumiConfig();
const cluster = new KubeadmCluster("cluster", { spec });

export const apiEndpoint = cluster.apiEndpoint;
export const caCertHash = cluster.caCertHash;
export const caCertPem = cluster.caCertPem;
/** admin.conf (secret): `pulumi stack output kubeconfig --show-secrets > kubeconfig`. */
export const kubeconfig = cluster.kubeconfig;
/** Control-plane nodes that have run `kubeadm init` or joined. */
export const controlPlaneNodes = cluster.controlPlaneNames;
export const workerNodes = cluster.workerNames;
/** Per control-plane node, when the first of its certificates expires; renewed within certificates.renewBeforeDays. */
export const certificateExpiry = cluster.certificateExpiry;
/** When the first of the cluster's CAs expires: kubeadm renews certificates, never their CAs. */
export const caExpiry = cluster.caExpiry;
/** Per control-plane node, the newest etcd snapshot taken before a change: path on the node, bytes, sha256. */
export const etcdSnapshots = cluster.etcdSnapshots;
/**
 * Secret: log-in token of the web UI's admin account (dashboard add-on); see the README's "Add-ons". Exported only
 * when the web UI is on: an exported undefined makes Pulumi warn on every run of a stack without it.
 */
if (spec.addons.dashboard.enabled) exports.dashboardToken = cluster.dashboardToken;
