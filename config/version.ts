// Which Kubernetes versions the program can install, and how a version string is read.
import { kubeadmFactsFor, supportedMinors } from "./kubeadm-facts";

/** The minors whose kubeadm was read (config/kubeadm-facts.ts): the only ones the program installs. */
export const SUPPORTED_MINORS = { min: Math.min(...supportedMinors()), max: Math.max(...supportedMinors()) } as const;

export interface KubernetesVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseKubernetesVersion(text: string): KubernetesVersion | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

export function isSupported(version: KubernetesVersion): boolean {
  return version.major === 1 && kubeadmFactsFor(version.minor) !== undefined;
}

/** "1.35.4" → "v1.35.4"; kubeadm and the image tags use the "v" form. */
export function normalizeKubernetesVersion(text: string): string {
  return text.startsWith("v") ? text : `v${text}`;
}

/** "v1.35.4" → "1.35", the part that names a pkgs.k8s.io repository. */
export function minorVersionOf(text: string): string {
  const version = parseKubernetesVersion(text);
  if (!version) throw new Error(`kubernetesVersion '${text}' is not MAJOR.MINOR.PATCH; validate the config first`);
  return `${version.major}.${version.minor}`;
}
