// The cluster-wide documents of `kubeadm init`: ClusterConfiguration (uploaded to the kubeadm-config
// ConfigMap and reused by every join) and KubeletConfiguration (uploaded to kubelet-config for all nodes).
import type { ExtraArgs } from "../config/schema";
import type { ClusterSpec } from "../config/spec";
import type { KubeadmApiVersion } from "./api-version";
import { formatExtraArgs, hasExtraArgs } from "./extra-args";

export function clusterConfigurationDocument(
  spec: ClusterSpec,
  apiVersion: KubeadmApiVersion,
): Record<string, unknown> {
  const apiServer: Record<string, unknown> = withExtraArgs(spec.apiServer.extraArgs, apiVersion);
  if (spec.apiServer.certSANs.length > 0) {
    apiServer.certSANs = [...spec.apiServer.certSANs];
  }
  return {
    apiVersion,
    kind: "ClusterConfiguration",
    kubernetesVersion: spec.kubernetesVersion,
    controlPlaneEndpoint: spec.controlPlaneEndpoint,
    imageRepository: spec.imageRepository,
    networking: { podSubnet: spec.podSubnet, serviceSubnet: spec.serviceSubnet, dnsDomain: spec.dnsDomain },
    apiServer,
    controllerManager: withExtraArgs(spec.controllerManager.extraArgs, apiVersion),
    scheduler: withExtraArgs(spec.scheduler.extraArgs, apiVersion),
  };
}

export function kubeletConfigurationDocument(spec: Pick<ClusterSpec, "kubelet">): Record<string, unknown> {
  const document: Record<string, unknown> = {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // containerd is configured with SystemdCgroup = true; the kubelet must use the same driver.
    cgroupDriver: "systemd",
  };
  // From 1.35 the kubelet refuses to start on cgroup v1 unless told otherwise; older ones only warn, and
  // kubeadm below 1.31 (v1beta3) does not know the field, so it is only written when asked for.
  if (spec.kubelet.allowCgroupV1) document.failCgroupV1 = false;
  return document;
}

function withExtraArgs(args: ExtraArgs, apiVersion: KubeadmApiVersion): Record<string, unknown> {
  return hasExtraArgs(args) ? { extraArgs: formatExtraArgs(args, apiVersion) } : {};
}

/**
 * kube-proxy's settings, when the stack has any: kubeadm writes them into the kube-proxy ConfigMap. On hosts
 * where nf_conntrack_max is read-only (containers, LXC, nested labs) kube-proxy fails to start while it tries to
 * set it; conntrack.maxPerCore 0 leaves the kernel's value.
 */
export function kubeProxyConfigurationDocument(
  spec: Pick<ClusterSpec, "kubeProxy">,
): Record<string, unknown> | undefined {
  if (spec.kubeProxy.conntrackMaxPerCore === undefined) return undefined;
  return {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    conntrack: { maxPerCore: spec.kubeProxy.conntrackMaxPerCore },
  };
}
