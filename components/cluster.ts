// The whole cluster as one component: what index.ts builds from a validated ClusterSpec. Later steps
// (host preparation, kubeadm init and join, add-ons) hang off the same component so `pulumi preview`
// shows them under one parent, and each reads its inputs from the outputs of the step before it.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../config/spec";
import { ClusterCa } from "../providers/cluster-ca";
import { HostPrep } from "./host-prep";

export interface KubeadmClusterArgs {
  spec: ClusterSpec;
}

export class KubeadmCluster extends pulumi.ComponentResource {
  /** PEM of the cluster CA every node trusts. */
  readonly caCertPem: pulumi.Output<string>;
  /** "sha256:<hex>" that joins pin (--discovery-token-ca-cert-hash); known before any host runs kubeadm. */
  readonly caCertHash: pulumi.Output<string>;
  /** "host:port" the nodes and kubeconfigs use to reach the API server. */
  readonly apiEndpoint: pulumi.Output<string>;

  constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:index:KubeadmCluster", name, {}, opts);
    const { spec } = args;

    const ca = new ClusterCa(
      `${name}-ca`,
      {
        keyType: spec.clusterCa.keyType,
        rsaBits: spec.clusterCa.rsaBits,
        validityDays: spec.clusterCa.validityDays,
      },
      { parent: this },
    );

    // Every host is prepared in parallel with the others.
    const prepared: Map<string, HostPrep> = new Map<string, HostPrep>();
    for (const node of [...spec.controlPlane, ...spec.workers]) {
      prepared.set(node.name, new HostPrep(`${name}-${node.name}-prep`, { spec, node }, { parent: this }));
    }

    this.caCertPem = ca.certPem;
    this.caCertHash = ca.caCertHash;
    this.apiEndpoint = pulumi.output(spec.controlPlaneEndpoint);
    this.registerOutputs({ caCertPem: this.caCertPem, caCertHash: this.caCertHash, apiEndpoint: this.apiEndpoint });
  }
}
