// Stacks created before providers/ was sorted by resource stored "providers/kubeadm-join" as the module of a worker's
// provider, and delete and refresh load the provider from what the state stored (shared/provider-from-source.ts):
// this path must keep answering until no stack holds it. New resources store "providers/worker-join".
export { kubeadmJoinProvider } from "./worker-join";
