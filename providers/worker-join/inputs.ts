// Inputs and outputs of a worker's resource (dynamic type KubeadmJoin), and which inputs its check refuses.
import type * as pulumi from "@pulumi/pulumi";
import type { Connection } from "../../config/spec";
import { caCertHashFailures, known } from "../shared/kubeadm-resource";
import type { ClusterSettings, NodeSettings } from "../node/settings";

export interface KubeadmJoinInputs {
  /** The worker's connection. Secret (keys): wrapped in pulumi.secret by WorkerJoin. */
  connection: Connection;
  /** The control-plane node tokens are minted on, and the worker is drained and deleted through. */
  controlPlane: { name: string; connection: Connection };
  node: NodeSettings;
  cluster: ClusterSettings;
  /** API server "host:port" the worker joins through (MasterNode's apiEndpoint). */
  apiEndpoint: string;
  /** "sha256:<hex>" of the cluster CA the join pins (MasterNode's caCertHash). */
  caCertHash: string;
  /** Text of providers/scripts/reset-node.sh, stored so that delete runs the script this node was set up with. */
  resetScript: string;
}

export interface KubeadmJoinOutputs extends KubeadmJoinInputs {
  /** The Node's name in the cluster. */
  nodeName: string;
  /** ISO 8601 time the worker joined (or was found joined and adopted). */
  joinedAt: string;
  /** Update paths a failed update left unfinished (providers/shared/unfinished-update.ts); absent once one finishes. */
  unfinished?: string[];
  /** Kubelet flags a failed update may have written to kubeadm-flags.env; absent once an update finishes. */
  kubeletFlagsTried?: string[];
}

/** Outputs that are secret; merged into additionalSecretOutputs by the resource class. */
export const JOIN_SECRET_OUTPUTS = ["connection", "controlPlane"];

export function inputFailures(inputs: KubeadmJoinInputs): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (known(inputs.node?.role) && inputs.node.role !== "worker") {
    failures.push({
      property: "node",
      reason: `this resource joins workers; ${inputs.node.name} is a ${inputs.node.role}`,
    });
  }
  return [...failures, ...caCertHashFailures(inputs.caCertHash)];
}
