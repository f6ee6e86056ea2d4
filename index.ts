// Reads the stack's configuration, builds the cluster it declares, exports what its users need.
import { loadFromPulumiConfig } from "./config/load";
import { KubeadmCluster } from "./components/cluster";

const { spec } = loadFromPulumiConfig();
const cluster = new KubeadmCluster("cluster", { spec });

export const apiEndpoint = cluster.apiEndpoint;
export const caCertHash = cluster.caCertHash;
export const caCertPem = cluster.caCertPem;
export const nodes = {
  controlPlane: spec.controlPlane.map((node) => node.name),
  workers: spec.workers.map((node) => node.name),
};
