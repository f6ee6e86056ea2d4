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
export const controlPlaneNodes = spec.controlPlane.map((node) => node.name);
export const workerNodes = cluster.workerNames;
