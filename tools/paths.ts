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
 * A resource plugin as `pulumi plugin install` put it into Pulumi's plugin cache (tools/setup, pulumi_plugin_dir):
 * $PULUMI_HOME/plugins, else .pulumi/plugins in the user's home as the passwd database has it.
 */
export function pulumiPluginBinary(name: string, version: string): string {
  const home = process.env.PULUMI_HOME || path.join(os.userInfo().homedir || os.homedir(), ".pulumi");
  return path.join(home, "plugins", `resource-${name}-v${version}`, `pulumi-resource-${name}`);
}

/** The pulumi CLI the set-up built, or the user's own on PATH (the set-up leaves an installed one in place). */
export function pulumiCli(): string {
  const built = path.join(toolCache(), `pulumi-v${pinnedVersions().PULUMI_VERSION}`, "bin", "pulumi");
  return fs.existsSync(built) ? built : "pulumi";
}
