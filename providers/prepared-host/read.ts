// Refresh: each step's check script says what changed on the host since the step ran; a step found changed is kept
// as drift, which the next `up` sees as a change of the host's PreparedHost, whose update runs the step again. Helpers
// found missing or changed are forgotten, which the next `up` sees the same way, and its update writes them again.
import { withSession } from "../../ssh/session";
import { flushLog } from "../shared/engine-log";
import { warning } from "../shared/progress";
import { isUnreachable } from "../shared/step-reporter";
import { environmentPrefix } from "../../ssh/scripts";
import { helpersDigest, helpersDigestScript } from "./helpers";
import type { PreparedHostOutputs } from "./inputs";

interface Found {
  /** Per step, the lines its check printed (steps whose check printed nothing are left out). */
  drift: Record<string, string[]>;
  /** Whether the helpers are where they were written, as they were written. */
  helpersIntact: boolean;
}

async function checkHost(props: PreparedHostOutputs): Promise<Found> {
  return withSession(
    props.connection,
    async (session) => {
      let helpersIntact = true;
      if (props.helpers) {
        const { stdout } = await session.run(helpersDigestScript(props.helpers), {
          summary: "helpers (check)",
          streamOutput: false,
        });
        helpersIntact = stdout.split(/\s/)[0] === helpersDigest(props.prelude);
      }
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
      return { drift, helpersIntact };
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
  let found: Found;
  try {
    found = await checkHost(props);
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    warning(props.node, `host preparation: host unreachable, not checked: ${error.message}`);
    await flushLog();
    return { id, props };
  }
  const { drift, helpersIntact } = found;
  for (const [step, lines] of Object.entries(drift)) {
    warning(props.node, `${step}: changed on the host: ${lines.join("; ")}`);
  }
  if (!helpersIntact) {
    warning(props.node, `host preparation: ${props.helpers} was removed or edited; the next up writes it again`);
  }
  await flushLog();
  return { id, props: { ...props, helpers: helpersIntact ? props.helpers : "", drift } };
}
