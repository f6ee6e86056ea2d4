// Running again, on `up`, the steps a refresh found changed on the host, in HostPrep's order: each with the command
// line its Command runs (sudo and the host's time limit are part of it), so a repair does exactly what the step does.
// The steps are idempotent, so a step whose Command also runs in the same `up` (its inputs changed) is only run twice.
import type { PreparedHostInputs, PreparedStep } from "./inputs";
import { runSteps } from "./run-steps";
import { stepCommand } from "./step-command";

/** The steps of `host` that `drift` names, in the host's order. */
export function driftedSteps(host: PreparedHostInputs, drift: Record<string, string[]> | undefined): PreparedStep[] {
  return host.steps.filter((step) => (drift?.[step.step]?.length ?? 0) > 0);
}

export async function repairSteps(host: PreparedHostInputs, steps: PreparedStep[]): Promise<void> {
  if (steps.length === 0) return;
  await runSteps(host, steps, {
    stream: "repair",
    doing: "running again: a refresh found its work changed on the host",
    done: "repaired",
    // The command carries its own `sudo -n` and host-side time limit; the session's limit is the outer bound.
    run: (session, step) => session.run(stepCommand(host, step), { sudo: false, summary: `${step.step} (repair)` }),
  });
}
