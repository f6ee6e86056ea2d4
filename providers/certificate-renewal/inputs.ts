// Inputs and outputs of a control plane's certificate renewal resource (dynamic type CertificateRenewal), and which
// inputs its check refuses.
import type * as pulumi from "@pulumi/pulumi";
import type { Connection } from "../../config/spec";
import type { EtcdSnapshot } from "../node/etcd-snapshot";
import { containsUnknown } from "../shared/plain-data";

export interface CertificateRenewalInputs {
  connection: Connection;
  node: { name: string };
  renewBeforeDays: number;
  /** The first control plane's admin kubeconfig as its KubeadmInit stores it (secret); absent on the others. */
  kubeconfig?: string;
  /** Snapshots kept when one is taken before a renewal restarts etcd (etcdSnapshots.keep); absent: none is taken. */
  etcdSnapshotsKeep?: number;
}

export interface CertificateRenewalOutputs extends CertificateRenewalInputs {
  /** When the first of the node's certificates expires (ISO 8601), as kubeadm read it. */
  certificatesExpire: string;
  /** The certificate that expires first. */
  firstToExpire: string;
  /** When the first of the cluster's CAs expires; kubeadm cannot renew those. */
  authoritiesExpire: string;
  /** When this resource last renewed the certificates. */
  renewedAt?: string;
  /** The kubeconfig input as last given (the output of that name is the host's admin.conf). */
  kubeconfigGiven?: string;
  /** The etcd snapshot taken before the last renewal. */
  etcdSnapshot?: EtcdSnapshot;
}

export const CERTIFICATE_SECRET_OUTPUTS = ["connection", "kubeconfig", "kubeconfigGiven"];

/** The engine's check: the inputs as given, or what is wrong with them. */
export function checkCertificateRenewalInputs(
  news: CertificateRenewalInputs,
): pulumi.dynamic.CheckResult<CertificateRenewalInputs> {
  const days = news.renewBeforeDays;
  if (!containsUnknown(days) && (!Number.isInteger(days) || days < 1)) {
    return { failures: [{ property: "renewBeforeDays", reason: "must be a whole number of days, at least 1" }] };
  }
  return { inputs: news };
}
