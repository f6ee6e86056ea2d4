// HostPrep: everything a host needs before kubeadm can run on it (the seed's section 2.1), as a chain of
// remote steps. Hosts are prepared in parallel: each host's chain depends on nothing but its own steps.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, NodeSpec } from "../../config/spec";
import { RemoteStep } from "../../providers/remote-step";
import { hostPrepSteps, prelude } from "./steps";

export interface HostPrepArgs {
  spec: ClusterSpec;
  node: NodeSpec;
}

export class HostPrep extends pulumi.ComponentResource {
  /** The last step: depend on it to run after the host is ready. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: HostPrepArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:index:HostPrep", name, {}, opts);
    let previous: pulumi.Resource | undefined;
    const helpers = prelude();
    for (const step of hostPrepSteps(args.spec, args.node)) {
      previous = new RemoteStep(
        `${name}-${step.name}`,
        {
          connection: args.node.connection,
          node: args.node.name,
          step: step.name,
          script: step.script,
          undoScript: step.undoScript,
          checkScript: step.checkScript,
          environment: step.environment,
          files: step.files,
          prelude: helpers,
        },
        { parent: this, dependsOn: previous ? [previous] : [] },
      );
    }
    if (!previous) throw new Error("HostPrep has no steps");
    this.ready = previous;
    this.registerOutputs({});
  }
}
