// What the two join resources (worker-join/, control-plane-join/) judge alike about a node that joined: what a
// removal finds on it, whether a refresh still finds it joined, and its labels as the cluster has them.
import type { Connection } from "../../config/spec";
import type { RemoteSession } from "../../ssh";
import type { ReadOutcome } from "../shared/kubeadm-resource";
import { stripUndefined } from "../shared/plain-data";
import { unlessUnreachable, warn, type SessionOpener, type StepReporter } from "../shared/step-reporter";
import { hostCluster, inspectHost, type HostState } from "./host-state";
import { nodeStatus } from "./kubectl";
import { liveKubernetesVersion, liveLabels, readLiveNode } from "./live-cluster";
import type { ClusterSettings, NodeSettings } from "./settings";

/**
 * What a removal finds on the node: still joined, already reset (no kubelet.conf), set up for another cluster since
 * (its CA is not ours: it is not reset), or unreachable (a warning; `unreachable` says what follows).
 */
export async function removalCondition(
  connection: Connection,
  caCertHash: string,
  open: SessionOpener,
  reporter: StepReporter,
  unreachable: string,
): Promise<"joined" | "reset" | "foreign" | "unreachable"> {
  const state = await unlessUnreachable(reporter, unreachable, () =>
    open(connection, (session) => inspectHost(session), { label: reporter.node, onOutput: reporter.onOutput }),
  );
  if (state === undefined) return "unreachable";
  if (hostCluster(state, { caCertHash }) === "foreign") return "foreign";
  return state.kubeletConf ? "joined" : "reset";
}

/** Why a refresh no longer finds the node joined to this cluster, from what is on the node; undefined if it does. */
export function notJoinedReason(state: HostState, caCertHash: string, controlPlane: boolean): string | undefined {
  if (!state.kubeletConf) return "kubelet.conf is missing";
  if (controlPlane && !state.apiserverManifest) return "the kube-apiserver manifest is missing";
  if (hostCluster(state, { caCertHash }) !== "ours") return "its ca.crt is not this cluster's CA";
  return undefined;
}

/**
 * The refresh's look at the node's Node object, on a control-plane node (cp): gone when the cluster has none
 * (`absent` says so), its labels and its kubelet's version read back when it answers, the state kept as it is when it
 * does not.
 */
export async function refreshLabels<T extends { node: NodeSettings; cluster: ClusterSettings }>(
  cp: RemoteSession,
  id: string,
  props: T,
  gone: (reason: string) => ReadOutcome<T>,
  messages: { absent: string; noAnswer: string },
): Promise<ReadOutcome<T>> {
  const name = props.node.name;
  const status = await nodeStatus(cp, name);
  if (status.kind === "absent") return gone(messages.absent);
  const live = status.kind === "present" ? await readLiveNode(cp, name) : undefined;
  if (live === undefined) {
    warn(name, messages.noAnswer);
    return { id, props };
  }
  const refreshed = {
    ...props,
    node: { ...props.node, labels: liveLabels(props.node.labels, live.labels) },
    cluster: {
      ...props.cluster,
      kubernetesVersion: liveKubernetesVersion(name, props.cluster.kubernetesVersion, live),
    },
  };
  return { id, props: stripUndefined(refreshed) };
}
