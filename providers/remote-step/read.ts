// Refresh of a step: its check script says what changed on the host since it ran.
import { withSession } from "../../ssh/session";
import { flushLog } from "../shared/engine-log";
import { warning } from "../shared/progress";
import { isUnreachable } from "../shared/step-reporter";
import { stepEnvironment, whole, type RemoteStepOutputs } from "./inputs";

/**
 * Runs the step's check on the host and records what drifted, so that the next `up` shows an update and runs the
 * step again. A host that cannot be reached keeps what the state says, with a warning.
 */
export async function readRemoteStep(
  id: string,
  props?: RemoteStepOutputs,
): Promise<{ id: string; props?: RemoteStepOutputs }> {
  if (!props?.checkScript) return { id, props };
  const stored: RemoteStepOutputs = { ...props };
  delete stored.drift;
  let output: string;
  try {
    output = await withSession(
      props.connection,
      async (session) =>
        (
          await session.run(`env ${stepEnvironment(props)} sh -s`, {
            stdin: whole(props.prelude, props.checkScript ?? ""),
            summary: `${props.step} (check)`,
            streamOutput: false,
          })
        ).stdout,
      { label: props.node },
    );
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    warning(props.node, `${props.step}: host unreachable, not checked: ${error.message}`);
    await flushLog();
    return { id, props };
  }
  const drift = output.split("\n").filter((line) => line.trim() !== "");
  if (drift.length > 0) warning(props.node, `${props.step}: changed on the host: ${drift.join("; ")}`);
  await flushLog();
  return { id, props: drift.length > 0 ? { ...stored, drift } : stored };
}
