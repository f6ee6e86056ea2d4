// What must hold before an in-place upgrade (issue 18) touches a host, read from the cluster rather than from the
// stack's state: the state says what the last successful `pulumi up` did, the cluster says what an interrupted
// one left behind. Every problem is reported at once, each naming the node and the way out, so one look at the
// cluster is enough to fix all of them. The rules are kubeadm's upgrade guide and Kubernetes' version-skew policy:
// https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/ and
// https://kubernetes.io/releases/version-skew-policy/.
import type { KubernetesVersion } from "../../config/version";
import { compareVersions, formatVersion, parseReleaseVersion, upgradePath } from "../../kubeadm/upgrade-path";
import type { RemoteSession } from "../../ssh";
import type { StepReporter } from "../shared/step-reporter";
import { CONTROL_PLANE_ROLE_LABEL } from "./etcd-quorum";
import { kubectl, retrying } from "./kubectl";

/** The static Pods whose image tag is the Kubernetes release (etcd's is etcd's own version). */
export const VERSIONED_STATIC_PODS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;

export interface StaticPodObservation {
  /** The Pod's `component` label: kube-apiserver, kube-controller-manager, kube-scheduler, etcd. */
  component: string;
  /** The image the kubelet was told to run (from the manifest kubeadm wrote). */
  image: string;
  /** The image's tag ("v1.35.4"), or "" when it has none. */
  tag: string;
}

export interface NodeObservation {
  name: string;
  controlPlane: boolean;
  /** Its Ready condition is True; a missing condition counts as not ready. */
  ready: boolean;
  /** status.nodeInfo.kubeletVersion ("v1.35.4"), or "" when the Node does not report one. */
  kubeletVersion: string;
  unschedulable: boolean;
  /** The control-plane static Pods the API server shows on this node (their mirror Pods). */
  staticPods: StaticPodObservation[];
}

export interface ClusterObservation {
  /** serverVersion.gitVersion of `kubectl version`, or "" when it printed none. */
  apiServerVersion: string;
  nodes: NodeObservation[];
}

interface NodeListJson {
  items?: {
    metadata?: { name?: string; labels?: Record<string, string> };
    spec?: { unschedulable?: boolean };
    status?: { conditions?: { type?: string; status?: string }[]; nodeInfo?: { kubeletVersion?: string } };
  }[];
}

interface PodListJson {
  items?: {
    metadata?: { name?: string; labels?: Record<string, string> };
    spec?: { nodeName?: string; containers?: { name?: string; image?: string }[] };
  }[];
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${what} printed no JSON (${(error as Error).message}): ${text.trim().slice(0, 200)}`, {
      cause: error,
    });
  }
}

/** "registry.k8s.io/kube-apiserver:v1.35.4@sha256:…" → "v1.35.4"; a registry's port is not a tag. */
export function imageTag(image: string): string {
  const name = image.split("@")[0];
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/") ? name.slice(colon + 1) : "";
}

/**
 * Reads the three outputs of observeCluster: `kubectl get nodes -o json`, `kubectl -n kube-system get pods -l
 * tier=control-plane -o json` and `kubectl version -o json`. Fields an older or trimmed object lacks read as
 * unknown (not ready, no version) rather than failing: the rules then name what is missing.
 */
export function parseClusterObservation(nodesJson: string, podsJson: string, versionJson: string): ClusterObservation {
  const nodeList = parseJson<NodeListJson>(nodesJson, "kubectl get nodes -o json");
  const podList = parseJson<PodListJson>(podsJson, "kubectl -n kube-system get pods -l tier=control-plane -o json");
  const version = parseJson<{ serverVersion?: { gitVersion?: string } }>(versionJson, "kubectl version -o json");

  const podsByNode = new Map<string, StaticPodObservation[]>();
  for (const pod of podList.items ?? []) {
    const component = pod.metadata?.labels?.component;
    if (component === undefined) continue;
    // A mirror Pod is named <component>-<node>; nodeName is there too, but only once the API server bound it.
    const podName = pod.metadata?.name ?? "";
    const node =
      pod.spec?.nodeName ?? (podName.startsWith(`${component}-`) ? podName.slice(component.length + 1) : undefined);
    if (node === undefined || node === "") continue;
    const containers = pod.spec?.containers ?? [];
    const image = (containers.find((c) => c.name === component) ?? containers[0])?.image ?? "";
    const list = podsByNode.get(node) ?? [];
    list.push({ component, image, tag: imageTag(image) });
    podsByNode.set(node, list);
  }

  const nodes = (nodeList.items ?? []).flatMap((item): NodeObservation[] => {
    const name = item.metadata?.name;
    if (name === undefined) return [];
    const staticPods = podsByNode.get(name) ?? [];
    const labels = item.metadata?.labels ?? {};
    return [
      {
        name,
        // The role label is kubeadm's, and an admin can remove it; an API server Pod on the node says the same.
        controlPlane: CONTROL_PLANE_ROLE_LABEL in labels || staticPods.some((p) => p.component === "kube-apiserver"),
        ready: (item.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
        kubeletVersion: item.status?.nodeInfo?.kubeletVersion ?? "",
        unschedulable: item.spec?.unschedulable === true,
        staticPods,
      },
    ];
  });
  return { apiServerVersion: version.serverVersion?.gitVersion ?? "", nodes };
}

/** The Kubernetes releases a control-plane node's API server, controller manager and scheduler run. */
function controlPlaneVersions(node: NodeObservation): KubernetesVersion[] {
  const versions: KubernetesVersion[] = [];
  for (const pod of node.staticPods) {
    if (!(VERSIONED_STATIC_PODS as readonly string[]).includes(pod.component)) continue;
    // A tag that is no release (a digest-only image, a custom build) tells nothing about the version: left out
    // rather than refused, since the kubeadm that wrote the manifest would not have written it.
    const version = parseReleaseVersion(pod.tag);
    if (version !== undefined && !versions.some((v) => compareVersions(v, version) === 0)) versions.push(version);
  }
  return versions;
}

const same = (a: KubernetesVersion, b: KubernetesVersion) => compareVersions(a, b) === 0;

export type UpgradePart = "control-plane" | "kubelet";

export interface UpgradeStage {
  /** The parts already at the target, in the order kubeadm's sequence upgrades them. */
  done: UpgradePart[];
  /** What is left on the node, in that order. */
  remaining: UpgradePart[];
  /** Cordoned: an upgrade that drained it may have stopped before letting it back (or an admin cordoned it). */
  unschedulable: boolean;
}

/**
 * What of the upgrade to `to` the cluster shows done on one node, so an interrupted upgrade resumes from what
 * is there and not from what the state remembers: "control-plane" when its API server, controller manager and
 * scheduler all run `to` (workers have no such part), "kubelet" when its kubelet reports `to`. Undefined when the
 * cluster has no such Node.
 */
export function upgradeStage(obs: ClusterObservation, nodeName: string, to: string): UpgradeStage | undefined {
  const node = obs.nodes.find((n) => n.name === nodeName);
  if (node === undefined) return undefined;
  const target = parseReleaseVersion(to);
  const atTarget = (text: string) => {
    const version = parseReleaseVersion(text);
    return target !== undefined && version !== undefined && same(version, target);
  };
  const parts: [UpgradePart, boolean][] = [];
  if (node.controlPlane) {
    const complete = VERSIONED_STATIC_PODS.every((component) =>
      node.staticPods.some((pod) => pod.component === component && atTarget(pod.tag)),
    );
    parts.push(["control-plane", complete]);
  }
  parts.push(["kubelet", atTarget(node.kubeletVersion)]);
  return {
    done: parts.filter(([, done]) => done).map(([part]) => part),
    remaining: parts.filter(([, done]) => !done).map(([part]) => part),
    unschedulable: node.unschedulable,
  };
}

/** Since Kubernetes 1.28 a kubelet may be up to three minors older than kube-apiserver (version-skew policy). */
export const KUBELET_MAX_MINORS_BEHIND = 3;

const AGAIN = "then run `pulumi up` again";

function pathProblem(obs: ClusterObservation, from: string, to: string): string[] {
  const actual = parseReleaseVersion(obs.apiServerVersion);
  if (actual === undefined) {
    return [
      `the API server reports no release version ('${obs.apiServerVersion}' from kubectl version -o json): the ` +
        "upgrade starts from the version the cluster runs and cannot tell it; check that the API server answers " +
        `(kubectl get --raw=/readyz on a control-plane node), ${AGAIN}`,
    ];
  }
  // An API server already at the target ("none") means `kubeadm upgrade apply` got that far: no problem, what is
  // left is the other nodes.
  const path = upgradePath(formatVersion(actual), to);
  if (path.kind !== "refused") return [];
  const stored = parseReleaseVersion(from);
  const note =
    stored !== undefined && !same(stored, actual)
      ? ` (the stack's state says ${formatVersion(stored)}; the API server's own version is what kubeadm upgrades from)`
      : "";
  return [`${path.problem}${note}`];
}

function mixedControlPlanes(
  obs: ClusterObservation,
  from: KubernetesVersion | undefined,
  target: KubernetesVersion,
): string[] {
  const controlPlanes = obs.nodes.filter((n) => n.controlPlane);
  const all = controlPlanes.flatMap(controlPlaneVersions);
  if (all.every((v) => same(v, all[0]))) return [];
  // An upgrade cut off part way leaves some control planes (or components) on `from` and some on the target;
  // resuming it is what `pulumi up` is for. Any other version is not one kubeadm's sequence leads to.
  const expected = (v: KubernetesVersion) => same(v, target) || (from !== undefined && same(v, from));
  const landscape = controlPlanes
    .map((n) => `${n.name} ${controlPlaneVersions(n).map(formatVersion).join("/") || "unknown"}`)
    .join(", ");
  const fromText = from !== undefined ? formatVersion(from) : "the cluster's version";
  return controlPlanes.flatMap((node) => {
    const odd = controlPlaneVersions(node).filter((v) => !expected(v));
    if (odd.length === 0) return [];
    const pods = node.staticPods
      .filter((pod) => {
        const version = parseReleaseVersion(pod.tag);
        return version !== undefined && odd.some((v) => same(v, version));
      })
      .map((pod) => `${pod.component} ${pod.tag}`)
      .join(", ");
    return [
      `control-plane node ${node.name} runs ${pods}, neither the cluster's ${fromText} nor the target ` +
        `${formatVersion(target)} (control planes: ${landscape}): kubeadm upgrades control planes that run one ` +
        `version, or that one and the target after an interrupted upgrade; bring ${node.name} to ${fromText} by ` +
        `hand (kubeadm upgrade node with that kubeadm on it) or remove it from the stack, ${AGAIN}`,
    ];
  });
}

function nodeProblems(node: NodeObservation, target: KubernetesVersion): string[] {
  const problems: string[] = [];
  const shownTarget = formatVersion(target);
  if (!node.ready) {
    problems.push(
      `node ${node.name} is NotReady: the upgrade drains and restarts nodes one by one and would leave the cluster ` +
        `short; fix the node (kubectl describe node ${node.name}) or remove it from the stack, ${AGAIN}`,
    );
  }
  const kubelet = parseReleaseVersion(node.kubeletVersion);
  if (kubelet === undefined) {
    problems.push(
      `node ${node.name} reports no kubelet release ('${node.kubeletVersion}' in status.nodeInfo.kubeletVersion): ` +
        `whether its kubelet may run against an API server at ${shownTarget} cannot be told; check the node ` +
        `(kubectl describe node ${node.name}), ${AGAIN}`,
    );
  } else if (compareVersions(kubelet, target) > 0) {
    problems.push(
      `node ${node.name} runs kubelet ${formatVersion(kubelet)}, newer than kubernetesVersion ${shownTarget}: a ` +
        "kubelet must not be newer than the API server (Kubernetes version-skew policy) and kubeadm does not " +
        `downgrade one; set kubernetesVersion to ${formatVersion(kubelet)} or later (one minor at a time), or ` +
        `install kubelet ${shownTarget} on ${node.name} by hand, ${AGAIN}`,
    );
  } else if (kubelet.major !== target.major || target.minor - kubelet.minor > KUBELET_MAX_MINORS_BEHIND) {
    problems.push(
      `node ${node.name} runs kubelet ${formatVersion(kubelet)}, more than ${KUBELET_MAX_MINORS_BEHIND} minors ` +
        `older than kubernetesVersion ${shownTarget}: a kubelet may be at most ${KUBELET_MAX_MINORS_BEHIND} minors ` +
        "older than the API server (Kubernetes version-skew policy since 1.28), and the upgrade reaches the " +
        `kubelets only after the control plane; upgrade ${node.name}'s kubelet to ` +
        `${target.major}.${target.minor - KUBELET_MAX_MINORS_BEHIND} or later first, or remove the node from the ` +
        `stack, ${AGAIN}`,
    );
  }
  return problems;
}

/**
 * Every reason the upgrade from `from` (the stack's stored version) to `to` must not start on this cluster,
 * empty when it may. The version path is checked against the API server's own version: after an interrupted
 * upgrade, or one done by hand, it is what kubeadm upgrades from.
 */
export function upgradeProblems(obs: ClusterObservation, from: string, to: string): string[] {
  const target = parseReleaseVersion(to);
  if (target === undefined) return [upgradePath(from, to)].flatMap((p) => (p.kind === "refused" ? [p.problem] : []));
  return [
    ...pathProblem(obs, from, to),
    ...mixedControlPlanes(obs, parseReleaseVersion(from), target),
    ...obs.nodes.flatMap((node) => nodeProblems(node, target)),
  ];
}

const OBSERVE_ATTEMPTS = 15;
const OBSERVE_DELAY_SECONDS = 2;

const OBSERVE_REQUEST_SECONDS = 10;

const OBSERVE_COMMANDS = [
  ["get", "nodes", "-o", "json"],
  ["-n", "kube-system", "get", "pods", "-l", "tier=control-plane", "-o", "json"],
  ["version", "-o", "json"],
] as const;

/**
 * One attempt's output, printed only when it succeeded: `kubectl version` prints the client's half before it
 * fails to reach the server, and a retry loop would otherwise hand the parser two documents.
 */
export function observeCommand(args: readonly string[]): string {
  const command = kubectl([...args, `--request-timeout=${OBSERVE_REQUEST_SECONDS}s`]);
  return retrying(`out=$(${command}) && printf '%s\\n' "$out"`, OBSERVE_ATTEMPTS, OBSERVE_DELAY_SECONDS);
}

/**
 * Reads the cluster from a control-plane node with its admin kubeconfig: the Nodes, the control-plane static
 * Pods and the API server's version. Each is retried for about 30 s, as the API server may just be restarting
 * (the previous step of an upgrade restarts it).
 */
export async function observeCluster(session: RemoteSession, reporter?: StepReporter): Promise<ClusterObservation> {
  reporter?.begin("upgrade preflight", "reading the nodes, control-plane Pods and API server version");
  const outputs: string[] = [];
  for (const args of OBSERVE_COMMANDS) {
    const summary = `kubectl ${args.join(" ")}`;
    const result = await session.run(observeCommand(args), {
      allowFailure: true,
      streamOutput: false,
      timeoutSeconds: OBSERVE_ATTEMPTS * (OBSERVE_DELAY_SECONDS + OBSERVE_REQUEST_SECONDS) + 60,
      summary,
    });
    if (result.code !== 0) {
      const reason = (result.stderr.trim() || `exit status ${result.code}`).split("\n")[0];
      throw new Error(
        `cannot read the cluster before the upgrade: ${summary} on ${session.target} failed (${reason}); the ` +
          "preflight needs an answering API server: check it (kubectl get --raw=/readyz on that node), then run " +
          "`pulumi up` again. Nothing was changed.",
      );
    }
    outputs.push(result.stdout);
  }
  const [nodes, pods, version] = outputs;
  return parseClusterObservation(nodes, pods, version);
}
