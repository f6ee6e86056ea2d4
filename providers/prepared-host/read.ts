// Refresh: each step's check script says what changed on the host since the step ran; a step found changed is kept
// as drift, which the next `up` sees as a change of the host's PreparedHost, whose update runs the step again.
import { withSession } from "../../ssh/session";
import { flushLog } from "../shared/engine-log";
import { warning } from "../shared/progress";
import { isUnreachable } from "../shared/step-reporter";
import { environmentPrefix } from "../../ssh/scripts";
import type { PreparedHostOutputs } from "./inputs";

/** Per step, the lines its check printed (steps whose check printed nothing are left out). */
async function checkHost(props: PreparedHostOutputs): Promise<Record<string, string[]>> {
  return withSession(
    props.connection,
    async (session) => {
      const drift: Record<string, string[]> = {};
      for (const check of props.steps.filter((step) => step.checkScript !== "")) {
        const environment = environmentPrefix({ ...check.environment, PULUMI_KUBEADM_STEP: check.step });
        const { stdout } = await session.run(`env ${environment} sh -s`, {
          stdin: `${props.prelude}\n${check.checkScript}`,
          summary: `${check.step} (check)`,
          streamOutput: false,
        });
        const lines = stdout.split("\n").filter((line) => line.trim() !== "");
        if (lines.length > 0) drift[check.step] = lines;
      }
      return drift;
    },
    { label: props.node },
  );
}

/** A host that cannot be reached keeps what the state says, with a warning. */
export async function readPreparedHost(
  id: string,
  props?: PreparedHostOutputs,
): Promise<{ id: string; props?: PreparedHostOutputs }> {
  if (!props) return { id, props };
  let drift: Record<string, string[]>;
  try {
    drift = await checkHost(props);
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    warning(props.node, `host preparation: host unreachable, not checked: ${error.message}`);
    await flushLog();
    return { id, props };
  }
  for (const [step, lines] of Object.entries(drift)) {
    warning(props.node, `${step}: changed on the host: ${lines.join("; ")}`);
  }
  await flushLog();
  return { id, props: { ...props, drift } };
}
