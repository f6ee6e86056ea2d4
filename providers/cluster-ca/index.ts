// What is left of the ClusterCa resource, which made the cluster CA with node-forge before the tls provider did
// (components/cluster-ca.ts). Stacks created then still hold one, and each such resource stores a stand-in that
// loads `clusterCaProvider` from this path (shared/provider-from-source.ts), so the path must keep loading a
// provider for as long as they exist. All it is still asked to do is be deleted once the program no longer declares
// it: a no-op, as it always was, because the CA lived only in the stack's state. Before that, the stack's CA is
// moved into its config (tools/migrate-ca.ts), so that the cluster keeps it; the first control plane refuses a
// different CA (master-node/diff.ts), which is what a stack that skipped the move would otherwise get.
import type * as pulumi from "@pulumi/pulumi";

export const clusterCaProvider: pulumi.dynamic.ResourceProvider = {
  async create() {
    throw new Error(
      "ClusterCa no longer makes CAs: the cluster CA is made by the tls provider (components/cluster-ca.ts)",
    );
  },
  async delete() {},
};

/** The resource type stacks created before the tls provider hold (SourceProvidedResource's naming). */
export const LEGACY_CLUSTER_CA_TYPE = "pulumi-nodejs:dynamic/pulumi-kubeadm:ClusterCa";
