// Deleting a step runs the undo script stored with it (the one current when the step last ran), unless a
// command:remote:Command has run the step since: HostPrep's steps moved to the command provider, and a stack created
// before holds RemoteStep resources, which the first `up` after the move deletes once the Commands ran the steps
// again (components/host-prep/index.ts). Undoing then would take from the host what the Commands just made; the
// Commands mark the steps they ran (lib.sh, finish_step), and this leaves those alone.
import { flushLog } from "../shared/engine-log";
import { warning } from "../shared/progress";
import { isUnreachable } from "../shared/step-reporter";
import { whole, type RemoteStepOutputs } from "./inputs";
import { runStep } from "./run-step";

/** Shell text that ends the undo before it starts when a Command ran the step (its mark in the state directory). */
export const MOVED_STEP_GUARD =
  'if [ -e "/var/lib/pulumi-kubeadm/commands/$PULUMI_KUBEADM_STEP" ]; then ' +
  'echo "run by command:remote:Command since; its delete undoes it"; exit 0; fi';

export async function deleteRemoteStep(olds: RemoteStepOutputs): Promise<void> {
  if (olds.undoScript === "") return;
  try {
    const undo = `${MOVED_STEP_GUARD}\n${whole(olds.prelude, olds.undoScript)}`;
    await runStep({ ...olds, files: [] }, undo, "undoing", "undone");
  } catch (error) {
    // A host that is gone has nothing left to undo; blocking the destroy of the whole stack on it helps
    // nobody (pulumi-command#104). Any other failure is real and stops the destroy.
    if (isUnreachable(error)) {
      warning(olds.node, `${olds.step}: host unreachable, nothing undone: ${error.message}`);
      await flushLog();
      return;
    }
    throw error;
  }
}
