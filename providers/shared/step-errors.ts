// Errors of the kubeadm steps. `pulumi up` shows them far from the host, often after minutes of output, so
// each one names the host (node name and SSH address), the step, and kubeadm's own error lines, and says what
// state the host was left in. Everything shown is masked: kubeadm prints tokens in some errors.
import type { RemoteSession, RunResult, SecretMasker } from "../../ssh";
import { restoreError } from "../../ssh/errors";
import { visibleText } from "../../config/problem";

/**
 * kubeadm's error lines: preflight `[ERROR ...]` items, `error execution phase ...`, cobra's `Error: ...` and klog's
 * error lines (`E1206 10:00:00.000000 ...`, as the kubelet and the control-plane components log them too).
 */
const KUBEADM_ERROR_LINE = /\[ERROR [^\]]*\]|error execution phase|^\s*(?:(?:error|Error)[: ]|E\d{4} \d)/;
/** Lines shown when kubeadm printed no recognisable error line. */
const FALLBACK_LINES = 15;
/** A runaway error (hundreds of preflight errors) must not bury the rest of the message. */
const MAX_ERROR_LINES = 30;

/** kubeadm's error lines from a command's combined output, in order, without duplicates. */
export function kubeadmErrorLines(output: string): string[] {
  const lines = output
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.trimEnd());
  const errors = [...new Set(lines.filter((line) => KUBEADM_ERROR_LINE.test(line)).map((line) => line.trim()))];
  return errors.slice(0, MAX_ERROR_LINES);
}

export interface StepFailureDetails {
  /** "master01 (root@10.0.0.3:22)", as the session names it. */
  target: string;
  /** "kubeadm init", "kubeadm join", "drain", ... */
  step: string;
  /** The failed command's exit status. */
  exitCode?: number;
  /** stdout and stderr of the failed command, unmasked (masked here). */
  output?: string;
  /** The error that ended the step, when it was not an exit status (timeout, lost connection). */
  cause?: unknown;
  /** What state the host was left in and what to do next. */
  outcome?: string;
  masker: SecretMasker;
}

/** Raised when a step of a kubeadm provider fails; the message is complete and masked. */
export class KubeadmStepError extends Error {
  constructor(
    readonly target: string,
    readonly step: string,
    message: string,
  ) {
    super(message);
    restoreError(this, message);
    this.name = "KubeadmStepError";
  }
}

export function stepFailure(details: StepFailureDetails): KubeadmStepError {
  const { masker } = details;
  const status = details.exitCode !== undefined ? ` (exit status ${details.exitCode})` : "";
  const parts = [`${details.step} failed on ${visibleText(details.target)}${status}`];
  const output = details.output ?? "";
  const errorLines = kubeadmErrorLines(output);
  if (errorLines.length > 0) {
    parts[0] += ":";
    parts.push(...errorLines.map((line) => `  ${line}`));
  } else if (output.trim() !== "") {
    parts[0] += "; last lines of its output:";
    const tail = output.replace(/\r\n?/g, "\n").trim().split("\n").slice(-FALLBACK_LINES);
    parts.push(...tail.map((line) => `  ${line}`));
  }
  if (details.cause !== undefined) {
    const cause = details.cause instanceof Error ? details.cause.message : String(details.cause);
    parts.push(`cause: ${cause}`);
  }
  if (details.outcome) parts.push(details.outcome);
  // Lines stay lines; any other control character in what the host printed (a carriage return, a terminal escape,
  // a value of the config it echoed) is shown, so it can neither hide nor forge a line. Masked first: a secret
  // must still match as the host printed it.
  const shown = masker.mask(parts.join("\n")).split("\n").map(visibleText).join("\n");
  return new KubeadmStepError(details.target, details.step, shown);
}

/** The message of any error, masked (errors of the SSH layer are masked already; ours may quote output). */
export function maskedMessage(error: unknown, masker: SecretMasker): string {
  return masker.mask(error instanceof Error ? error.message : String(error));
}

/**
 * Runs one command of a step; a non-zero exit, a timeout or a lost connection becomes a KubeadmStepError that
 * ends with `outcome`. For steps that need no clean-up on failure (node/kubeadm-step.ts resets the host first).
 */
export async function runStepCommand(
  session: RemoteSession,
  command: string,
  opts: { step: string; summary: string; outcome: string; masker: SecretMasker },
): Promise<RunResult> {
  const { step, outcome, masker } = opts;
  const result = await session.run(command, { allowFailure: true, summary: opts.summary }).catch((error) => {
    throw stepFailure({ target: session.target, step, cause: error, outcome, masker });
  });
  if (result.code !== 0) {
    throw stepFailure({
      target: session.target,
      step,
      exitCode: result.code,
      output: `${result.stdout}\n${result.stderr}`,
      outcome,
      masker,
    });
  }
  return result;
}
