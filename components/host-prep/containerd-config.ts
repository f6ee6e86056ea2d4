// containerd's configuration, rendered here rather than patched with sed on the host: the systemd cgroup
// driver (kubeadm's kubelet default), the pause image kubeadm uses (a mismatch makes the kubelet keep a
// second pause image and kubeadm warn), and registry mirrors through hosts.toml files. containerd 1.x reads
// config schema version 2 and 2.x version 3, with different plugin names; both are sent and the host picks.
import type { ClusterSpec } from "../../config/spec";
import type { RemoteFile } from "../../ssh/scripts";

export const UPLOAD_DIR = "/etc/containerd/pulumi-kubeadm";

/** TOML basic string: the pause image and mirror URLs come from user config. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * Where CNI plugins are looked for. flannel's DaemonSet copies its plugin to /opt/cni/bin and the kubernetes-cni
 * packages install there, but distributions build containerd with other defaults (Debian's: /usr/lib/cni).
 */
export const CNI_BIN_DIR = "/opt/cni/bin";
export const CNI_CONF_DIR = "/etc/cni/net.d";

export function containerdConfigV2(settings: ClusterSpec["containerd"]): string {
  return [
    "version = 2",
    "",
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = ${tomlString(settings.sandboxImage)}`,
    // Without CAP_SYS_RESOURCE (nested and LXC hosts) runc cannot lower a container's oom_score_adj below
    // containerd's own, and every sandbox fails to start.
    ...(settings.restrictOomScoreAdj ? ["  restrict_oom_score_adj = true"] : []),
    "",
    '[plugins."io.containerd.grpc.v1.cri".cni]',
    `  bin_dir = ${tomlString(CNI_BIN_DIR)}`,
    `  conf_dir = ${tomlString(CNI_CONF_DIR)}`,
    "",
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '  runtime_type = "io.containerd.runc.v2"',
    "",
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    "  SystemdCgroup = true",
    "",
    '[plugins."io.containerd.grpc.v1.cri".registry]',
    '  config_path = "/etc/containerd/certs.d"',
    "",
  ].join("\n");
}

export function containerdConfigV3(settings: ClusterSpec["containerd"]): string {
  return [
    "version = 3",
    "",
    "[plugins.'io.containerd.cri.v1.images'.pinned_images]",
    `  sandbox = ${tomlString(settings.sandboxImage)}`,
    "",
    "[plugins.'io.containerd.cri.v1.images'.registry]",
    "  config_path = '/etc/containerd/certs.d'",
    "",
    "[plugins.'io.containerd.cri.v1.runtime']",
    ...(settings.restrictOomScoreAdj ? ["  restrict_oom_score_adj = true"] : []),
    "",
    "[plugins.'io.containerd.cri.v1.runtime'.cni]",
    `  bin_dirs = [${tomlString(CNI_BIN_DIR)}]`,
    `  conf_dir = ${tomlString(CNI_CONF_DIR)}`,
    "",
    "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]",
    "  runtime_type = 'io.containerd.runc.v2'",
    "",
    "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]",
    "  SystemdCgroup = true",
    "",
  ].join("\n");
}

/** Where a registry really is when no mirror answers: docker.io's API is not at docker.io. */
function upstreamServer(registry: string): string {
  return registry === "docker.io" ? "https://registry-1.docker.io" : `https://${registry}`;
}

export function hostsToml(registry: string, mirrors: string[]): string {
  const lines = [`server = ${tomlString(upstreamServer(registry))}`, ""];
  for (const mirror of mirrors) {
    lines.push(`[host.${tomlString(mirror)}]`, '  capabilities = ["pull", "resolve"]', "");
  }
  return lines.join("\n");
}

export function containerdFiles(spec: ClusterSpec): RemoteFile[] {
  const files: RemoteFile[] = [
    { path: `${UPLOAD_DIR}/config-v2.toml`, content: containerdConfigV2(spec.containerd), mode: 0o644 },
    { path: `${UPLOAD_DIR}/config-v3.toml`, content: containerdConfigV3(spec.containerd), mode: 0o644 },
  ];
  for (const registry of Object.keys(spec.containerd.registryMirrors).sort()) {
    files.push({
      path: `${UPLOAD_DIR}/certs.d/${registry}/hosts.toml`,
      content: hostsToml(registry, spec.containerd.registryMirrors[registry]),
      mode: 0o644,
    });
  }
  return files;
}
