// What a prepared host is given (how its steps' commands run, the helpers they source, and for each HostPrep step in
// order its script, environment, files, undo and check scripts) and what it keeps: where it wrote the helpers and what
// the last refresh found changed.
import type { Connection } from "../../config/spec";
import type { RemoteFile } from "../../ssh/scripts";

export interface StepRunSettings {
  /** Run as root through `sudo -n` (a login user other than root). */
  sudo: boolean;
  /** The longest a script may run; the host's `timeout` stops it and its children then. */
  timeoutSeconds: number;
}

export interface PreparedStep {
  step: string;
  environment: Record<string, string>;
  /**
   * The step's own script, after the helpers, and the files written before it: its Command's command line is made of
   * them (step-command.ts), and an update runs it again when a refresh found the step's work changed.
   */
  script: string;
  files: RemoteFile[];
  /** Run on delete after the prelude, last step first; "" for a step that leaves nothing to undo. */
  undoScript: string;
  /** Run by refresh after the prelude; prints what drifted, a line each, nothing when nothing did; "" for none. */
  checkScript: string;
}

export interface PreparedHostInputs {
  connection: Connection;
  /** Node name, for progress lines and warnings. */
  node: string;
  /** The steps' shared helpers (lib.sh): written to the host for the commands, sent ahead of undo and check scripts. */
  prelude: string;
  /** How the steps' commands run. */
  run: StepRunSettings;
  steps: PreparedStep[];
}

export interface PreparedHostOutputs extends PreparedHostInputs {
  /** Where the helpers were written on the host (helpers.ts); "" when a refresh found them missing or changed. */
  helpers: string;
  /** Per step, what the last refresh found changed on the host; absent for a step found as it left the host. */
  drift: Record<string, string[]>;
}
