// Refresh of a joined control-plane node.
//
// Gone (the resource leaves the state; the next `pulumi up` joins the node again): kubelet.conf or the API
// server manifest is missing (the node was reset), its ca.crt is another cluster's CA, or the cluster has no
// Node for it. Changed: the labels this project manages, read back from the Node.
// Unreachable node, or no other control-plane node answering: a warning, and the state stays as it was.
import { describeTarget } from "../../ssh";
import { NoControlPlaneAnswers, onAnsweringControlPlane } from "../node/answering-control-plane";
import type { KubeadmControlPlaneJoinOutputs } from "./inputs";
import { hashOfPem, inspectHost } from "../node/host-state";
import type { ReadOutcome } from "../master-node/read";
import { nodeStatus } from "../node/kubectl";
import { liveLabels, readLiveNode } from "../node/live-cluster";
import { stripUndefined } from "../shared/plain-data";
import { isUnreachable, StepReporter, warn, type SessionOpener } from "../shared/step-reporter";

export function readControlPlaneJoin(
  id: string,
  props: KubeadmControlPlaneJoinOutputs,
  open: SessionOpener,
): Promise<ReadOutcome<KubeadmControlPlaneJoinOutputs>> {
  const reporter = new StepReporter(props.node.name);
  return reporter.run(() => readSteps(id, props, open, reporter));
}

async function readSteps(
  id: string,
  props: KubeadmControlPlaneJoinOutputs,
  open: SessionOpener,
  reporter: StepReporter,
): Promise<ReadOutcome<KubeadmControlPlaneJoinOutputs>> {
  const name = props.node.name;
  reporter.begin("refresh", describeTarget(props.connection));
  const gone = (reason: string): ReadOutcome<KubeadmControlPlaneJoinOutputs> => {
    warn(
      name,
      `the control-plane node is no longer part of the cluster (${reason}): refresh removes it from the stack ` +
        "and the next `pulumi up` joins it again",
    );
    return { id: "" };
  };
  try {
    const state = await open(props.connection, (session) => inspectHost(session), {
      label: name,
      onOutput: reporter.onOutput,
    });
    if (!state.kubeletConf) return gone("kubelet.conf is missing");
    if (!state.apiserverManifest) return gone("the kube-apiserver manifest is missing");
    if (hashOfPem(state.caCertPem) !== props.caCertHash) return gone("its ca.crt is not this cluster's CA");
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    reporter.failed();
    warn(name, `${error.message}. Refresh keeps the node's state as it was.`);
    return { id, props };
  }
  try {
    return await onAnsweringControlPlane(
      { node: name, candidates: props.controlPlanes, purpose: "refresh" },
      open,
      reporter,
      async (cp) => {
        const status = await nodeStatus(cp, name);
        if (status.kind === "absent") return gone(`the cluster has no Node ${name}`);
        const live = status.kind === "present" ? await readLiveNode(cp, name) : undefined;
        if (live === undefined) {
          warn(name, `${cp.target} did not answer for Node ${name}; its labels are not checked`);
          return { id, props };
        }
        const refreshed = { ...props, node: { ...props.node, labels: liveLabels(props.node.labels, live.labels) } };
        return { id, props: stripUndefined(refreshed) };
      },
    );
  } catch (error) {
    if (!(error instanceof NoControlPlaneAnswers)) throw error;
    warn(name, `${error.message}\nRefresh keeps the node's state as it was.`);
    return { id, props };
  }
}
