// The config for `kubeadm init phase upload-certs --upload-certs --config <file>` on a control-plane node that
// is already running: it carries the certificate key in InitConfiguration.certificateKey, so the key never
// appears on a command line (where `ps` and shell histories would see it). ClusterConfiguration is there so
// kubeadm does not look up a version on the internet, and names the certificates directory it uploads from.
import type { ClusterSpec, NodeSpec } from "../config/spec";
import { kubeadmApiVersion } from "./api-version";
import { clusterConfigurationDocument } from "./cluster-config";
import { requireAdvertiseIp, requireCertificateKey } from "./config-checks";
import { API_SERVER_BIND_PORT } from "./init-config";
import { CONTAINERD_CRI_SOCKET } from "./node-registration";
import { renderYamlDocuments } from "./yaml-documents";

/** Renders InitConfiguration (certificateKey, the node it runs on) + ClusterConfiguration. Holds a secret. */
export function renderUploadCertsConfig(spec: ClusterSpec, node: NodeSpec, certificateKey: string): string {
  if (node.role !== "control-plane") {
    throw new Error(`certificates are uploaded from a control-plane node, and ${node.name} is a ${node.role}`);
  }
  requireAdvertiseIp(node);
  requireCertificateKey(certificateKey, "certificateKey");
  const apiVersion = kubeadmApiVersion(spec.kubernetesVersion);
  const init = {
    apiVersion,
    kind: "InitConfiguration",
    localAPIEndpoint: { advertiseAddress: node.advertiseAddress, bindPort: API_SERVER_BIND_PORT },
    nodeRegistration: { name: node.name, criSocket: CONTAINERD_CRI_SOCKET },
    certificateKey,
  };
  return renderYamlDocuments([init, clusterConfigurationDocument(spec, apiVersion)]);
}
