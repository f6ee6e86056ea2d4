// The first control-plane node (the MasterNode component's resource) as a Pulumi resource: `kubeadm init` on
// create, kubeadm's own phases on update, a refresh that notices a control plane reset or changed behind Pulumi's
// back, and a full reset on delete. Its dynamic type stays KubeadmInit: renaming it would replace every cluster.
//
// Each resource stores only a stand-in that loads this provider from the source (shared/provider-from-source.ts), so
// delete and refresh run this code on older outputs too; secrets arrive as inputs, never in the provider.
import type * as pulumi from "@pulumi/pulumi";
import type { EtcdSnapshot } from "../node/etcd-snapshot";
import { recordingUnfinished } from "../shared/unfinished-update";
import { defineKubeadmResource, KubeadmResource, type KubeadmArgs } from "../shared/kubeadm-resource";
import { createMasterNode } from "./create";
import { deleteMasterNode } from "./delete";
import { masterNodeChanges, masterNodeDiff } from "./diff";
import {
  inputFailures,
  INIT_SECRET_OUTPUTS,
  renderFailures,
  type KubeadmInitInputs,
  type KubeadmInitOutputs,
} from "./inputs";
import { readMasterNode } from "./read";
import { updateMasterNode } from "./update";

export const masterNode = defineKubeadmResource<KubeadmInitInputs, KubeadmInitOutputs>({
  type: "KubeadmInit",
  modulePath: "providers/master-node",
  exportName: "kubeadmInitProvider",
  outputs: ["apiEndpoint", "kubeconfig", "caCertHash", "bootstrapToken", "etcdSnapshot"],
  secretOutputs: INIT_SECRET_OUTPUTS,
  operations: {
    inputFailures,
    validInputFailures: renderFailures,
    diff: masterNodeDiff,
    create: createMasterNode,
    read: readMasterNode,
    update: (id, olds, news, open) =>
      recordingUnfinished(id, olds, masterNodeChanges(olds, news).updates, () => updateMasterNode(olds, news, open)),
    delete: deleteMasterNode,
  },
});

export const kubeadmInitProvider = masterNode.provider;

/** Dynamic type `pulumi-nodejs:dynamic/pulumi-kubeadm:KubeadmInit`. */
export class KubeadmInit extends KubeadmResource<KubeadmInitInputs, KubeadmInitOutputs> {
  declare readonly apiEndpoint: pulumi.Output<string>;
  declare readonly kubeconfig: pulumi.Output<string>;
  declare readonly caCertHash: pulumi.Output<string>;
  declare readonly bootstrapToken: pulumi.Output<string>;
  declare readonly etcdSnapshot: pulumi.Output<EtcdSnapshot | undefined>;

  constructor(name: string, args: KubeadmArgs<KubeadmInitInputs>, opts?: pulumi.CustomResourceOptions) {
    super(masterNode, name, args, opts);
  }
}
