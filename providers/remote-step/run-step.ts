// Running one of the step's scripts on its host, as create, update and delete all do: the files uploaded first, the
// script on stdin with the step's environment, and one line that stays to say how it ended.
import { withSession } from "../../ssh/session";
import { flushLog } from "../shared/engine-log";
import { announce, formatDuration, progress, summary } from "../shared/progress";
import { stepEnvironment, type RemoteStepInputs } from "./inputs";

/**
 * Runs the script; the step leaves one line that stays, e.g. `[master01] packages: done in 12s`. A first run is not
 * announced (the step's own resource row already says it is creating); a re-run or an undo is, since the row of
 * an update or a delete does not say which.
 */
export async function runStep(
  inputs: Pick<RemoteStepInputs, "connection" | "node" | "step" | "environment" | "files">,
  script: string,
  what: string | undefined,
  done: string,
): Promise<void> {
  const started = Date.now();
  if (what) announce(inputs.node, inputs.step, what);
  try {
    await withSession(
      inputs.connection,
      async (session) => {
        for (const file of inputs.files) {
          await session.upload(file.path, file.content, { mode: file.mode });
        }
        await session.run(`env ${stepEnvironment(inputs)} sh -s`, {
          stdin: script,
          summary: `${inputs.step} (script)`,
        });
      },
      { label: inputs.node, onOutput: progress(inputs.node, inputs.step) },
    );
    summary(inputs.node, inputs.step, `${done} in ${formatDuration(Date.now() - started)}`);
  } catch (error) {
    summary(inputs.node, inputs.step, `failed after ${formatDuration(Date.now() - started)}`);
    throw error;
  } finally {
    // Every line reaches the engine before it hears how the step ended.
    await flushLog();
  }
}
