// One worker (the WorkerJoin component's resource) as a Pulumi resource: `kubeadm join` on create; labels and
// kubelet flags updated in place; drain, Node deletion and a full reset on delete. Its dynamic type stays
// KubeadmJoin: renaming it would replace every worker.
//
// Each worker is its own resource that depends only on the control plane, so the engine joins workers in
// parallel and adding or removing one touches no other.
//
// Each resource stores only a stand-in that loads this provider from the source (shared/provider-from-source.ts), so
// delete and refresh run this code on older outputs too; secrets arrive as inputs, never in the provider.
import type * as pulumi from "@pulumi/pulumi";
import { defineKubeadmResource, KubeadmResource, type KubeadmArgs } from "../shared/kubeadm-resource";
import { createWorkerJoin } from "./create";
import { deleteWorkerJoin } from "./delete";
import { workerJoinDiff } from "./diff";
import { inputFailures, JOIN_SECRET_OUTPUTS, type KubeadmJoinInputs, type KubeadmJoinOutputs } from "./inputs";
import { readWorkerJoin } from "./read";
import { updateWorkerJoin } from "./update";

export const workerJoin = defineKubeadmResource<KubeadmJoinInputs, KubeadmJoinOutputs>({
  type: "KubeadmJoin",
  modulePath: "providers/worker-join",
  exportName: "kubeadmJoinProvider",
  outputs: ["nodeName", "joinedAt"],
  secretOutputs: JOIN_SECRET_OUTPUTS,
  operations: {
    inputFailures,
    diff: workerJoinDiff,
    create: createWorkerJoin,
    read: readWorkerJoin,
    update: updateWorkerJoin,
    delete: deleteWorkerJoin,
  },
});

export const kubeadmJoinProvider = workerJoin.provider;

/** Dynamic type `pulumi-nodejs:dynamic/pulumi-kubeadm:KubeadmJoin`. */
export class KubeadmJoin extends KubeadmResource<KubeadmJoinInputs, KubeadmJoinOutputs> {
  declare readonly nodeName: pulumi.Output<string>;
  declare readonly joinedAt: pulumi.Output<string>;

  constructor(name: string, args: KubeadmArgs<KubeadmJoinInputs>, opts?: pulumi.CustomResourceOptions) {
    super(workerJoin, name, args, opts);
  }
}
