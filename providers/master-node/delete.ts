// Deleting the first control-plane node: the host is reset (kubeadm reset -f plus the cleanup it leaves out).
// A host that is gone, or already reset, must not block `pulumi destroy`: it gets a warning and the resource
// leaves the stack. A host that has meanwhile been set up for another cluster (its CA is not this cluster's)
// is left alone: resetting it would destroy something this stack does not own.
import { describeTarget } from "../../ssh";
import { hostCluster, inspectHost } from "../node/host-state";
import type { KubeadmInitOutputs } from "./inputs";
import { resetNode } from "../node/reset";
import { StepReporter, unlessUnreachable, warn, type SessionOpener } from "../shared/step-reporter";

export function deleteMasterNode(props: KubeadmInitOutputs, open: SessionOpener): Promise<void> {
  const reporter = new StepReporter(props.node.name);
  return reporter.run(() => deleteSteps(props, open, reporter));
}

async function deleteSteps(props: KubeadmInitOutputs, open: SessionOpener, reporter: StepReporter): Promise<void> {
  const name = props.node.name;
  reporter.begin("delete", `resetting the control plane on ${describeTarget(props.connection)}`);
  await unlessUnreachable(
    reporter,
    "The control plane is removed from the stack without resetting the host; " +
      "if it comes back, reset it by hand (kubeadm reset -f) before reusing it.",
    () =>
      open(
        props.connection,
        async (session) => {
          reporter.begin("inspect");
          const state = await inspectHost(session);
          if (hostCluster(state, { caCertPem: props.caCertPem }) === "foreign") {
            warn(
              name,
              `${session.target} now holds kubeadm state of another cluster (its ca.crt is not this cluster's CA): ` +
                "left as it is",
            );
            return;
          }
          if (!state.footprint) {
            warn(name, `${session.target} has no control plane any more (already reset?); running the cleanup anyway`);
          }
          await resetNode(session, props.resetScript, reporter, "kubeadm reset -f and the CNI/iptables cleanup");
          reporter.done("the host is reset");
        },
        { label: name, onOutput: reporter.onOutput },
      ),
  );
}
