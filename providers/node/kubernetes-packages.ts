// kubeadm, kubelet and kubectl moved to another version during an upgrade, from the repositories the host preparation
// configured (packages.apt / packages.yum, so a mirror behind a firewall serves them too). The host preparation
// installs them on a new node; on a node that is already in the cluster it moves kubeadm alone
// (components/host-prep/scripts/packages.sh), because a kubelet newer than its API server breaks the skew policy:
// the node's own upgrade moves the kubelet and kubectl, after the control plane is at the new version and the node
// is drained.
import { packageVersions } from "../../config/package-versions";
import { shellQuote } from "../../ssh";
import type { ClusterSettings } from "./settings";

export type KubernetesPackage = "kubeadm" | "kubelet" | "kubectl";

/**
 * A script that installs `packages` at the cluster's version and holds them there (apt-mark hold; on the RHEL
 * family the kubernetes repository's `exclude=` line is the hold, lifted for this install only, as the host
 * preparation does).
 */
export function installKubernetesPackages(cluster: ClusterSettings, packages: readonly KubernetesPackage[]): string {
  const versions = packageVersions(cluster);
  const apt = packages.map((name) => shellQuote(`${name}=${versions.apt}`)).join(" ");
  const yum = packages.map((name) => shellQuote(`${name}-${versions.yum}`)).join(" ");
  const names = packages.map((name) => shellQuote(name)).join(" ");
  return [
    "if command -v apt-get >/dev/null 2>&1; then",
    "  export DEBIAN_FRONTEND=noninteractive",
    `  apt-get install -y -q --allow-change-held-packages --allow-downgrades ${apt} || exit $?`,
    `  apt-mark hold ${names} >/dev/null || exit $?`,
    "else",
    "  family=$(command -v dnf >/dev/null 2>&1 && echo dnf || echo yum)",
    `  "$family" install -y -q --disableexcludes=kubernetes ${yum} || exit $?`,
    "fi",
  ].join("\n");
}
