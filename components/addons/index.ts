// The add-ons of a kubeadm cluster, deployed through a Kubernetes provider built from the admin kubeconfig:
// the pod network once the control plane is up, the web UI and Rook-Ceph once the workers have joined (and
// the pod network exists, as their pods need addresses before the provider sees them ready).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../../config/spec";
import { Dashboard, type WebUi } from "./dashboard";
import { Flannel } from "./flannel";
import { Headlamp } from "./headlamp";
import { kubernetesProvider } from "./kubernetes-provider";
import { RookCeph } from "./rook-ceph";

export interface AddonsArgs {
  spec: ClusterSpec;
  /** admin.conf (MasterNode.kubeconfig). */
  kubeconfig: pulumi.Input<string>;
  /** The control plane's `kubeadm init` (MasterNode.init). */
  controlPlaneReady: pulumi.Input<pulumi.Resource>[];
  /** Every worker's `kubeadm join`. */
  workersReady: pulumi.Input<pulumi.Resource>[];
}

export function anyAddonEnabled(addons: ClusterSpec["addons"]): boolean {
  return addons.flannel.enabled || addons.dashboard.enabled || addons.rookCeph.enabled;
}

export class Addons extends pulumi.ComponentResource {
  /** The provider the add-ons deploy through; none when every add-on is switched off. */
  readonly provider: k8s.Provider | undefined;
  /** Secret: the web UI's login token; undefined when no UI is deployed. */
  readonly dashboardToken: pulumi.Output<string | undefined>;
  /** How to open the web UI; undefined when no UI is deployed. */
  readonly dashboardUrlHint: pulumi.Output<string | undefined>;

  constructor(name: string, args: AddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:addons:Addons", name, {}, opts);
    this.provider = anyAddonEnabled(args.spec.addons)
      ? kubernetesProvider(`${name}-kubernetes`, args.kubeconfig, { parent: this })
      : undefined;
    const ui = this.provider ? this.deploy(name, args, this.provider) : undefined;
    this.dashboardToken = ui ? ui.token : pulumi.secret(pulumi.output<string | undefined>(undefined));
    this.dashboardUrlHint = pulumi.output(ui?.urlHint);
    this.registerOutputs({ dashboardToken: this.dashboardToken, dashboardUrlHint: this.dashboardUrlHint });
  }

  /** Creates the enabled add-ons; returns the web UI when one is deployed. */
  private deploy(name: string, args: AddonsArgs, provider: k8s.Provider): WebUi | undefined {
    const { spec } = args;
    const { addons } = spec;
    const common = { imageMirror: addons.imageMirror, waitForRollout: addons.waitForRollout, provider };
    const children = { parent: this };

    const flannel = addons.flannel.enabled
      ? new Flannel(
          `${name}-flannel`,
          { ...common, podSubnet: spec.podSubnet, backend: addons.flannel.backend, dependsOn: args.controlPlaneReady },
          children,
        )
      : undefined;
    const nodesReady = [...args.controlPlaneReady, ...args.workersReady, ...(flannel ? [flannel.daemonSet] : [])];

    if (addons.rookCeph.enabled) {
      new RookCeph(`${name}-rook-ceph`, { ...common, spec, dependsOn: nodesReady }, children);
    }
    if (!addons.dashboard.enabled) return undefined;
    const uiArgs = { ...common, dependsOn: nodesReady };
    return addons.dashboard.ui === "headlamp"
      ? new Headlamp(`${name}-headlamp`, uiArgs, children)
      : new Dashboard(`${name}-dashboard`, uiArgs, children);
  }
}
