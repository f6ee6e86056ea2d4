// What WorkerJoin and ControlPlaneJoin give their kubeadm resources alike about the joining node; they differ
// in the control-plane node(s) the join goes through.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, NodeSpec } from "../config/spec";
import { readResetScript } from "../providers/node/reset";
import { clusterSettings, nodeSettings } from "../providers/node/settings";

export interface NodeJoinArgs {
  spec: ClusterSpec;
  /** The joining node. */
  node: NodeSpec;
  /** MasterNode's apiEndpoint (controlPlaneEndpoint when set). */
  apiEndpoint: pulumi.Input<string>;
  /** MasterNode's caCertHash. */
  caCertHash: pulumi.Input<string>;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export function joiningNodeInputs(args: NodeJoinArgs) {
  return {
    // The connection may carry keys or passwords: secret from config to state.
    connection: pulumi.secret(args.node.connection),
    node: nodeSettings(args.node),
    cluster: clusterSettings(args.spec),
    apiEndpoint: args.apiEndpoint,
    caCertHash: args.caCertHash,
    resetScript: readResetScript(),
  };
}
