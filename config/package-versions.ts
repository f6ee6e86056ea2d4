// The package versions of kubeadm, kubelet and kubectl as each family's repository names them: the host preparation
// installs them, and a node's upgrade moves its kubelet and kubectl to them.
import type { ClusterSpec } from "./spec";

/** "v1.35.4" → "1.35.4". */
export function bareVersion(version: string): string {
  return version.replace(/^v/, "");
}

/** pkgs.k8s.io names "1.35.4-1.1" for deb and "1.35.4" for rpm; packages.kubernetesPackageVersion overrides both. */
export function packageVersions(spec: Pick<ClusterSpec, "packages" | "kubernetesVersion">): {
  apt: string;
  yum: string;
} {
  const pinned = spec.packages.kubernetesPackageVersion;
  if (pinned) return { apt: pinned, yum: pinned };
  const version = bareVersion(spec.kubernetesVersion);
  return { apt: `${version}-1.1`, yum: version };
}
