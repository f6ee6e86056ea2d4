// Inputs and outputs of the first control-plane node's resource (dynamic type KubeadmInit), and which inputs
// its check refuses.
import type * as pulumi from "@pulumi/pulumi";
import type { Connection } from "../../config/spec";
import { renderInitConfig } from "../../kubeadm/init-config";
import { known } from "../shared/kubeadm-resource";
import type { EtcdSnapshot } from "../node/etcd-snapshot";
import { renderTarget, type ClusterSettings, type NodeSettings } from "../node/settings";

export interface KubeadmInitInputs {
  /** Secret (it may carry a key or password): wrapped in pulumi.secret by MasterNode. */
  connection: Connection;
  node: NodeSettings;
  cluster: ClusterSettings;
  /** The cluster CA, uploaded as /etc/kubernetes/pki/ca.crt before `kubeadm init`. */
  caCertPem: string;
  /** Secret. */
  caKeyPem: string;
  /** Text of providers/scripts/reset-node.sh, stored so that delete runs the script this node was set up with. */
  resetScript: string;
}

export interface KubeadmInitOutputs extends KubeadmInitInputs {
  /** "host:port" of the API server (the control-plane endpoint). */
  apiEndpoint: string;
  /** Secret: /etc/kubernetes/admin.conf, cluster-admin credentials. */
  kubeconfig: string;
  /** "sha256:<hex>" joins pin. */
  caCertHash: string;
  /**
   * Secret: the token `kubeadm init` created, valid for cluster.joinTokenTtl. Workers do not use it (each join
   * mints its own token); it is there for tools that join nodes right after init.
   */
  bootstrapToken: string;
  /** Update paths a failed update left unfinished (providers/shared/unfinished-update.ts); absent once one finishes. */
  unfinished?: string[];
  /** The etcd snapshot the last update took before it changed the node (etcdSnapshots.beforeChanges). */
  etcdSnapshot?: EtcdSnapshot;
}

/** Outputs that are secret; merged into additionalSecretOutputs by the resource class. */
export const INIT_SECRET_OUTPUTS = ["connection", "caKeyPem", "kubeconfig", "bootstrapToken"];

export function inputFailures(inputs: KubeadmInitInputs): pulumi.dynamic.CheckFailure[] {
  if (known(inputs.node?.role) && inputs.node.role !== "control-plane") {
    return [{ property: "node", reason: `kubeadm init runs on a control-plane node, not a ${inputs.node.role}` }];
  }
  return [];
}

/**
 * Rendering with a placeholder token finds what kubeadm would reject (an advertiseAddress that is not an IP, a bad
 * version) during preview rather than on the host.
 */
export function renderFailures(inputs: KubeadmInitInputs): pulumi.dynamic.CheckFailure[] {
  if (!known(inputs.node) || !known(inputs.cluster) || !known(inputs.connection)) return [];
  try {
    const target = renderTarget(inputs.cluster, inputs.node, inputs.connection);
    renderInitConfig(target.spec, target.node, {
      bootstrapToken: "abcdef.0123456789abcdef",
      tokenTtl: inputs.cluster.joinTokenTtl,
    });
    return [];
  } catch (error) {
    return [{ property: "node", reason: (error as Error).message }];
  }
}
