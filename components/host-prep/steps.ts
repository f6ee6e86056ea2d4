// The steps that turn a fresh host into one kubeadm can use, in order. Each is a script in scripts/ (and an
// undo script that `pulumi destroy` runs), the environment it reads, and the files it needs uploaded.
// A step whose script or inputs change re-runs alone; the others report no change.
import * as fs from "fs";
import * as path from "path";
import type { ClusterSpec, NodeSpec } from "../../config/spec";
import type { RemoteFile } from "../../ssh/scripts";
import { containerdFiles } from "./containerd-config";

export type { RemoteFile };
import { parseCidr } from "../../config/addresses";
import { kubeadmFactsFor } from "../../config/kubeadm-facts";
import { parseKubernetesVersion } from "../../config/version";
import { packageVersions } from "../../config/package-versions";

export interface HostPrepStep {
  /** Short name, used in resource names and progress lines. */
  name: string;
  script: string;
  undoScript: string;
  /** Run by refresh; prints what drifted, one line each. */
  checkScript: string;
  environment: Record<string, string>;
  files: RemoteFile[];
}

const SCRIPTS = path.join(__dirname, "scripts");

/** What every script starts with (then a newline): strict mode and the steps' helpers. */
export const prelude = () => fs.readFileSync(path.join(SCRIPTS, "lib.sh"), "utf8");

function script(name: string): string {
  return `${prelude()}\n${fs.readFileSync(path.join(SCRIPTS, name), "utf8")}`;
}

/**
 * What `pulumi refresh` runs to see whether the host still has what the step made: the files it wrote, and what the
 * step's own -check.sh looks at (swap, packages, services). Prints one line per difference; nothing when none.
 */
function checkScript(file: string): string {
  const own = path.join(SCRIPTS, `${file}-check.sh`);
  return `${prelude()}\ncheck_written\n${fs.existsSync(own) ? fs.readFileSync(own, "utf8") : ""}`;
}

function step(name: string, file: string, environment: Record<string, string> = {}, files: RemoteFile[] = []) {
  return {
    name,
    script: script(`${file}.sh`),
    undoScript: script(`${file}-undo.sh`),
    checkScript: checkScript(file),
    environment,
    files,
  };
}

/** Whether pods or Services get IPv6 addresses: the nodes must forward IPv6 then. */
function usesIpv6(spec: ClusterSpec): boolean {
  return [spec.podSubnet, spec.serviceSubnet].some((subnet) => parseCidr(subnet)?.family === 6);
}

/**
 * The ports a node's firewall must let in, as firewalld names them: kubeadm's "Ports and Protocols" for its role (a
 * schedulable control plane runs workloads, so NodePorts too) and the pod network's (flannel's vxlan backend 8472/udp,
 * its wireguard backend 51820/udp and 51821/udp for IPv6; host-gw routes with no port).
 */
export function firewalldPorts(spec: ClusterSpec, node: NodeSpec): string[] {
  const nodePorts = "30000-32767/tcp";
  const ports =
    node.role === "control-plane"
      ? ["6443/tcp", "2379-2380/tcp", "10250/tcp", "10257/tcp", "10259/tcp"]
      : ["10250/tcp", nodePorts];
  if (node.role === "control-plane" && spec.schedulableControlPlane) ports.push(nodePorts);
  const flannel = spec.addons.flannel;
  if (flannel.enabled && flannel.backend === "vxlan") ports.push("8472/udp");
  if (flannel.enabled && flannel.backend === "wireguard") {
    ports.push("51820/udp");
    if (usesIpv6(spec)) ports.push("51821/udp");
  }
  return ports;
}

/** What this kubeadm's preflight asks of the runtime, read from its source (config/kubeadm-facts.ts). */
function runtimeConfigCheck(spec: ClusterSpec): Record<string, string> {
  const facts = kubeadmFactsFor(parseKubernetesVersion(spec.kubernetesVersion)?.minor ?? -1);
  if (!facts) throw new Error(`no kubeadm facts for Kubernetes ${spec.kubernetesVersion}: validate the config first`);
  return {
    KUBERNETES_VERSION: spec.kubernetesVersion,
    RUNTIME_CONFIG_CHECK: facts.runtimeConfigCheck,
    RUNTIME_CONFIG_ERROR_FROM: facts.runtimeConfigErrorFrom ?? "",
  };
}

export function hostPrepSteps(spec: ClusterSpec, node: NodeSpec): HostPrepStep[] {
  const versions = packageVersions(spec);
  const firewalld = {
    FIREWALLD_MODE: spec.hostPrep.firewalld,
    FIREWALLD_PORTS: firewalldPorts(spec, node).join(" "),
    NODE_ADDRESS: node.advertiseAddress,
  };
  const { apt, yum } = spec.packages;
  // Docker's repository packages containerd as containerd.io; the distribution's as containerd.
  const aptContainerdPackage = apt.containerdRepository ? "containerd.io" : "containerd";
  const steps: HostPrepStep[] = [
    step("preflight", "preflight", {
      ALLOW_CGROUP_V1: String(spec.kubelet.allowCgroupV1),
      NODE_ROLE: node.role,
      APT_CONTAINERD_PACKAGE: aptContainerdPackage,
      CONTAINERD_VERSION: spec.packages.containerdPackageVersion ?? "",
      SELINUX_MODE: spec.hostPrep.selinux,
      ...firewalld,
    }),
    step("selinux", "selinux", { SELINUX_MODE: spec.hostPrep.selinux }),
    step("firewalld", "firewalld", firewalld),
    step("swap-off", "swap-off"),
    step("kernel-modules", "kernel-modules"),
    step("sysctl", "sysctl", { IPV6_FORWARDING: String(usesIpv6(spec)) }),
    step("package-repositories", "package-repositories", {
      APT_KUBERNETES_REPOSITORY: apt.kubernetesRepository,
      APT_KUBERNETES_KEY_URL: apt.kubernetesKeyUrl,
      APT_CONTAINERD_REPOSITORY: apt.containerdRepository ?? "",
      YUM_KUBERNETES_REPOSITORY: yum.kubernetesRepository,
      YUM_KUBERNETES_KEY_URL: yum.kubernetesKeyUrl,
      YUM_CONTAINERD_REPOSITORY: yum.containerdRepository ?? "https://download.docker.com/linux/centos/",
    }),
    step("packages", "packages", {
      APT_KUBERNETES_VERSION: versions.apt,
      YUM_KUBERNETES_VERSION: versions.yum,
      APT_CONTAINERD_PACKAGE: aptContainerdPackage,
      CONTAINERD_VERSION: spec.packages.containerdPackageVersion ?? "",
    }),
    step("containerd", "containerd-config", runtimeConfigCheck(spec), containerdFiles(spec)),
    step("kubelet", "kubelet"),
  ];
  if (node.role === "control-plane") {
    steps.push({
      name: "images",
      script: script("images-pull.sh"),
      // Images stay in containerd's store, which the packages step's undo removes with containerd.
      undoScript: "",
      // Images come and go with the kubelet's garbage collection: not worth a drift report.
      checkScript: "",
      environment: { KUBERNETES_VERSION: spec.kubernetesVersion, IMAGE_REPOSITORY: spec.imageRepository },
      files: [],
    });
  }
  return steps;
}
