// Refresh of a worker.
//
// Gone (the resource leaves the state; the next `pulumi up` joins the worker again): kubelet.conf is missing
// (the worker was reset), its ca.crt is another cluster's CA, or the control plane has no Node for it (it was
// deleted with kubectl). An empty id is the engine's "does not exist any more".
// Changed: the labels this project manages and the kubelet's version are read back from the Node (a worker left at
// another version by an interrupted upgrade, or upgraded by hand, shows as a change the next `pulumi up` acts on).
// Unreachable worker or control plane: a warning, and the state stays as it was.
import { describeTarget } from "../../ssh";
import { inspectHost } from "../node/host-state";
import { notJoinedReason, refreshLabels } from "../node/joined-node";
import { goneOutcome, type ReadOutcome } from "../shared/kubeadm-resource";
import { StepReporter, unlessUnreachable, type SessionOpener } from "../shared/step-reporter";
import type { KubeadmJoinOutputs } from "./inputs";

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
  const unchanged = { id, props };
  const keptAsItWas = "Refresh keeps the worker's state as it was.";
  reporter.begin("refresh", describeTarget(props.connection));
  const gone = (reason: string) =>
    goneOutcome<KubeadmJoinOutputs>(name, `the worker is no longer part of the cluster (${reason})`, "joins it again");
  const state = await unlessUnreachable(reporter, keptAsItWas, () =>
    open(props.connection, (session) => inspectHost(session), { label: name, onOutput: reporter.onOutput }),
  );
  if (state === undefined) return unchanged;
  const notJoined = notJoinedReason(state, props.caCertHash, false);
  if (notJoined !== undefined) return gone(notJoined);
  const refreshed = await unlessUnreachable(reporter, keptAsItWas, () =>
    open(
      props.controlPlane.connection,
      (cp) =>
        refreshLabels(cp, id, props, gone, {
          absent: `the control plane has no Node ${name}`,
          noAnswer: `the control plane ${cp.target} did not answer for Node ${name}; its labels are not checked`,
        }),
      { label: props.controlPlane.name, onOutput: reporter.onOutput },
    ),
  );
  return refreshed ?? unchanged;
}
