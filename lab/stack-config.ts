// The settings a stack needs to run on the lab, in one place for the demo's stack file (`lab stack-file`) and the
// tests' stacks: the lab blocks the upstream registries and repositories, like the seed's network, so the
// product's mirror settings are what make it work; and its hosts are nested ones (cgroup v1, no CAP_SYS_RESOURCE).
import * as fs from "fs";
import { stringify } from "yaml";
import { hostsFilePath } from "./hosts-file";
import { pinnedVersions } from "../tools/paths";
import type { Inventory } from "./inventory";
import { REGISTRY_PORT } from "./names";

/**
 * The Kubernetes versions the lab runs for real (tools/versions.env): its binaries, packages and images are built
 * for these two only. "v1.35.4", as a stack's kubernetesVersion is written.
 */
export function labKubernetesVersions(): { pinned: string; previous: string } {
  const versions = pinnedVersions();
  return { pinned: `v${versions.KUBERNETES_VERSION}`, previous: `v${versions.KUBERNETES_PREVIOUS_VERSION}` };
}

/** "v1.34.4" or "1.34.4" → "1.34"; refuses a version the lab has no binaries and images for. */
function labMinor(kubernetesVersion: string): string {
  const version = kubernetesVersion.startsWith("v") ? kubernetesVersion : `v${kubernetesVersion}`;
  const known = Object.values(labKubernetesVersions());
  if (!known.includes(version))
    throw new Error(`the lab runs Kubernetes ${known.join(" and ")} (tools/versions.env), not ${kubernetesVersion}`);
  return version.replace(/^v(\d+\.\d+)\..*$/, "$1");
}

/**
 * The package repositories for a Kubernetes version: pkgs.k8s.io and its mirrors keep one repository per minor, so
 * a stack at another version names other repositories (the product warns when they disagree).
 */
export function labPackageRepositories(kubernetesVersion = labKubernetesVersions().pinned) {
  const minor = labMinor(kubernetesVersion);
  return {
    apt: { kubernetesRepository: `https://mirrors.aliyun.com/kubernetes-new/core/stable/v${minor}/deb/` },
    yum: {
      kubernetesRepository: `https://mirrors.aliyun.com/kubernetes-new/core/stable/v${minor}/rpm/`,
      containerdRepository: "https://mirrors.aliyun.com/docker-ce/linux/centos/",
    },
  };
}

/** A stack's settings on the lab for a Kubernetes version (the pinned one by default, which a stack need not name). */
export function labMirrors(kubernetesVersion = labKubernetesVersions().pinned) {
  return {
    kubelet: { allowCgroupV1: true },
    containerd: { restrictOomScoreAdj: true },
    imageRepository: "registry.aliyuncs.com/google_containers",
    packages: labPackageRepositories(kubernetesVersion),
    addons: { flannel: { enabled: false } },
  };
}

export const LAB_MIRRORS = labMirrors();

/**
 * The keys that move a lab stack to another Kubernetes version, as `pulumi config set --path` names them (without the
 * project prefix): kubernetesVersion and the repositories of its minor.
 */
export function kubernetesVersionConfig(kubernetesVersion: string): Record<string, string> {
  const repositories = labPackageRepositories(kubernetesVersion);
  return {
    kubernetesVersion: kubernetesVersion.startsWith("v") ? kubernetesVersion : `v${kubernetesVersion}`,
    "packages.apt.kubernetesRepository": repositories.apt.kubernetesRepository,
    "packages.yum.kubernetesRepository": repositories.yum.kubernetesRepository,
  };
}

/**
 * On real nodes every image comes from the lab's registry, and only through the product's mirror settings, as
 * behind the seed's firewall: kubeadm's images from imageRepository, the add-ons' through addons.imageMirror, and
 * containerd sends every pull for those registries (and Docker Hub's, for workloads) to the mirror.
 */
export function realNodeMirrors(registryAddress: string) {
  const mirror = `http://${registryAddress}:${REGISTRY_PORT}`;
  return {
    // nf_conntrack_max is the machine's, read-only in a host's network namespace.
    kubeProxy: { conntrackMaxPerCore: 0 },
    addons: { imageMirror: "registry.aliyuncs.com/google_containers", flannel: { enabled: false } },
    containerd: {
      restrictOomScoreAdj: true,
      registryMirrors: { "registry.aliyuncs.com": [mirror], "docker.io": [mirror] },
    },
  };
}

/** Later settings win, key by key inside objects (a test's `addons.flannel` keeps the lab's `addons.imageMirror`). */
export function mergeConfig(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      out[key] = isObject(value) && isObject(out[key]) ? mergeConfig(out[key], value) : value;
    }
  }
  return out;
}

/** What the seed's cluster had on top of a plain kubeadm cluster: its extra arguments, a schedulable master, flannel. */
const SEED_SETTINGS = {
  controllerManager: {
    extraArgs: { "horizontal-pod-autoscaler-sync-period": "10s", "node-monitor-grace-period": "10s" },
  },
  apiServer: { extraArgs: { "runtime-config": "api/all=true" } },
  schedulableControlPlane: "true",
  addons: { flannel: { enabled: true } },
};

const HEADER = `# The demo's stack on the lab, written by 'lab/lab stack-file' (tools/demo) when it is missing, and not tracked:
# 'pulumi stack rm' may delete it, the next tools/demo writes it again. Your changes stay until then.
# The hosts, their pinned host keys and the key file come from the lab's inventory (hostsFile). Like the seed's
# network, the lab reaches neither registry.k8s.io nor pkgs.k8s.io: the package mirrors and the registry mirror (the
# lab's own registry, on its lab address) are what make it work. Flannel runs for real; the Dashboard and Rook-Ceph
# are off: their images cannot be built on this machine (README, "The lab").
`;

/**
 * The demo stack's config for a running lab of real nodes, keys with the project's prefix; at the pinned Kubernetes
 * version unless another one the lab runs is asked for (the stack then names it).
 */
export function demoStackConfig(
  inventory: Inventory,
  project: string,
  kubernetesVersion?: string,
): Record<string, unknown> {
  const config = mergeConfig(
    { hostsFile: hostsFilePath(inventory.name) },
    kubernetesVersion ? { kubernetesVersion: kubernetesVersionConfig(kubernetesVersion).kubernetesVersion } : {},
    labMirrors(kubernetesVersion),
    realNodeMirrors(inventory.registry.address),
    SEED_SETTINGS,
  );
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [`${project}:${key}`, value]));
}

/** Writes the stack file unless it exists (a user's changes and the stack's encryption salt stay); true if written. */
export function writeDemoStackFile(
  file: string,
  inventory: Inventory,
  project: string,
  kubernetesVersion?: string,
): boolean {
  if (fs.existsSync(file)) return false;
  fs.writeFileSync(file, HEADER + stringify({ config: demoStackConfig(inventory, project, kubernetesVersion) }));
  return true;
}
