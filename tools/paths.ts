// Where the set-up puts what it builds, for tests and the lab (mirrors tools/setup).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const repoRoot = path.resolve(__dirname, "..");

export function toolCache(): string {
  if (process.env.PULUMI_KUBEADM_CACHE) return process.env.PULUMI_KUBEADM_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "pulumi-kubeadm");
}

export function pinnedVersions(): Record<string, string> {
  const text = fs.readFileSync(path.join(repoRoot, "tools", "versions.env"), "utf8");
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** Path of the kubeadm binary built by the set-up for a Kubernetes version such as "1.35.4". */
export function kubeadmBinary(version = pinnedVersions().KUBERNETES_VERSION): string {
  return path.join(toolCache(), `kubernetes-v${version.replace(/^v/, "")}`, "bin", "kubeadm");
}

/**
 * The lab's real control plane and node simulation, as the set-up builds them: the name each has in /lab/tools on
 * the hosts, and where it is in the cache (Kubernetes binaries next to kubeadm, etcd and kwok in dirs of their own).
 */
export function controlPlaneTools(versions = pinnedVersions()): { name: string; source: string }[] {
  const cache = toolCache();
  const kubernetes = path.join(cache, `kubernetes-v${versions.KUBERNETES_VERSION}`, "bin");
  const etcd = path.join(cache, `etcd-v${versions.ETCD_VERSION}`, "bin");
  const kwok = path.join(cache, `kwok-v${versions.KWOK_VERSION}`, "bin");
  return [
    ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"].map((name) => ({
      name,
      source: path.join(kubernetes, name),
    })),
    { name: "etcd", source: path.join(etcd, "etcd") },
    { name: "etcdctl", source: path.join(etcd, "etcdctl") },
    { name: "kwok", source: path.join(kwok, "kwok") },
    { name: "kwok-stages", source: path.join(kwok, "stages") },
  ];
}
