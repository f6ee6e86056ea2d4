// One SSH session to a prepared host that works through some of its steps in order, announcing each and closing it
// with the time it took (`[cp1] sysctl: undone in 0.3s`): what undo and repair share.
import type { RemoteSession } from "../../ssh";
import { withSession } from "../../ssh/session";
import { flushLog } from "../shared/engine-log";
import { announce, formatDuration, progress, summary } from "../shared/progress";
import type { PreparedHostInputs, PreparedStep } from "./inputs";

export interface StepWork {
  /** What the host's output lines are attributed to, e.g. `undo`. */
  stream: string;
  /** The announcement while a step's work runs. */
  doing: string;
  /** The step's closing line, before its time, e.g. `undone`. */
  done: string;
  run(session: RemoteSession, step: PreparedStep): Promise<unknown>;
  /** Run in the same session once every step's work is done. */
  afterAll?(session: RemoteSession): Promise<unknown>;
}

export async function runSteps(host: PreparedHostInputs, steps: PreparedStep[], work: StepWork): Promise<void> {
  try {
    await withSession(
      host.connection,
      async (session) => {
        for (const step of steps) {
          const started = Date.now();
          announce(host.node, step.step, work.doing);
          await work.run(session, step);
          summary(host.node, step.step, `${work.done} in ${formatDuration(Date.now() - started)}`);
        }
        await work.afterAll?.(session);
      },
      { label: host.node, onOutput: progress(host.node, work.stream) },
    );
  } finally {
    await flushLog();
  }
}
