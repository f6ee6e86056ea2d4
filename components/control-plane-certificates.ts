// A control-plane node's certificates, renewed before they expire. MasterNode and ControlPlaneJoin create one each,
// alike but for the admin kubeconfig, which only the first control plane passes through.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, NodeSpec } from "../config/spec";
import { CertificateRenewal } from "../providers/certificate-renewal";

export function controlPlaneCertificates(
  name: string,
  spec: ClusterSpec,
  node: NodeSpec,
  opts: pulumi.CustomResourceOptions,
  kubeconfig?: pulumi.Input<string>,
): CertificateRenewal {
  return new CertificateRenewal(
    `${name}-certificates`,
    {
      connection: pulumi.secret(node.connection),
      node: { name: node.name },
      renewBeforeDays: spec.certificates.renewBeforeDays,
      etcdSnapshotsKeep: spec.etcdSnapshots.beforeChanges ? spec.etcdSnapshots.keep : undefined,
      kubeconfig,
    },
    opts,
  );
}
