// ControlPlaneJoin: one control-plane node after the first, joined with `kubeadm join --control-plane`
// (providers/control-plane-join/). The other control-plane nodes are passed along: whichever of them
// answers mints the token, uploads the certificates, and on removal checks the etcd quorum and drains.
import * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../config/spec";
import { CertificateRenewal } from "../providers/certificate-renewal";
import { KubeadmControlPlaneJoin } from "../providers/control-plane-join";
import { joiningNodeInputs, type NodeJoinArgs } from "./node-join";
import { controlPlaneCertificates } from "./control-plane-certificates";

export interface ControlPlaneJoinArgs extends NodeJoinArgs {
  /** The other control-plane nodes, the first (kubeadm init) one first. */
  controlPlanes: NodeSpec[];
  /** The node's HostPrep and the previous control-plane join: etcd members are added one at a time. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** The previous control plane's certificates: one control plane restarts its components at a time. */
  certificatesAfter: pulumi.Resource;
}

export class ControlPlaneJoin extends pulumi.ComponentResource {
  readonly nodeName: pulumi.Output<string>;
  readonly joinedAt: pulumi.Output<string>;
  /** The KubeadmControlPlaneJoin resource, for dependsOn. */
  readonly join: KubeadmControlPlaneJoin;
  /** Its certificates' expiry, renewed when due. */
  readonly certificates: CertificateRenewal;

  constructor(name: string, args: ControlPlaneJoinArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:index:ControlPlaneJoin", name, {}, opts);
    this.join = new KubeadmControlPlaneJoin(
      `${name}-control-plane-join`,
      {
        ...joiningNodeInputs(args),
        // Their connections may carry keys or passwords too.
        controlPlanes: pulumi.secret(
          args.controlPlanes.map((cp) => ({
            name: cp.name,
            advertiseAddress: cp.advertiseAddress,
            connection: cp.connection,
          })),
        ),
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.certificates = controlPlaneCertificates(name, args.spec, args.node, {
      parent: this,
      dependsOn: [this.join, args.certificatesAfter],
    });
    this.nodeName = this.join.nodeName;
    this.joinedAt = this.join.joinedAt;
    this.registerOutputs({ nodeName: this.nodeName, joinedAt: this.joinedAt });
  }
}
