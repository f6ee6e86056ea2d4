// The settings a stack needs to run on the lab, in one place for the demo's stack file (`lab stack-file`) and the
// tests' stacks: the lab blocks the upstream registries and repositories, like the seed's network, so the
// product's mirror settings are what make it work; and its hosts are nested ones (cgroup v1, no CAP_SYS_RESOURCE).
import * as fs from "fs";
import { stringify } from "yaml";
import { hostsFilePath } from "./hosts-file";
import type { Inventory } from "./inventory";
import { REGISTRY_PORT } from "./names";

export const LAB_MIRRORS = {
  kubelet: { allowCgroupV1: true },
  containerd: { restrictOomScoreAdj: true },
  imageRepository: "registry.aliyuncs.com/google_containers",
  packages: {
    apt: { kubernetesRepository: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/" },
    yum: {
      kubernetesRepository: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/",
      containerdRepository: "https://mirrors.aliyun.com/docker-ce/linux/centos/",
    },
  },
  addons: { flannel: { enabled: false } },
};

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

/** The demo stack's config for a running lab of real nodes, keys with the project's prefix. */
export function demoStackConfig(inventory: Inventory, project: string): Record<string, unknown> {
  const config = mergeConfig(
    { hostsFile: hostsFilePath(inventory.name) },
    LAB_MIRRORS,
    realNodeMirrors(inventory.registry.address),
    SEED_SETTINGS,
  );
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [`${project}:${key}`, value]));
}

/** Writes the stack file unless it exists (a user's changes and the stack's encryption salt stay); true if written. */
export function writeDemoStackFile(file: string, inventory: Inventory, project: string): boolean {
  if (fs.existsSync(file)) return false;
  fs.writeFileSync(file, HEADER + stringify({ config: demoStackConfig(inventory, project) }));
  return true;
}
