// Undoing steps on the host: their undo scripts, last step first, each with its step's environment. Delete undoes
// every step; an update undoes the steps the program no longer has.
import { withSession } from "../../ssh/session";
import { flushLog } from "../shared/engine-log";
import { announce, formatDuration, summary, progress, warning } from "../shared/progress";
import { isUnreachable } from "../shared/step-reporter";
import { environmentPrefix } from "../../ssh/scripts";
import type { PreparedHostInputs, PreparedStep } from "./inputs";

export async function undoSteps(host: PreparedHostInputs, steps: PreparedStep[]): Promise<void> {
  const undone = [...steps].reverse().filter((step) => step.undoScript !== "");
  if (undone.length === 0) return;
  try {
    await withSession(
      host.connection,
      async (session) => {
        for (const step of undone) {
          const started = Date.now();
          announce(host.node, step.step, "undoing");
          const environment = environmentPrefix({ ...step.environment, PULUMI_KUBEADM_STEP: step.step });
          await session.run(`env ${environment} sh -s`, {
            stdin: `${host.prelude}\n${step.undoScript}`,
            summary: `${step.step} (undo)`,
          });
          summary(host.node, step.step, `undone in ${formatDuration(Date.now() - started)}`);
        }
      },
      { label: host.node, onOutput: progress(host.node, "undo") },
    );
  } catch (error) {
    // A host that is gone has nothing left to undo; blocking the destroy of the whole stack on it helps nobody
    // (pulumi-command#104: the command provider's own delete cannot do this). Any other failure is real.
    if (!isUnreachable(error)) throw error;
    warning(host.node, `host preparation: host unreachable, nothing undone: ${error.message}`);
  } finally {
    await flushLog();
  }
}
