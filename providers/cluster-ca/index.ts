// The cluster CA as a Pulumi resource: generated once on the machine running Pulumi and kept in the stack's
// state (key encrypted as a secret), so every node can be given the same ca.crt/ca.key and joins can pin the
// CA hash before any host has run kubeadm.
//
// Rotation policy: the CA is never rotated behind the user's back. Only a change of key algorithm or RSA size
// replaces it (that is a different CA by definition, and replacing it means re-creating the cluster);
// changing validityDays affects only CAs created afterwards. To renew an existing CA, replace the resource
// explicitly (`pulumi up --replace <urn>`).
//
// Each resource stores only a stand-in that loads this provider from the source (shared/provider-from-source.ts), so
// delete and read run this code on older outputs too; secrets arrive as inputs, never in the provider.
import * as pulumi from "@pulumi/pulumi";
import type { CaKeyType } from "../../kubeadm/cluster-ca";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";
import { createClusterCa } from "./create";
import { clusterCaDiff } from "./diff";
import { checkClusterCaInputs, type ClusterCaInputs, type ClusterCaOutputs } from "./inputs";

export type { ClusterCaInputs, ClusterCaOutputs } from "./inputs";

export const clusterCaProvider: pulumi.dynamic.ResourceProvider<ClusterCaInputs, ClusterCaOutputs> = {
  async check(_olds: ClusterCaInputs, news: ClusterCaInputs) {
    return checkClusterCaInputs(news);
  },
  async diff(_id: string, olds: ClusterCaOutputs, news: ClusterCaInputs) {
    return clusterCaDiff(olds, news);
  },
  async create(inputs: ClusterCaInputs) {
    return createClusterCa(inputs);
  },
  // A no-op on purpose: the CA lives only in the stack's state; there is nothing outside it to remove.
  async delete() {},
};

export interface ClusterCaArgs {
  keyType: pulumi.Input<CaKeyType>;
  rsaBits: pulumi.Input<number>;
  validityDays: pulumi.Input<number>;
}

/** What each resource stores: module text that loads clusterCaProvider from the source. */
export const clusterCaProviderStored = new SourceProvider(
  "providers/cluster-ca",
  "clusterCaProvider",
  clusterCaProvider,
);

export class ClusterCa extends SourceProvidedResource {
  declare readonly keyType: pulumi.Output<CaKeyType>;
  declare readonly rsaBits: pulumi.Output<number>;
  declare readonly validityDays: pulumi.Output<number>;
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly caCertHash: pulumi.Output<string>;

  constructor(name: string, args: ClusterCaArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      clusterCaProviderStored,
      name,
      { ...args, certPem: undefined, keyPem: undefined, caCertHash: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["keyPem"] }),
      "pulumi-kubeadm",
      "ClusterCa",
    );
  }
}
