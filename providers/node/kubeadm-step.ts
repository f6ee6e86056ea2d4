// Running a kubeadm step that changes a host (init, join) so that a failure never leaves it half set up: on
// failure the host is reset before the error is raised, and the error names the host, the step and kubeadm's
// own error lines.
import { isUnreachable } from "../shared/step-reporter";
import type { RemoteSession, RunResult, SecretMasker } from "../../ssh";
import { maskedMessage, stepFailure } from "../shared/step-errors";
import { resetNode } from "./reset";
import type { StepReporter } from "../shared/step-reporter";

export interface KubeadmStepOptions {
  /** "kubeadm init", "kubeadm join". */
  step: string;
  reporter: StepReporter;
  resetScript: string;
  masker: SecretMasker;
  /** Shown in messages instead of the command. */
  summary?: string;
}

/** The sentence an error ends with: what state the host is in now. */
export async function resetAfterFailure(
  session: RemoteSession,
  opts: Pick<KubeadmStepOptions, "step" | "reporter" | "resetScript" | "masker">,
  cause?: unknown,
): Promise<string> {
  if (cause !== undefined && isUnreachable(cause)) {
    return "The host could not be reset (the connection is gone); the next `pulumi up` resets it before trying again.";
  }
  try {
    await resetNode(session, opts.resetScript, opts.reporter, `${opts.step} failed; undoing what it did`);
    return "The host was reset (kubeadm reset -f and the CNI/iptables cleanup), so the next `pulumi up` starts from a clean host.";
  } catch (error) {
    return (
      `Resetting the host failed too (${maskedMessage(error, opts.masker)}); ` +
      "the next `pulumi up` resets it before trying again."
    );
  }
}

/**
 * Runs `command` (kubeadm init/join); on a non-zero exit, a timeout or a lost connection, resets the host
 * and throws a KubeadmStepError.
 */
export async function runKubeadmStep(
  session: RemoteSession,
  command: string,
  opts: KubeadmStepOptions,
): Promise<RunResult> {
  let result: RunResult;
  try {
    result = await session.run(command, { allowFailure: true, summary: opts.summary });
  } catch (error) {
    const outcome = await resetAfterFailure(session, opts, error);
    throw stepFailure({ target: session.target, step: opts.step, cause: error, outcome, masker: opts.masker });
  }
  if (result.code !== 0) {
    const output = `${result.stdout}\n${result.stderr}`;
    const outcome = await resetAfterFailure(session, opts);
    throw stepFailure({
      target: session.target,
      step: opts.step,
      exitCode: result.code,
      output,
      outcome,
      masker: opts.masker,
    });
  }
  return result;
}
