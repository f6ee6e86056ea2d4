// HostPrep's steps on lab hosts exactly as the product runs them (components/host-prep/index.ts): a step's run is its
// command line (stepCommand) sent as the exec request of an SSH session, which the login shell runs, as
// command:remote:Command sends it; its undo and its check go through the host's PreparedHost provider
// (providers/prepared-host), with the inputs HostPrep gives it.
import { strict as assert } from "assert";
import { preparedStep } from "../../components/host-prep";
import { stepCommand, type StepRunSettings } from "../../components/host-prep/step-command";
import { prelude, type HostPrepStep } from "../../components/host-prep/steps";
import type { Connection } from "../../config/spec";
import { preparedHostProvider, type PreparedHostInputs, type PreparedHostOutputs } from "../../providers/prepared-host";
import { captureConsole } from "../providers/kubeadm-fakes";
import type { LabShell, SshResult } from "./lab-shell";

/** How the tests run steps: as root (the lab's login user), under a limit no step reaches. */
export const STEP_SETTINGS: Omit<StepRunSettings, "repairs"> = { sudo: false, timeoutSeconds: 600 };

/** The step's command, with `repairs` as a refresh left it (0 before any refresh found the step changed). */
export function stepRun(step: HostPrepStep, repairs = 0): string {
  return stepCommand(step, { ...STEP_SETTINGS, repairs });
}

/** Runs the step's command on `host` as the Command provider does: the command line itself, nothing on stdin. */
export function runStepCommand(shell: LabShell, host: string, step: HostPrepStep, repairs = 0): Promise<SshResult> {
  return shell.ssh(host, stepRun(step, repairs));
}

/** What HostPrep gives the host's PreparedHost for these steps. */
export function preparedHostInputs(connection: Connection, node: string, steps: HostPrepStep[]): PreparedHostInputs {
  const helpers = prelude();
  return { connection, node, prelude: helpers, steps: steps.map((step) => preparedStep(helpers, step)) };
}

/** The PreparedHost of these steps as create stores it (create logs in to the host). */
export async function preparedHost(
  connection: Connection,
  node: string,
  steps: HostPrepStep[],
): Promise<PreparedHostOutputs> {
  const created = await captureConsole(() => preparedHostProvider.create!(preparedHostInputs(connection, node, steps)));
  assert.equal(created.error, undefined, created.error?.message);
  return created.result!.outs as PreparedHostOutputs;
}

/**
 * Undoes the steps as a destroy does (PreparedHost's delete: every undo script, last step first), asserting it
 * succeeded; the lines it printed, undo scripts' output included (`[node] undo: ...`).
 */
export async function undoOnHost(connection: Connection, node: string, steps: HostPrepStep[]): Promise<string[]> {
  const host = await preparedHost(connection, node, steps);
  const undone = await captureConsole(() => preparedHostProvider.delete!(`${node}/prepared-host`, host));
  assert.equal(undone.error, undefined, `${undone.error?.message}\n${undone.lines.join("\n")}`);
  return undone.lines;
}

/** What a refresh finds: PreparedHost's read of the stored outputs, asserting it succeeded. */
export async function refreshHost(id: string, props: PreparedHostOutputs): Promise<PreparedHostOutputs> {
  const read = await captureConsole(() => preparedHostProvider.read!(id, props));
  assert.equal(read.error, undefined, read.error?.message);
  return read.result!.props!;
}
