// One control-plane node after the first (the ControlPlaneJoin component's resource) as a Pulumi resource:
// `kubeadm join --control-plane` with a token and a certificate key minted for this join (create.ts); kubeadm
// phases on update; refresh; and on delete a quorum check, drain, etcd member removal, Node deletion and reset
// (delete.ts). Its dynamic type stays KubeadmControlPlaneJoin: renaming it would replace every such node.
//
// Each resource stores only a stand-in that loads this provider from the source (shared/provider-from-source.ts), so
// delete and refresh run this code on older outputs too; secrets arrive as inputs, never in the provider.
import type * as pulumi from "@pulumi/pulumi";
import type { EtcdSnapshot } from "../node/etcd-snapshot";
import { recordingUnfinished } from "../shared/unfinished-update";
import { defineKubeadmResource, KubeadmResource, type KubeadmArgs } from "../shared/kubeadm-resource";
import { createControlPlaneJoin } from "./create";
import { deleteControlPlaneJoin } from "./delete";
import { controlPlaneJoinChanges, controlPlaneJoinDiff } from "./diff";
import {
  CONTROL_PLANE_JOIN_SECRET_OUTPUTS,
  inputFailures,
  type KubeadmControlPlaneJoinInputs,
  type KubeadmControlPlaneJoinOutputs,
} from "./inputs";
import { readControlPlaneJoin } from "./read";
import { updateControlPlaneJoin } from "./update";

export const controlPlaneJoin = defineKubeadmResource<KubeadmControlPlaneJoinInputs, KubeadmControlPlaneJoinOutputs>({
  type: "KubeadmControlPlaneJoin",
  modulePath: "providers/control-plane-join",
  exportName: "kubeadmControlPlaneJoinProvider",
  outputs: ["nodeName", "joinedAt", "etcdSnapshot"],
  secretOutputs: CONTROL_PLANE_JOIN_SECRET_OUTPUTS,
  operations: {
    inputFailures,
    diff: controlPlaneJoinDiff,
    create: createControlPlaneJoin,
    read: readControlPlaneJoin,
    update: (id, olds, news, open) =>
      recordingUnfinished(id, olds, controlPlaneJoinChanges(olds, news).updates, () =>
        updateControlPlaneJoin(olds, news, open),
      ),
    delete: deleteControlPlaneJoin,
  },
});

export const kubeadmControlPlaneJoinProvider = controlPlaneJoin.provider;

/** Dynamic type `pulumi-nodejs:dynamic/pulumi-kubeadm:KubeadmControlPlaneJoin`. */
export class KubeadmControlPlaneJoin extends KubeadmResource<
  KubeadmControlPlaneJoinInputs,
  KubeadmControlPlaneJoinOutputs
> {
  declare readonly nodeName: pulumi.Output<string>;
  declare readonly joinedAt: pulumi.Output<string>;
  declare readonly etcdSnapshot: pulumi.Output<EtcdSnapshot | undefined>;

  constructor(name: string, args: KubeadmArgs<KubeadmControlPlaneJoinInputs>, opts?: pulumi.CustomResourceOptions) {
    super(controlPlaneJoin, name, args, opts);
  }
}
