// One control-plane node after the first as a Pulumi resource: `kubeadm join --control-plane` with a token and a
// certificate key minted for this join (control-plane-join-create.ts); kubeadm phases on update; refresh; and
// on delete a quorum check, drain, etcd member removal, Node deletion and reset (control-plane-join-delete.ts).
//
// Each resource stores only a stand-in that loads this provider from the source (provider-from-source.ts), so
// delete and refresh run this code on older outputs too; secrets arrive as inputs, never in the provider.
import type { EtcdSnapshot } from "../node/etcd-snapshot";
import * as pulumi from "@pulumi/pulumi";
import { withSession } from "../../ssh";
import { joinControlPlane } from "./create";
import { deleteControlPlaneJoin } from "./delete";
import { controlPlaneJoinChanges, controlPlaneJoinDiff } from "./diff";
import {
  CONTROL_PLANE_JOIN_SECRET_OUTPUTS,
  type KubeadmControlPlaneJoinInputs,
  type KubeadmControlPlaneJoinOutputs,
} from "./inputs";
import { readControlPlaneJoin } from "./read";
import { updateControlPlaneJoin } from "./update";
import { containsUnknown } from "../shared/plain-data";
import { recordingUnfinished } from "../node/unfinished-update";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";

function inputFailures(inputs: KubeadmControlPlaneJoinInputs): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const known = (value: unknown) => value !== undefined && !containsUnknown(value);
  if (known(inputs.node?.role) && inputs.node.role !== "control-plane") {
    failures.push({
      property: "node",
      reason: `this resource joins control-plane nodes; ${inputs.node.name} is a ${inputs.node.role}`,
    });
  }
  if (known(inputs.caCertHash) && !/^sha256:[0-9a-f]{64}$/.test(String(inputs.caCertHash))) {
    failures.push({ property: "caCertHash", reason: 'must be "sha256:" followed by 64 lowercase hex characters' });
  }
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
  if (known(inputs.resetScript) && (typeof inputs.resetScript !== "string" || inputs.resetScript.trim() === "")) {
    failures.push({ property: "resetScript", reason: "must be the text of providers/scripts/reset-node.sh" });
  }
  return failures;
}

export const kubeadmControlPlaneJoinProvider: pulumi.dynamic.ResourceProvider<
  KubeadmControlPlaneJoinInputs,
  KubeadmControlPlaneJoinOutputs
> = {
  async check(_olds: KubeadmControlPlaneJoinInputs, news: KubeadmControlPlaneJoinInputs) {
    const failures = inputFailures(news);
    return failures.length > 0 ? { failures } : { inputs: news };
  },

  async diff(_id: string, olds: KubeadmControlPlaneJoinOutputs, news: KubeadmControlPlaneJoinInputs) {
    return controlPlaneJoinDiff(olds, news);
  },

  async create(inputs: KubeadmControlPlaneJoinInputs) {
    return joinControlPlane(inputs, withSession);
  },

  async update(id: string, olds: KubeadmControlPlaneJoinOutputs, news: KubeadmControlPlaneJoinInputs) {
    const { updates } = controlPlaneJoinChanges(olds, news);
    return recordingUnfinished(id, olds, updates, () => updateControlPlaneJoin(olds, news, withSession));
  },

  async read(id: string, props?: KubeadmControlPlaneJoinOutputs) {
    // Import is not supported for dynamic resources (pulumi#16175): refresh always passes the state.
    if (props === undefined) throw new Error(`cannot read ${id} without its state (import is not supported)`);
    return readControlPlaneJoin(id, props, withSession);
  },

  async delete(_id: string, props: KubeadmControlPlaneJoinOutputs) {
    await deleteControlPlaneJoin(props, withSession);
  },
};

export interface KubeadmControlPlaneJoinArgs {
  connection: pulumi.Input<KubeadmControlPlaneJoinInputs["connection"]>;
  controlPlanes: pulumi.Input<KubeadmControlPlaneJoinInputs["controlPlanes"]>;
  node: pulumi.Input<KubeadmControlPlaneJoinInputs["node"]>;
  cluster: pulumi.Input<KubeadmControlPlaneJoinInputs["cluster"]>;
  apiEndpoint: pulumi.Input<string>;
  caCertHash: pulumi.Input<string>;
  resetScript: pulumi.Input<string>;
}

/** What each resource stores: module text that loads kubeadmControlPlaneJoinProvider from the source (provider-from-source.ts). */
export const kubeadmControlPlaneJoinProviderStored = new SourceProvider(
  "providers/kubeadm-control-plane-join",
  "kubeadmControlPlaneJoinProvider",
  kubeadmControlPlaneJoinProvider,
);

/** Dynamic type `pulumi-nodejs:dynamic/pulumi-kubeadm:KubeadmControlPlaneJoin`. */
export class KubeadmControlPlaneJoin extends SourceProvidedResource {
  declare readonly nodeName: pulumi.Output<string>;
  declare readonly joinedAt: pulumi.Output<string>;
  declare readonly etcdSnapshot: pulumi.Output<EtcdSnapshot | undefined>;

  constructor(name: string, args: KubeadmControlPlaneJoinArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      kubeadmControlPlaneJoinProviderStored,
      name,
      { ...args, nodeName: undefined, joinedAt: undefined, etcdSnapshot: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: CONTROL_PLANE_JOIN_SECRET_OUTPUTS }),
      "pulumi-kubeadm",
      "KubeadmControlPlaneJoin",
    );
  }
}
