// HostPrep's steps on lab hosts exactly as the product runs them (components/host-prep/index.ts): a step's run is its
// command line (stepCommand) sent as the exec request of an SSH session, which the login shell runs, as
// command:remote:Command sends it, once the helpers it sources are on the host (the PreparedHost writes them); its
// undo, its check and its repair go through the host's PreparedHost provider (providers/prepared-host), with the
// inputs HostPrep gives it.
import { strict as assert } from "assert";
import { preparedStep } from "../../components/host-prep";
import { prelude, type HostPrepStep } from "../../components/host-prep/steps";
import type { Connection } from "../../config/spec";
import {
  preparedHostProvider,
  stepCommand,
  type PreparedHostInputs,
  type PreparedHostOutputs,
  type StepRunSettings,
} from "../../providers/prepared-host";
import { helpersPath } from "../../providers/prepared-host/helpers";
import { uploadScript } from "../../ssh/scripts";
import { captureConsole } from "../providers/kubeadm-fakes";
import type { LabShell, SshResult } from "./lab-shell";

/** How the tests run steps: as root (the lab's login user), under a limit no step reaches. */
export const STEP_SETTINGS: StepRunSettings = { sudo: false, timeoutSeconds: 600 };

/** The step's command line, as its Command runs it. */
export function stepRun(step: HostPrepStep): string {
  const helpers = prelude();
  return stepCommand({ prelude: helpers, run: STEP_SETTINGS }, preparedStep(helpers, step));
}

/** Writes the helpers the steps' commands source where their PreparedHost writes them. */
export async function writeHelpers(shell: LabShell, host: string): Promise<void> {
  await shell.ok(host, uploadScript(helpersPath(prelude()), { mode: 0o644 }), { input: prelude() });
}

/**
 * Runs the step's command on `host` as the Command provider does: the command line itself, nothing on stdin (the
 * helpers written first, as the host's PreparedHost does before its steps).
 */
export async function runStepCommand(shell: LabShell, host: string, step: HostPrepStep): Promise<SshResult> {
  await writeHelpers(shell, host);
  return shell.ssh(host, stepRun(step));
}

/** What HostPrep gives the host's PreparedHost for these steps. */
export function preparedHostInputs(connection: Connection, node: string, steps: HostPrepStep[]): PreparedHostInputs {
  const helpers = prelude();
  return {
    connection,
    node,
    prelude: helpers,
    run: STEP_SETTINGS,
    steps: steps.map((step) => preparedStep(helpers, step)),
  };
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

/**
 * The next `up` after a refresh found drift: PreparedHost's diff asks for an update, which runs the drifted steps
 * again; asserting both, and that nothing is left as drift. The lines it printed.
 */
export async function repairOnHost(id: string, host: PreparedHostOutputs): Promise<string[]> {
  const { steps, connection, node, prelude: helpers, run } = host;
  const news: PreparedHostInputs = { connection, node, prelude: helpers, run, steps };
  const diff = await preparedHostProvider.diff!(id, host, news);
  assert.deepEqual(diff, { changes: true, replaces: [] }, "drift is a change of the PreparedHost");
  const updated = await captureConsole(() => preparedHostProvider.update!(id, host, news));
  assert.equal(updated.error, undefined, `${updated.error?.message}\n${updated.lines.join("\n")}`);
  assert.deepEqual((updated.result!.outs as PreparedHostOutputs).drift, {});
  return updated.lines;
}

/** What a refresh finds: PreparedHost's read of the stored outputs, asserting it succeeded. */
export async function refreshHost(id: string, props: PreparedHostOutputs): Promise<PreparedHostOutputs> {
  const read = await captureConsole(() => preparedHostProvider.read!(id, props));
  assert.equal(read.error, undefined, read.error?.message);
  return read.result!.props!;
}
