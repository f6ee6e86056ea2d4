// Stacks created before providers/ was sorted by resource stored "providers/kubeadm-control-plane-join" as the module of a joined control-plane node's
// provider, and delete and refresh load the provider from what the state stored (shared/provider-from-source.ts):
// this path must keep answering until no stack holds it. New resources store "providers/control-plane-join".
export { kubeadmControlPlaneJoinProvider } from "./control-plane-join";
