// What a remote step is given (its scripts, environment and files), what it leaves in the state, and what both
// decide: the digest of what ran and the environment its scripts see.
import { createHash } from "crypto";
import type { Connection } from "../../config/spec";
import { environmentPrefix, type RemoteFile } from "../../ssh/scripts";

export { environmentPrefix };
export type { RemoteFile };

export interface RemoteStepInputs {
  connection: Connection;
  /** Node name, for progress lines and errors. */
  node: string;
  /** Step name, e.g. "install packages". */
  step: string;
  /** POSIX sh script run with `sh -s` (its text on stdin). */
  script: string;
  /** Environment given to both scripts; values are quoted with the project's one quoting function. */
  environment: Record<string, string>;
  /** Files written (atomically, mode set first) before the script runs. */
  files: RemoteFile[];
  /** Run on delete; "" for a step that leaves nothing to undo. */
  undoScript: string;
  /** Run by read (refresh): prints what changed on the host since the step ran, a line each; "" for no check. */
  checkScript?: string;
  /**
   * Shell text every script of the step starts with (the steps' shared helpers), sent once rather than three times:
   * each script above is what follows it. "" when the scripts are whole.
   */
  prelude?: string;
}

/**
 * What the state keeps after a run: how to reach the host, the undo and check scripts that go with what ran, and a
 * digest of what ran (the script, its environment and files) rather than all of it again: a step's outputs are
 * rewritten with every checkpoint of the stack, and the digest is all that diff needs. Outputs written before the
 * digest existed carry `script` and `files` instead; both forms are read.
 */
export interface RemoteStepOutputs {
  connection: Connection;
  node: string;
  step: string;
  environment: Record<string, string>;
  undoScript: string;
  checkScript?: string;
  prelude?: string;
  /** "sha256:<hex>" of what ran (hostEffect): named, so that nothing takes it for a key. */
  effect?: string;
  /** Older outputs only. */
  script?: string;
  files?: RemoteFile[];
  /** What the last refresh found changed on the host; the next `up` runs the step again to put it right. */
  drift?: string[];
}

/** A script as the host runs it: the prelude, then the step's own text ("" stays "": no script). */
export function whole(prelude: string | undefined, text: string): string {
  return prelude && text !== "" ? `${prelude}\n${text}` : text;
}

/**
 * The digest of what decides what happens on the host (the connection only says how to get there). The JSON is that
 * of the whole script, environment and files, so outputs stored before the digest existed digest the same.
 */
export function hostEffect(state: {
  script?: string;
  prelude?: string;
  environment: Record<string, string>;
  files?: RemoteFile[];
  effect?: string;
}): string {
  if (state.effect !== undefined) return state.effect;
  const effect = {
    script: whole(state.prelude, state.script ?? ""),
    environment: state.environment,
    files: state.files ?? [],
  };
  return `sha256:${createHash("sha256").update(JSON.stringify(effect)).digest("hex")}`;
}

/** What create and update leave in the state. */
export function storedOutputs(inputs: RemoteStepInputs): RemoteStepOutputs {
  const { connection, node, step, environment, undoScript, checkScript, prelude } = inputs;
  return { connection, node, step, environment, undoScript, checkScript, prelude, effect: hostEffect(inputs) };
}

/** The step's name as its scripts know it, for the record of what it wrote (lib.sh: written, check_written). */
export function stepEnvironment(inputs: Pick<RemoteStepInputs, "environment" | "step">): string {
  return environmentPrefix({ ...inputs.environment, PULUMI_KUBEADM_STEP: inputs.step });
}
