// Refresh of a worker.
//
// Gone (the resource leaves the state; the next `pulumi up` joins the worker again): kubelet.conf is missing
// (the worker was reset), its ca.crt is another cluster's CA, or the control plane has no Node for it (it was
// deleted with kubectl). An empty id is the engine's "does not exist any more".
// Changed: the labels this project manages are read back from the Node.
// Unreachable worker or control plane: a warning, and the state stays as it was.
import { describeTarget } from "../../ssh";
import { hashOfPem, inspectHost } from "../node/host-state";
import type { KubeadmJoinOutputs } from "./inputs";
import type { ReadOutcome } from "../master-node/read";
import { nodeStatus } from "../node/kubectl";
import { liveLabels, readLiveNode } from "../node/live-cluster";
import { stripUndefined } from "../shared/plain-data";
import { isUnreachable, StepReporter, warn, type SessionOpener } from "../shared/step-reporter";

export function readWorkerJoin(
  id: string,
  props: KubeadmJoinOutputs,
  open: SessionOpener,
): Promise<ReadOutcome<KubeadmJoinOutputs>> {
  const reporter = new StepReporter(props.node.name);
  return reporter.run(() => readSteps(id, props, open, reporter));
}

async function readSteps(
  id: string,
  props: KubeadmJoinOutputs,
  open: SessionOpener,
  reporter: StepReporter,
): Promise<ReadOutcome<KubeadmJoinOutputs>> {
  const name = props.node.name;
  const sessionOptions = { label: name, onOutput: reporter.onOutput };
  reporter.begin("refresh", describeTarget(props.connection));
  const gone = (reason: string): ReadOutcome<KubeadmJoinOutputs> => {
    warn(
      name,
      `the worker is no longer part of the cluster (${reason}): refresh removes it from the stack and the next ` +
        "`pulumi up` joins it again",
    );
    return { id: "" };
  };
  try {
    const state = await open(props.connection, (session) => inspectHost(session), sessionOptions);
    if (!state.kubeletConf) return gone("kubelet.conf is missing");
    if (hashOfPem(state.caCertPem) !== props.caCertHash) return gone("its ca.crt is not this cluster's CA");
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    reporter.failed();
    warn(name, `${error.message}. Refresh keeps the worker's state as it was.`);
    return { id, props };
  }
  try {
    return await open(
      props.controlPlane.connection,
      async (cp) => {
        const status = await nodeStatus(cp, name);
        if (status.kind === "absent") return gone(`the control plane has no Node ${name}`);
        const live = status.kind === "present" ? await readLiveNode(cp, name) : undefined;
        if (live === undefined) {
          warn(name, `the control plane ${cp.target} did not answer for Node ${name}; its labels are not checked`);
          return { id, props };
        }
        const refreshed = { ...props, node: { ...props.node, labels: liveLabels(props.node.labels, live.labels) } };
        return { id, props: stripUndefined(refreshed) };
      },
      { label: props.controlPlane.name, onOutput: reporter.onOutput },
    );
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    reporter.failed();
    warn(name, `${error.message}. Refresh keeps the worker's state as it was.`);
    return { id, props };
  }
}
