// Undoing steps on the host: their undo scripts, last step first, each with its step's environment. Delete undoes
// every step, then takes the helpers away in the same session; an update undoes the steps the program no longer has.
import { environmentPrefix } from "../../ssh/scripts";
import { flushLog } from "../shared/engine-log";
import { warning } from "../shared/progress";
import { isUnreachable } from "../shared/step-reporter";
import { removeHelpersScript } from "./helpers";
import type { PreparedHostInputs, PreparedStep } from "./inputs";
import { runSteps } from "./run-steps";

/** `helpers`: where the host's helpers were written, removed once the steps are undone; "" to leave them. */
export async function undoSteps(host: PreparedHostInputs, steps: PreparedStep[], helpers = ""): Promise<void> {
  const undone = [...steps].reverse().filter((step) => step.undoScript !== "");
  if (undone.length === 0 && helpers === "") return;
  try {
    await runSteps(host, undone, {
      stream: "undo",
      doing: "undoing",
      done: "undone",
      run: (session, step) =>
        session.run(`env ${environmentPrefix({ ...step.environment, PULUMI_KUBEADM_STEP: step.step })} sh -s`, {
          stdin: `${host.prelude}\n${step.undoScript}`,
          summary: `${step.step} (undo)`,
        }),
      afterAll: async (session) => {
        if (helpers !== "") await session.run(removeHelpersScript(helpers), { summary: "removing the steps' helpers" });
      },
    });
  } catch (error) {
    // A host that is gone has nothing left to undo; blocking the destroy of the whole stack on it helps nobody
    // (pulumi-command#104: the command provider's own delete cannot do this). Any other failure is real.
    if (!isUnreachable(error)) throw error;
    warning(host.node, `host preparation: host unreachable, nothing undone: ${error.message}`);
    await flushLog();
  }
}
