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
