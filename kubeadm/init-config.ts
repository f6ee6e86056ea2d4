// The config file for `kubeadm init` on the first control-plane node.
import type { ClusterSpec, NodeSpec } from "../config/spec";
import { kubeadmApiVersion } from "./api-version";
import {
  clusterConfigurationDocument,
  kubeletConfigurationDocument,
  kubeProxyConfigurationDocument,
} from "./cluster-config";
import { requireAdvertiseIp, requireBootstrapToken, requireCertificateKey } from "./config-checks";
import { nodeRegistration } from "./node-registration";
import { renderYamlDocuments } from "./yaml-documents";

export const API_SERVER_BIND_PORT = 6443;
/** The groups and usages `kubeadm init` gives its default token; a join token needs both usages. */
export const JOIN_TOKEN_GROUPS = ["system:bootstrappers:kubeadm:default-node-token"];
export const JOIN_TOKEN_USAGES = ["signing", "authentication"];
export const JOIN_TOKEN_DESCRIPTION = "pulumi-kubeadm join token";

export interface InitConfigOptions {
  bootstrapToken: string;
  /** Go duration as kubeadm reads it, e.g. "24h"; "0" never expires. */
  tokenTtl: string;
  /** Key that encrypts the kubeadm-certs Secret for control-plane joins. */
  certificateKey?: string;
  /**
   * The config API has no field for this: the caller passes `--upload-certs` to `kubeadm init`. Setting it here
   * demands a certificateKey, so the key control-plane joins need is known up front rather than parsed from
   * kubeadm's output.
   */
  uploadCerts?: boolean;
}

/** Renders InitConfiguration + ClusterConfiguration + KubeletConfiguration. The result holds secrets. */
export function renderInitConfig(spec: ClusterSpec, node: NodeSpec, opts: InitConfigOptions): string {
  if (node.role !== "control-plane") {
    throw new Error(`kubeadm init runs on a control-plane node, and ${node.name} is a ${node.role}`);
  }
  requireAdvertiseIp(node);
  requireBootstrapToken(opts.bootstrapToken, "bootstrapToken");
  if (opts.tokenTtl.trim() === "") {
    throw new Error('tokenTtl must be a duration such as "24h"');
  }
  if (opts.certificateKey !== undefined) {
    requireCertificateKey(opts.certificateKey, "certificateKey");
  } else if (opts.uploadCerts) {
    throw new Error("uploadCerts needs a certificateKey (generateCertificateKey) so control-plane joins can use it");
  }

  const apiVersion = kubeadmApiVersion(spec.kubernetesVersion);
  const init: Record<string, unknown> = {
    apiVersion,
    kind: "InitConfiguration",
    bootstrapTokens: [
      {
        token: opts.bootstrapToken,
        ttl: opts.tokenTtl,
        description: JOIN_TOKEN_DESCRIPTION,
        usages: JOIN_TOKEN_USAGES,
        groups: JOIN_TOKEN_GROUPS,
      },
    ],
    localAPIEndpoint: { advertiseAddress: node.advertiseAddress, bindPort: API_SERVER_BIND_PORT },
    nodeRegistration: nodeRegistration(spec, node, apiVersion),
  };
  if (opts.certificateKey !== undefined) {
    init.certificateKey = opts.certificateKey;
  }
  const kubeProxy = kubeProxyConfigurationDocument(spec);
  return renderYamlDocuments([
    init,
    clusterConfigurationDocument(spec, apiVersion),
    kubeletConfigurationDocument(spec),
    ...(kubeProxy ? [kubeProxy] : []),
  ]);
}
