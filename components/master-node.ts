// MasterNode: the first control-plane node, initialised with `kubeadm init` (providers/master-node/).
// Its outputs feed the workers: WorkerJoin takes apiEndpoint and caCertHash as inputs, so the engine joins
// workers only after init succeeded, and a replaced control plane replaces the workers with it.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, NodeSpec } from "../config/spec";
import { controlPlaneCertificates } from "./control-plane-certificates";
import { CertificateRenewal } from "../providers/certificate-renewal";
import { KubeadmInit } from "../providers/master-node";
import { readResetScript } from "../providers/node/reset";
import { clusterSettings, nodeSettings } from "../providers/node/settings";
import { caCertHash } from "../kubeadm/ca-hash";

export interface MasterNodeArgs {
  spec: ClusterSpec;
  /** The control-plane node `kubeadm init` runs on (spec.controlPlane[0]). */
  node: NodeSpec;
  /** The cluster CA (ClusterCa's certPem/keyPem); kubeadm signs every other certificate with it. */
  ca: { certPem: pulumi.Input<string>; keyPem: pulumi.Input<string> };
  /** What must be done on the host first: its HostPrep (containerd, kubeadm/kubelet installed, swap off, ...). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class MasterNode extends pulumi.ComponentResource {
  /** Secret: the admin kubeconfig (/etc/kubernetes/admin.conf). */
  readonly kubeconfig: pulumi.Output<string>;
  /** "host:port" of the API server. */
  readonly apiEndpoint: pulumi.Output<string>;
  /** "sha256:<hex>" that joins pin. */
  readonly caCertHash: pulumi.Output<string>;
  /** Secret: the token init created (valid for joinTokenTtl; workers mint their own). */
  readonly bootstrapToken: pulumi.Output<string>;
  /** The KubeadmInit resource, for dependsOn. */
  readonly init: KubeadmInit;
  /** Its certificates' expiry, renewed when due; the next control plane's renewal waits for this one. */
  readonly certificates: CertificateRenewal;

  constructor(name: string, args: MasterNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:index:MasterNode", name, {}, opts);
    const { spec, node } = args;
    this.init = new KubeadmInit(
      `${name}-init`,
      {
        // The connection may carry a private key or password: secret from config to state.
        connection: pulumi.secret(node.connection),
        node: nodeSettings(node),
        cluster: clusterSettings(spec),
        caCertPem: args.ca.certPem,
        caKeyPem: pulumi.secret(args.ca.keyPem),
        resetScript: readResetScript(),
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.certificates = controlPlaneCertificates(
      name,
      spec,
      node,
      { parent: this, dependsOn: [this.init] },
      // Passed through, so a preview knows it: admin.conf changes when its certificate is renewed.
      pulumi.secret(this.init.kubeconfig),
    );
    this.kubeconfig = pulumi.secret(this.certificates.kubeconfig.apply((renewed) => renewed as string));
    // What init reports (the endpoint it was given, the hash of the CA it was given), taken from those inputs so that a
    // preview knows them while the control plane is only updated: the engine previews an update's outputs as unknown,
    // and the joins, which take these two, would show as replaced by every change of the control plane (an upgrade
    // among them). Tied to init's id, which a preview knows for an update but not for a replacement: a replaced
    // control plane still replaces the joins with it, and no join starts before init has finished.
    const withInit = <T>(value: pulumi.Input<T>) => pulumi.all([this.init.id, value]).apply(([, known]) => known);
    this.apiEndpoint = withInit(spec.controlPlaneEndpoint);
    this.caCertHash = withInit(pulumi.output(args.ca.certPem).apply(caCertHash));
    this.bootstrapToken = pulumi.secret(this.init.bootstrapToken);
    this.registerOutputs({
      kubeconfig: this.kubeconfig,
      apiEndpoint: this.apiEndpoint,
      caCertHash: this.caCertHash,
      bootstrapToken: this.bootstrapToken,
    });
  }
}
