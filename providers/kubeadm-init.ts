// Stacks created before providers/ was sorted by resource stored "providers/kubeadm-init" as the module of the first control-plane node's
// provider, and delete and refresh load the provider from what the state stored (shared/provider-from-source.ts):
// this path must keep answering until no stack holds it. New resources store "providers/master-node".
export { kubeadmInitProvider } from "./master-node";
