// Headlamp, the alternative web UI, pinned and vendored like the Dashboard. Its manifest brings the token Secret
// of a "headlamp-admin" account but not the account: it is created here with cluster-admin rights, as
// Headlamp's documentation has the user do by hand.
import * as pulumi from "@pulumi/pulumi";
import { adminAccess, isTokenSecretOf, tokenSecretObject, type AdminAccount } from "./admin-access";
import { applyObjects } from "./apply";
import type { WebUi, WebUiArgs } from "./dashboard";
import { loadManifest } from "./manifest";

export const HEADLAMP_NAMESPACE = "kube-system";
const ADMIN: AdminAccount = { namespace: HEADLAMP_NAMESPACE, serviceAccount: "headlamp-admin" };

export class Headlamp extends pulumi.ComponentResource implements WebUi {
  readonly token: pulumi.Output<string | undefined>;
  readonly urlHint = "kubectl -n kube-system port-forward service/headlamp 8080:80, then http://localhost:8080";

  constructor(name: string, args: WebUiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:addons:Headlamp", name, {}, opts);
    const options = {
      parent: this,
      provider: args.provider,
      imageMirror: args.imageMirror,
      waitForRollout: args.waitForRollout,
      dependsOn: args.dependsOn,
    };
    const objects = loadManifest("headlamp", "kubernetes-headlamp.yaml");
    const tokenSecret =
      objects.find((object) => isTokenSecretOf(object, ADMIN)) ?? tokenSecretObject(ADMIN, "headlamp-admin");
    applyObjects(
      name,
      objects.filter((object) => object !== tokenSecret),
      options,
    );
    this.token = adminAccess(`${name}-admin`, ADMIN, tokenSecret, options);
    this.registerOutputs({ token: this.token });
  }
}
