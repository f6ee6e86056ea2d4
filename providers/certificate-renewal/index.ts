// A control plane's certificates as a Pulumi resource: kubeadm issues them for a year, and a cluster whose API
// server certificate expired stops answering. Each control-plane node has one; its outputs say when its
// certificates and the CAs expire.
//
// The decision is made in diff, from the expiry stored at the last create, update or refresh, without logging in:
// a preview or a no-change `up` stays as fast as before, and shows an update once the certificates come within
// `certificates.renewBeforeDays`. Certificates only change through a renewal (this one, `kubeadm upgrade`, or one
// by hand), and `pulumi refresh` reads them again. The update renews them with `kubeadm certs renew all` and
// restarts the components that read them (scripts/renew-certificates.sh). The resources of a cluster's control
// planes are chained, so only one control plane restarts its components at a time.
//
// The first control plane passes its admin kubeconfig through: admin.conf's certificate is renewed with the
// others, so the stack's kubeconfig output and the add-ons' provider take it from here. As an input it is known
// during a preview (Pulumi previews an update's outputs as its inputs), so a planned renewal does not make the
// add-ons' provider unknown, which would show every add-on as replaced. The output of that name is what the host
// has; the input as given is kept beside it (kubeconfigGiven), for diff, which only sees outputs, to compare inputs
// with inputs.
import * as pulumi from "@pulumi/pulumi";
import type { Connection } from "../../config/spec";
import { withSession } from "../../ssh";
import type { EtcdSnapshot } from "../node/etcd-snapshot";
import { stateForRead } from "../shared/kubeadm-resource";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";
import type { SessionOpener } from "../shared/step-reporter";
import { createCertificateRenewal } from "./create";
import { certificateDiff } from "./diff";
import {
  checkCertificateRenewalInputs,
  CERTIFICATE_SECRET_OUTPUTS,
  type CertificateRenewalInputs,
  type CertificateRenewalOutputs,
} from "./inputs";
import { readCertificates } from "./read";
import { updateCertificateRenewal } from "./update";

export function certificateRenewalProviderWith(
  open: SessionOpener,
): pulumi.dynamic.ResourceProvider<CertificateRenewalInputs, CertificateRenewalOutputs> {
  return {
    async check(_olds: CertificateRenewalInputs, news: CertificateRenewalInputs) {
      return checkCertificateRenewalInputs(news);
    },
    async diff(_id: string, olds: CertificateRenewalOutputs, news: CertificateRenewalInputs) {
      return certificateDiff(olds, news);
    },
    async create(inputs: CertificateRenewalInputs) {
      return createCertificateRenewal(inputs, open);
    },
    async update(_id: string, olds: CertificateRenewalOutputs, news: CertificateRenewalInputs) {
      return updateCertificateRenewal(olds, news, open);
    },
    async read(id: string, props?: CertificateRenewalOutputs) {
      return readCertificates(id, stateForRead(id, props), open);
    },
    // A no-op on purpose: nothing on the host is this resource's own; the node's reset removes the certificates
    // with the rest.
    async delete() {},
  };
}

export const certificateRenewalProvider = certificateRenewalProviderWith(withSession);

/** What each resource stores: module text that loads the provider from the source (shared/provider-from-source.ts). */
export const certificateRenewalProviderStored = new SourceProvider(
  "providers/certificate-renewal",
  "certificateRenewalProvider",
  certificateRenewalProvider,
);

export interface CertificateRenewalArgs {
  connection: pulumi.Input<Connection>;
  node: pulumi.Input<{ name: string }>;
  renewBeforeDays: pulumi.Input<number>;
  kubeconfig?: pulumi.Input<string>;
  etcdSnapshotsKeep?: pulumi.Input<number>;
}

/** Dynamic type `pulumi-nodejs:dynamic/pulumi-kubeadm:CertificateRenewal`. */
export class CertificateRenewal extends SourceProvidedResource {
  declare readonly certificatesExpire: pulumi.Output<string>;
  declare readonly authoritiesExpire: pulumi.Output<string>;
  declare readonly kubeconfig: pulumi.Output<string | undefined>;
  declare readonly etcdSnapshot: pulumi.Output<EtcdSnapshot | undefined>;

  constructor(name: string, args: CertificateRenewalArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      certificateRenewalProviderStored,
      name,
      {
        ...args,
        certificatesExpire: undefined,
        authoritiesExpire: undefined,
        firstToExpire: undefined,
        renewedAt: undefined,
        kubeconfigGiven: undefined,
        etcdSnapshot: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: CERTIFICATE_SECRET_OUTPUTS }),
      "pulumi-kubeadm",
      "CertificateRenewal",
    );
  }
}
