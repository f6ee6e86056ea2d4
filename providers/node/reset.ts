// Resetting a node: `kubeadm reset -f` plus the cleanup it does not do (scripts/reset-node.sh).
//
// The script's text is an input of every kubeadm resource, read from this repository when the program runs:
// `pulumi destroy` runs the provider code of the program on disk (shared/provider-from-source.ts) on the outputs
// in state, and with the script stored among them, a node is always reset by the script of the version that set
// it up (or last updated it).
import { readFileSync } from "fs";
import { join } from "path";
import type { RemoteSession, RunResult } from "../../ssh";
import type { StepReporter } from "../shared/step-reporter";

export const RESET_SCRIPT_FILE = join(__dirname, "..", "scripts", "reset-node.sh");

/** Reads the reset script; called by the components at program time, never by provider code. */
export function readResetScript(): string {
  return readFileSync(RESET_SCRIPT_FILE, "utf8");
}

/**
 * Runs the reset script on the host. It is passed as the `sh -c` argument rather than on stdin, so that
 * commands it runs (kubeadm, systemctl) cannot swallow the rest of the script by reading stdin; it is a few
 * kilobytes, far below the kernel's limit for one argument (128 KiB). The output is returned for callers
 * that read what kubeadm reset said (a control plane's etcd member removal).
 */
export async function resetNode(
  session: RemoteSession,
  script: string,
  reporter: StepReporter,
  reason: string,
): Promise<RunResult> {
  reporter.begin("reset", reason);
  return session.run(script, { summary: "reset-node.sh (kubeadm reset -f and CNI/iptables cleanup)" });
}
