// Deleting a step runs the undo script stored with it (the one current when the step last ran).
import { flushLog } from "../shared/engine-log";
import { warning } from "../shared/progress";
import { isUnreachable } from "../shared/step-reporter";
import { whole, type RemoteStepOutputs } from "./inputs";
import { runStep } from "./run-step";

export async function deleteRemoteStep(olds: RemoteStepOutputs): Promise<void> {
  if (olds.undoScript === "") return;
  try {
    await runStep({ ...olds, files: [] }, whole(olds.prelude, olds.undoScript), "undoing", "undone");
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
