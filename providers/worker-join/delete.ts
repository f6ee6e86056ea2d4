// Removing a worker: drain it and delete its Node on the control plane, then reset the host.
//
//   1. The worker is looked at first. Unreachable (gone) or already reset (no kubelet.conf): its pods are not
//      running anyway, so there is nothing to drain; a warning, and the Node object is still deleted. A
//      worker that now belongs to another cluster (its CA is not ours) is not reset.
//   2. On the control plane: drain (unless there is nothing to drain). A failed drain stops the delete with
//      an error naming the node and kubectl's message, and the node is uncordoned again so it keeps serving;
//      with drain.force set it is a warning and the removal goes on. Then `kubectl delete node`.
//      An unreachable control plane is a warning (the worker is still reset).
//   3. The worker is reset with the stored reset script.
import { describeTarget, SecretMasker, type RemoteSession } from "../../ssh";
import { removalCondition } from "../node/joined-node";
import type { KubeadmJoinOutputs } from "./inputs";
import { kubectl, nodeStatus } from "../node/kubectl";
import { drainNode } from "../node/drain";
import { resetNode } from "../node/reset";
import { connectionSecrets, StepReporter, unlessUnreachable, warn, type SessionOpener } from "../shared/step-reporter";

/** Drains and deletes the Node on the control plane. Throws when the drain fails and force is off. */
async function removeFromCluster(
  cp: RemoteSession,
  props: KubeadmJoinOutputs,
  drain: boolean,
  reporter: StepReporter,
  masker: SecretMasker,
): Promise<void> {
  const name = props.node.name;
  const status = await nodeStatus(cp, name);
  if (status.kind === "absent") {
    warn(name, `Node ${name} is not in the cluster (already deleted?): nothing to drain or delete`);
    return;
  }
  if (drain) {
    await drainNode(cp, name, props.cluster.drain, {
      on: props.controlPlane.name,
      reporter,
      masker,
      failed: `drain of node ${name} failed on the control plane ${cp.target}`,
      subject: "The worker",
    });
  }
  reporter.begin("delete node", `on ${props.controlPlane.name}`);
  await cp.run(kubectl(["delete", "node", name, "--ignore-not-found"]), { summary: `kubectl delete node ${name}` });
}

export function deleteWorkerJoin(props: KubeadmJoinOutputs, open: SessionOpener): Promise<void> {
  const reporter = new StepReporter(props.node.name);
  return reporter.run(() => deleteSteps(props, open, reporter));
}

async function deleteSteps(props: KubeadmJoinOutputs, open: SessionOpener, reporter: StepReporter): Promise<void> {
  const name = props.node.name;
  const masker = new SecretMasker([
    ...connectionSecrets(props.connection),
    ...connectionSecrets(props.controlPlane.connection),
  ]);
  // 1. The worker as it is now.
  reporter.begin("delete", `removing worker ${describeTarget(props.connection)} from the cluster`);
  const condition = await removalCondition(
    props.connection,
    props.caCertHash,
    open,
    reporter,
    "The worker is gone: it is not drained or reset (its Node object is still deleted).",
  );
  if (condition === "reset") {
    warn(name, "the worker has no kubelet.conf (already reset?): nothing to drain");
  } else if (condition === "foreign") {
    warn(name, "the worker now belongs to another cluster (its ca.crt is not this cluster's CA): it is not reset");
  }

  // 2. Drain and delete the Node on the control plane.
  reporter.begin("control plane", `connecting to ${props.controlPlane.name}`);
  await unlessUnreachable(
    reporter,
    `Node ${name} could not be drained or deleted; delete it later with kubectl delete node ${name}.`,
    () =>
      open(
        props.controlPlane.connection,
        (cp) => removeFromCluster(cp, props, condition === "joined", reporter, masker),
        {
          label: props.controlPlane.name,
          onOutput: reporter.onOutput,
        },
      ),
  );

  // 3. Reset the worker.
  if (condition === "joined" || condition === "reset") {
    await unlessUnreachable(reporter, "The worker could not be reset; reset it by hand if it comes back.", () =>
      open(
        props.connection,
        async (session) => {
          await resetNode(session, props.resetScript, reporter, "kubeadm reset -f and the CNI/iptables cleanup");
        },
        { label: name, onOutput: reporter.onOutput },
      ),
    );
  }
  reporter.done("delete finished");
}
