// What each Kubernetes minor's kubeadm does that the host preparation must match, read from that kubeadm's own
// source rather than assumed: tools/read-kubeadm-facts.ts writes this table from the Go module proxy's
// k8s.io/kubernetes, and tests/config/kubeadm-facts.test.ts reads the same sources again and compares. A minor that
// is not in the table is not supported: nothing here would say which pause image its kubeadm deploys.

/** How kubeadm's ContainerRuntimeVersion preflight check treats a runtime without the CRI RuntimeConfig call. */
export type RuntimeConfigCheck =
  /** No such check: containerd 1.x (which lacks RuntimeConfig) passes silently. */
  | "none"
  /** kubeadm warns and the kubelet falls back to its own cgroupDriver: containerd 1.x still works. */
  | "warning"
  /** kubeadm's preflight fails: only a runtime with RuntimeConfig (containerd 2.0 or later) works. */
  | "error";

export interface KubeadmFacts {
  /** The release whose source these facts were read from (the minor's newest on the Go module proxy then). */
  readFrom: string;
  /** constants.PauseVersion: the sandbox image kubeadm pre-pulls and expects containerd to use. */
  pauseTag: string;
  /** constants.DefaultEtcdVersion: the etcd image tag of a stacked control plane. */
  etcdVersion: string;
  runtimeConfigCheck: RuntimeConfigCheck;
  /** The release kubeadm's warning says will make it an error, when it says one. */
  runtimeConfigErrorFrom?: string;
}

export const KUBEADM_FACTS: Readonly<Record<number, KubeadmFacts>> = {
  30: { readFrom: "v1.30.14", pauseTag: "3.9", etcdVersion: "3.5.15-0", runtimeConfigCheck: "none" },
  31: { readFrom: "v1.31.14", pauseTag: "3.10", etcdVersion: "3.5.24-0", runtimeConfigCheck: "none" },
  32: { readFrom: "v1.32.13", pauseTag: "3.10", etcdVersion: "3.5.24-0", runtimeConfigCheck: "none" },
  33: { readFrom: "v1.33.13", pauseTag: "3.10", etcdVersion: "3.5.24-0", runtimeConfigCheck: "none" },
  34: { readFrom: "v1.34.4", pauseTag: "3.10.1", etcdVersion: "3.6.5-0", runtimeConfigCheck: "none" },
  35: {
    readFrom: "v1.35.4",
    pauseTag: "3.10.1",
    etcdVersion: "3.6.6-0",
    runtimeConfigCheck: "warning",
    runtimeConfigErrorFrom: "1.36",
  },
  36: {
    readFrom: "v1.36.3",
    pauseTag: "3.10.2",
    etcdVersion: "3.6.8-0",
    runtimeConfigCheck: "warning",
    runtimeConfigErrorFrom: "1.37",
  },
  37: {
    readFrom: "v1.37.2",
    pauseTag: "3.10.2",
    etcdVersion: "3.7.0-0",
    runtimeConfigCheck: "warning",
    runtimeConfigErrorFrom: "1.38",
  },
};

export function kubeadmFactsFor(minor: number): KubeadmFacts | undefined {
  return Object.hasOwn(KUBEADM_FACTS, minor) ? KUBEADM_FACTS[minor] : undefined;
}

/** The supported minors, ascending. */
export function supportedMinors(): number[] {
  return Object.keys(KUBEADM_FACTS)
    .map(Number)
    .sort((a, b) => a - b);
}
