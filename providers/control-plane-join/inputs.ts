// Inputs and outputs of a joined control-plane node's resource (dynamic type KubeadmControlPlaneJoin), and which
// inputs its check refuses.
import type * as pulumi from "@pulumi/pulumi";
import { caCertHashFailures, known } from "../shared/kubeadm-resource";
import type { EtcdSnapshot } from "../node/etcd-snapshot";
import type { Connection } from "../../config/spec";
import type { ControlPlaneRef } from "../node/answering-control-plane";
import type { ClusterSettings, NodeSettings } from "../node/settings";

export interface KubeadmControlPlaneJoinInputs {
  /** The joining node's connection. Secret (keys): wrapped in pulumi.secret by ControlPlaneJoin. */
  connection: Connection;
  /**
   * The cluster's other control-plane nodes, the first (kubeadm init) one first: the first that answers does
   * the work this node cannot do for itself (mint the token, upload the certificates, drain, check quorum).
   * Secret, for their connections.
   */
  controlPlanes: ControlPlaneRef[];
  node: NodeSettings;
  cluster: ClusterSettings;
  /** controlPlaneEndpoint, as MasterNode reports it: the join discovers the cluster through it. */
  apiEndpoint: string;
  /** "sha256:<hex>" of the cluster CA the join pins (MasterNode's caCertHash). */
  caCertHash: string;
  /** Text of providers/scripts/reset-node.sh, stored so that delete runs the script this node was set up with. */
  resetScript: string;
}

export interface KubeadmControlPlaneJoinOutputs extends KubeadmControlPlaneJoinInputs {
  nodeName: string;
  /** ISO 8601 time the node joined (or was found joined and adopted). */
  joinedAt: string;
  /** Update paths a failed update left unfinished (providers/shared/unfinished-update.ts); absent once one finishes. */
  unfinished?: string[];
  /** The etcd snapshot the last update took on this node before it changed it. */
  etcdSnapshot?: EtcdSnapshot;
}

/** Outputs that are secret; merged into additionalSecretOutputs by the resource class. */
export const CONTROL_PLANE_JOIN_SECRET_OUTPUTS = ["connection", "controlPlanes"];

export function inputFailures(inputs: KubeadmControlPlaneJoinInputs): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (known(inputs.node?.role) && inputs.node.role !== "control-plane") {
    failures.push({
      property: "node",
      reason: `this resource joins control-plane nodes; ${inputs.node.name} is a ${inputs.node.role}`,
    });
  }
  failures.push(...caCertHashFailures(inputs.caCertHash));
  if (known(inputs.cluster) && inputs.cluster.controlPlaneEndpointConfigured !== true) {
    failures.push({
      property: "cluster",
      reason:
        "a control-plane node can only join a cluster created with controlPlaneEndpoint: set it (see the " +
        "validation of pulumi-kubeadm:controlPlaneEndpoint)",
    });
  }
  if (known(inputs.controlPlanes) && inputs.controlPlanes.some((cp) => cp.name === inputs.node?.name)) {
    failures.push({ property: "controlPlanes", reason: "must list the other control-plane nodes, not this one" });
  }
  return failures;
}
