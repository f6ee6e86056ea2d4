// The config file for `kubeadm join` on every node after the first.
import type { ClusterSpec, NodeSpec } from "../config/spec";
import { KUBEADM_V1BETA4, kubeadmApiVersion } from "./api-version";
import { requireAdvertiseIp, requireBootstrapToken, requireCertificateKey } from "./config-checks";
import { API_SERVER_BIND_PORT } from "./init-config";
import { nodeRegistration } from "./node-registration";
import { renderYamlDocuments } from "./yaml-documents";

/**
 * How long join keeps polling kube-public/cluster-info. kubeadm's default is also 5 minutes; stating it makes the
 * worst case of an expired token explicit, so callers can size their SSH command timeout above it.
 */
export const DISCOVERY_TIMEOUT = "5m0s";

const CA_CERT_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

export interface JoinConfigOptions {
  /** API server "host:port" to discover the cluster through (the control-plane endpoint). */
  endpoint: string;
  token: string;
  /** "sha256:<hex>" of the cluster CA's public key; join refuses an API server whose CA does not match. */
  caCertHash: string;
  /** Present for control-plane nodes: they download the shared certificates with this key. */
  controlPlane?: { certificateKey: string };
}

/** Renders a JoinConfiguration. The result holds secrets. */
export function renderJoinConfig(spec: ClusterSpec, node: NodeSpec, opts: JoinConfigOptions): string {
  requireBootstrapToken(opts.token, "token");
  if (!CA_CERT_HASH_PATTERN.test(opts.caCertHash)) {
    throw new Error(`caCertHash "${opts.caCertHash}" must be "sha256:" followed by 64 lowercase hex characters`);
  }
  if (opts.endpoint.trim() === "") {
    throw new Error("endpoint must be the API server host:port");
  }
  if ((node.role === "control-plane") !== (opts.controlPlane !== undefined)) {
    throw new Error(
      `node ${node.name} is a ${node.role}: controlPlane options are required for control-plane nodes only`,
    );
  }

  const apiVersion = kubeadmApiVersion(spec.kubernetesVersion);
  const bootstrapToken = { apiServerEndpoint: opts.endpoint, token: opts.token, caCertHashes: [opts.caCertHash] };
  const join: Record<string, unknown> = { apiVersion, kind: "JoinConfiguration" };
  if (apiVersion === KUBEADM_V1BETA4) {
    join.discovery = { bootstrapToken };
    join.timeouts = { discovery: DISCOVERY_TIMEOUT };
  } else {
    join.discovery = { bootstrapToken, timeout: DISCOVERY_TIMEOUT };
  }
  join.nodeRegistration = nodeRegistration(spec, node, apiVersion);
  if (opts.controlPlane !== undefined) {
    requireAdvertiseIp(node);
    requireCertificateKey(opts.controlPlane.certificateKey, "controlPlane.certificateKey");
    join.controlPlane = {
      localAPIEndpoint: { advertiseAddress: node.advertiseAddress, bindPort: API_SERVER_BIND_PORT },
      certificateKey: opts.controlPlane.certificateKey,
    };
  }
  return renderYamlDocuments([join]);
}
