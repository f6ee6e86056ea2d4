// extraArgs are passed verbatim to the components, so mistakes there only show up as a crashing
// static pod or kubelet. Catch the ones that are common or that fight with what kubeadm sets.
import { recordAt, type CheckContext } from "./raw-view";
import type { Findings } from "./problem";

const COMPONENTS = ["apiServer", "controllerManager", "scheduler", "kubelet"] as const;
type Component = (typeof COMPONENTS)[number];

const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Flags kubeadm (or this program) derives from other keys. Passing them as well either gets
 * overridden or silently disagrees with the key the rest of the cluster was built from.
 */
const MANAGED_FLAGS: Record<Component, Record<string, string>> = {
  apiServer: {
    "advertise-address": "kubeadm sets it on each control-plane node from that host's advertiseAddress",
    "service-cluster-ip-range": "kubeadm sets it from serviceSubnet; set serviceSubnet instead",
    "etcd-servers": "kubeadm runs etcd on the control-plane nodes and points the API server at it",
  },
  controllerManager: {
    "cluster-cidr": "kubeadm sets it from podSubnet; set podSubnet instead",
    "service-cluster-ip-range": "kubeadm sets it from serviceSubnet; set serviceSubnet instead",
    "allocate-node-cidrs": "kubeadm turns it on for podSubnet, and flannel needs the per-node ranges it allocates",
  },
  scheduler: {},
  kubelet: {
    // kubelet extraArgs apply to every node, so a per-node value here would be wrong on all but one.
    "node-ip": "kubelet extraArgs apply to every node; each node's IP comes from its advertiseAddress",
    "hostname-override": "kubelet extraArgs apply to every node; each node's name comes from its name key",
  },
};

/** Flags that old guides (the seed among them) set and that today's components refuse to start with. */
const REMOVED_FLAGS: Record<Component, Record<string, string>> = {
  apiServer: {},
  controllerManager: {
    "horizontal-pod-autoscaler-use-rest-clients":
      "was removed in Kubernetes 1.22 (deprecated since 1.12, kubernetes#90368): the autoscaler always reads the " +
      "metrics APIs now; delete it, and install metrics-server for CPU/memory metrics",
  },
  scheduler: {},
  kubelet: {
    "network-plugin":
      "was removed in Kubernetes 1.24 together with dockershim: the container runtime (containerd) loads the " +
      "CNI plugin now; delete it",
  },
};

/** Flags that are valid but that this program makes unnecessary. */
const REDUNDANT_FLAGS: Record<Component, Record<string, string>> = {
  apiServer: {},
  controllerManager: {},
  scheduler: {},
  kubelet: {
    "fail-swap-on":
      "is not needed: this program turns swap off on every node before the kubelet starts (the seed set it " +
      "because it left swap on); remove it",
  },
};

function checkComponent(ctx: CheckContext, findings: Findings, component: Component): void {
  const extraArgs = recordAt(recordAt(ctx.root, component), "extraArgs");
  if (!extraArgs) return;
  for (const flag of Object.keys(extraArgs)) {
    const path = [component, "extraArgs", flag];
    if (flag.startsWith("-")) {
      const bare = flag.replace(/^-+/, "");
      findings.error(path, `write '${bare}', not '${flag}': extraArgs keys are flag names without the dashes`);
      continue;
    }
    if (flag.includes("=")) {
      findings.error(path, `'${flag}' holds a value: write the flag name as the key and the value as its value`);
      continue;
    }
    if (!FLAG_NAME.test(flag)) {
      findings.error(
        path,
        `'${flag}' is not a flag name: use lowercase letters, digits and '-', e.g. node-monitor-grace-period`,
      );
      continue;
    }
    const managed = MANAGED_FLAGS[component][flag];
    if (managed) findings.error(path, `do not set '${flag}': ${managed}`);
    const removed = REMOVED_FLAGS[component][flag];
    if (removed) findings.error(path, `'${flag}' ${removed}`);
    const redundant = REDUNDANT_FLAGS[component][flag];
    if (redundant) findings.warn(path, `'${flag}' ${redundant}`);
  }
}

export function checkExtraArgs(ctx: CheckContext, findings: Findings): void {
  for (const component of COMPONENTS) checkComponent(ctx, findings, component);
}
