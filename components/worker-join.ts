// WorkerJoin: one worker joined with `kubeadm join` (providers/kubeadm-join.ts). One per worker, each
// depending only on the control plane: workers join in parallel, and adding or removing one touches no other.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, NodeSpec } from "../config/spec";
import { KubeadmJoin } from "../providers/kubeadm-join";
import { readResetScript } from "../providers/node-reset";
import { clusterSettings, nodeSettings } from "../providers/node-settings";

export interface WorkerJoinArgs {
  spec: ClusterSpec;
  /** The worker. */
  node: NodeSpec;
  /** The control-plane node tokens are minted on and the worker is drained through (spec.controlPlane[0]). */
  controlPlane: NodeSpec;
  /** MasterNode's apiEndpoint. */
  apiEndpoint: pulumi.Input<string>;
  /** MasterNode's caCertHash. */
  caCertHash: pulumi.Input<string>;
  /** The worker's HostPrep and the MasterNode (the Output inputs order the join after init already). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class WorkerJoin extends pulumi.ComponentResource {
  readonly nodeName: pulumi.Output<string>;
  readonly joinedAt: pulumi.Output<string>;
  /** The KubeadmJoin resource, for dependsOn. */
  readonly join: KubeadmJoin;

  constructor(name: string, args: WorkerJoinArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:index:WorkerJoin", name, {}, opts);
    const { spec, node, controlPlane } = args;
    this.join = new KubeadmJoin(
      `${name}-join`,
      {
        // Both connections may carry keys or passwords: secret from config to state.
        connection: pulumi.secret(node.connection),
        controlPlane: pulumi.secret({ name: controlPlane.name, connection: controlPlane.connection }),
        node: nodeSettings(node),
        cluster: clusterSettings(spec),
        apiEndpoint: args.apiEndpoint,
        caCertHash: args.caCertHash,
        resetScript: readResetScript(),
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.nodeName = this.join.nodeName;
    this.joinedAt = this.join.joinedAt;
    this.registerOutputs({ nodeName: this.nodeName, joinedAt: this.joinedAt });
  }
}
