// WorkerJoin: one worker joined with `kubeadm join` (providers/worker-join/). One per worker, each
// depending only on the control plane: workers join in parallel, and adding or removing one touches no other.
import * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../config/spec";
import { KubeadmJoin } from "../providers/worker-join";
import { joiningNodeInputs, type NodeJoinArgs } from "./node-join";

export interface WorkerJoinArgs extends NodeJoinArgs {
  /** The control-plane node tokens are minted on and the worker is drained through (spec.controlPlane[0]). */
  controlPlane: NodeSpec;
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
    const { controlPlane } = args;
    this.join = new KubeadmJoin(
      `${name}-join`,
      {
        ...joiningNodeInputs(args),
        // Its connection may carry keys or passwords too.
        controlPlane: pulumi.secret({ name: controlPlane.name, connection: controlPlane.connection }),
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.nodeName = this.join.nodeName;
    this.joinedAt = this.join.joinedAt;
    this.registerOutputs({ nodeName: this.nodeName, joinedAt: this.joinedAt });
  }
}
