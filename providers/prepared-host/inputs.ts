// What a prepared host is given (for each HostPrep step in order: its environment, command, undo and check scripts)
// and what it keeps: what the last refresh found changed.
import type { Connection } from "../../config/spec";

export interface PreparedStep {
  step: string;
  environment: Record<string, string>;
  /** The command line the step's Command runs: run again by an update when a refresh found the step's work changed. */
  command: string;
  /** Run on delete after the prelude, last step first; "" for a step that leaves nothing to undo. */
  undoScript: string;
  /** Run by refresh after the prelude; prints what drifted, a line each, nothing when nothing did; "" for none. */
  checkScript: string;
}

export interface PreparedHostInputs {
  connection: Connection;
  /** Node name, for progress lines and warnings. */
  node: string;
  /** The steps' shared helpers (lib.sh), which every script starts with. */
  prelude: string;
  steps: PreparedStep[];
}

export interface PreparedHostOutputs extends PreparedHostInputs {
  /** Per step, what the last refresh found changed on the host; absent for a step found as it left the host. */
  drift: Record<string, string[]>;
}
