// Kubernetes Dashboard v2.7.0 (the seed's UI), with an admin account whose token logs the user in.
import * as pulumi from "@pulumi/pulumi";
import { adminAccess, tokenSecretObject, type AdminAccount } from "./admin-access";
import { applyObjects } from "./apply";
import { loadManifest } from "./manifest";

export const DASHBOARD_NAMESPACE = "kubernetes-dashboard";
/** The account the Dashboard's documentation has the user create to log in. */
const ADMIN: AdminAccount = { namespace: DASHBOARD_NAMESPACE, serviceAccount: "admin-user" };

export interface WebUiArgs {
  imageMirror: string | undefined;
  waitForRollout?: boolean;
  provider: pulumi.ProviderResource;
  /** The workers' joins (and the pod network): its pods need nodes to run on. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** What both web UIs give the user. */
export interface WebUi {
  /** Secret: bearer token of a cluster-admin ServiceAccount, for the UI's login page. */
  readonly token: pulumi.Output<string | undefined>;
  /** How to open the UI from a machine with the kubeconfig. */
  readonly urlHint: string;
}

export class Dashboard extends pulumi.ComponentResource implements WebUi {
  readonly token: pulumi.Output<string | undefined>;
  readonly urlHint =
    "kubectl proxy, then http://localhost:8001/api/v1/namespaces/kubernetes-dashboard/services/" +
    "https:kubernetes-dashboard:/proxy/";

  constructor(name: string, args: WebUiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:addons:Dashboard", name, {}, opts);
    const options = {
      parent: this,
      provider: args.provider,
      imageMirror: args.imageMirror,
      waitForRollout: args.waitForRollout,
    };
    const applied = applyObjects(name, loadManifest("dashboard", "recommended.yaml"), {
      ...options,
      dependsOn: args.dependsOn,
    });
    this.token = adminAccess(`${name}-admin`, ADMIN, tokenSecretObject(ADMIN, "admin-user-token"), {
      ...options,
      dependsOn: [...args.dependsOn, applied.find("Namespace", DASHBOARD_NAMESPACE)],
    });
    this.registerOutputs({ token: this.token });
  }
}
