// The nodeRegistration block shared by InitConfiguration and JoinConfiguration.
import { isIP } from "net";
import type { ClusterSpec, NodeSpec } from "../config/spec";
import type { KubeadmApiVersion } from "./api-version";
import { formatExtraArgs } from "./extra-args";

/** The project installs containerd on every node; naming its socket avoids kubeadm's runtime auto-detection. */
export const CONTAINERD_CRI_SOCKET = "unix:///var/run/containerd/containerd.sock";

/** The one preflight check allowCgroupV1 skips. */
export const CGROUP_V1_PREFLIGHT_CHECK = "SystemVerification";

export function nodeRegistration(
  spec: ClusterSpec,
  node: NodeSpec,
  apiVersion: KubeadmApiVersion,
): Record<string, unknown> {
  const registration: Record<string, unknown> = { name: node.name, criSocket: CONTAINERD_CRI_SOCKET };
  // An explicit empty list is kubeadm's only way to say "no taints"; leaving the key out keeps the default
  // control-plane NoSchedule taint, which is what a non-schedulable control plane wants.
  if (node.role === "control-plane" && spec.schedulableControlPlane) {
    registration.taints = [];
  }
  // kubeadm's SystemVerification check is an error on cgroup v1 hosts; the user allowed them, so only that
  // check is skipped and every other preflight error still stops init and join.
  if (spec.kubelet.allowCgroupV1) {
    registration.ignorePreflightErrors = [CGROUP_V1_PREFLIGHT_CHECK];
  }
  const kubeletArgs = kubeletArgsFor(spec, node);
  if (Object.keys(kubeletArgs).length > 0) {
    registration.kubeletExtraArgs = formatExtraArgs(kubeletArgs, apiVersion);
  }
  return registration;
}

function kubeletArgsFor(spec: ClusterSpec, node: NodeSpec): Record<string, string> {
  const args = { ...spec.kubelet.extraArgs };
  // On hosts with several interfaces (a NAT interface plus a private network is the usual lab and cloud
  // layout) the kubelet would otherwise register the default-route address, and pod networking would use the
  // wrong interface. A user-supplied node-ip wins; a host name cannot be used, as the flag takes only IPs.
  if (args["node-ip"] === undefined && isIP(node.advertiseAddress) !== 0) {
    args["node-ip"] = node.advertiseAddress;
  }
  return args;
}
