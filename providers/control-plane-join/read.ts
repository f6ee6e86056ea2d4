// Refresh of a joined control-plane node.
//
// Gone (the resource leaves the state; the next `pulumi up` joins the node again): kubelet.conf or the API
// server manifest is missing (the node was reset), its ca.crt is another cluster's CA, or the cluster has no
// Node for it. Changed: the labels this project manages and the kubelet's version, read back from the Node.
// Unreachable node, or no other control-plane node answering: a warning, and the state stays as it was.
import { describeTarget } from "../../ssh";
import { NoControlPlaneAnswers, onAnsweringControlPlane } from "../node/answering-control-plane";
import { inspectHost } from "../node/host-state";
import { notJoinedReason, refreshLabels } from "../node/joined-node";
import { goneOutcome, type ReadOutcome } from "../shared/kubeadm-resource";
import { StepReporter, unlessUnreachable, warn, type SessionOpener } from "../shared/step-reporter";
import type { KubeadmControlPlaneJoinOutputs } from "./inputs";

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
  const unchanged = { id, props };
  reporter.begin("refresh", describeTarget(props.connection));
  const gone = (reason: string) =>
    goneOutcome<KubeadmControlPlaneJoinOutputs>(
      name,
      `the control-plane node is no longer part of the cluster (${reason})`,
      "joins it again",
    );
  const state = await unlessUnreachable(reporter, "Refresh keeps the node's state as it was.", () =>
    open(props.connection, (session) => inspectHost(session), { label: name, onOutput: reporter.onOutput }),
  );
  if (state === undefined) return unchanged;
  const notJoined = notJoinedReason(state, props.caCertHash, true);
  if (notJoined !== undefined) return gone(notJoined);
  try {
    return await onAnsweringControlPlane(
      { node: name, candidates: props.controlPlanes, purpose: "refresh" },
      open,
      reporter,
      (cp) =>
        refreshLabels(cp, id, props, gone, {
          absent: `the cluster has no Node ${name}`,
          noAnswer: `${cp.target} did not answer for Node ${name}; its labels are not checked`,
        }),
    );
  } catch (error) {
    if (!(error instanceof NoControlPlaneAnswers)) throw error;
    warn(name, `${error.message}\nRefresh keeps the node's state as it was.`);
    return unchanged;
  }
}
