// kubeadm reads one config API per release window: v1beta4 from 1.31 (which turned every extraArgs into a
// list and moved the join discovery timeout), v1beta3 before it. Rendering for the version being installed
// keeps the config readable by the kubeadm that is actually on the node.

export const KUBEADM_V1BETA3 = "kubeadm.k8s.io/v1beta3";
export const KUBEADM_V1BETA4 = "kubeadm.k8s.io/v1beta4";
export type KubeadmApiVersion = typeof KUBEADM_V1BETA3 | typeof KUBEADM_V1BETA4;

const FIRST_MINOR_WITH_V1BETA4 = 31;

/** Parses "v1.35.4" or "1.35.4" (pre-release suffixes allowed) into its major and minor numbers. */
export function parseKubernetesMinor(kubernetesVersion: string): { major: number; minor: number } {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(kubernetesVersion.trim());
  if (!match) {
    throw new Error(`not a Kubernetes version: "${kubernetesVersion}" (expected e.g. v1.35.4)`);
  }
  return { major: Number(match[1]), minor: Number(match[2]) };
}

/** The kubeadm config API that the kubeadm shipped with `kubernetesVersion` expects. */
export function kubeadmApiVersion(kubernetesVersion: string): KubeadmApiVersion {
  const { major, minor } = parseKubernetesMinor(kubernetesVersion);
  if (major !== 1) {
    throw new Error(`unsupported Kubernetes major version in "${kubernetesVersion}"`);
  }
  return minor >= FIRST_MINOR_WITH_V1BETA4 ? KUBEADM_V1BETA4 : KUBEADM_V1BETA3;
}
