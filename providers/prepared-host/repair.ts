// Running again, on `up`, the steps a refresh found changed on the host, in HostPrep's order: each with the command
// line its Command runs (sudo and the host's time limit are part of it), so a repair does exactly what the step does.
// The steps are idempotent, so a step whose Command also runs in the same `up` (its inputs changed) is only run twice.
import { withSession } from "../../ssh/session";
import { flushLog } from "../shared/engine-log";
import { announce, formatDuration, progress, summary } from "../shared/progress";
import type { PreparedHostInputs, PreparedStep } from "./inputs";

/** The steps of `host` that `drift` names, in the host's order. */
export function driftedSteps(host: PreparedHostInputs, drift: Record<string, string[]> | undefined): PreparedStep[] {
  return host.steps.filter((step) => (drift?.[step.step]?.length ?? 0) > 0);
}

export async function repairSteps(host: PreparedHostInputs, steps: PreparedStep[]): Promise<void> {
  if (steps.length === 0) return;
  try {
    await withSession(
      host.connection,
      async (session) => {
        for (const step of steps) {
          const started = Date.now();
          announce(host.node, step.step, "running again: a refresh found its work changed on the host");
          // The command carries its own `sudo -n` and host-side time limit; the session's limit is the outer bound.
          await session.run(step.command, { sudo: false, summary: `${step.step} (repair)` });
          summary(host.node, step.step, `repaired in ${formatDuration(Date.now() - started)}`);
        }
      },
      { label: host.node, onOutput: progress(host.node, "repair") },
    );
  } finally {
    await flushLog();
  }
}
