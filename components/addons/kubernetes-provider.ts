// The Kubernetes provider every addon deploys through, built from the admin kubeconfig that `kubeadm init`
// produced (MasterNode.kubeconfig).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export function kubernetesProvider(
  name: string,
  kubeconfig: pulumi.Input<string>,
  opts: pulumi.ResourceOptions,
): k8s.Provider {
  return new k8s.Provider(
    name,
    {
      // admin.conf carries the cluster-admin client key: secret in state, masked in logs.
      kubeconfig: pulumi.secret(kubeconfig),
      // Server-side apply creates an object that exists already instead of failing, so objects re-adopted after
      // a refresh dropped them (see deleteUnreachable) or left behind by an interrupted run converge on `up`.
      enableServerSideApply: true,
      // The addons depend on the nodes, so `pulumi destroy` removes them while the cluster still answers. When it
      // no longer does (hosts already gone, where the node resets only warn), the provider would fail every
      // delete and block the destroy; with this it drops the objects from state instead, as they went with
      // the cluster. A refresh during an outage can drop them too; the next `up` re-creates them through
      // server-side apply.
      deleteUnreachable: true,
      // No clusterIdentifier: a control plane re-created by kubeadm keeps the endpoint and the CA, so the only
      // sign the cluster is going away is the kubeconfig turning unknown while `kubeadm init` is replaced, and
      // the provider then plans a replacement, so the addons are deleted before the reset and created again on
      // the new cluster. A fixed identifier would hide that; the price is a preview that shows the addons
      // replaced whenever the control plane changes in place (the `up` itself replaces nothing then).
    },
    opts,
  );
}
