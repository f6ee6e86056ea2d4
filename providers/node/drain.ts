// Draining a node before it leaves the cluster, for workers (worker-join/delete.ts) and joined control-plane nodes
// (control-plane-join/delete.ts). A failed drain stops the removal and uncordons the node, so it keeps serving
// instead of sitting cordoned; with drain.force set it is a warning and the removal goes on.
import type { RemoteSession, SecretMasker } from "../../ssh";
import { kubectl } from "./kubectl";
import type { ClusterSettings } from "./settings";
import { KubeadmStepError, kubeadmErrorLines } from "../shared/step-errors";
import { warn, type StepReporter } from "../shared/step-reporter";

/** Extra time for the SSH command beyond kubectl drain's own --timeout. */
const DRAIN_SSH_MARGIN_SECONDS = 60;

export function drainArgs(node: string, timeoutSeconds: number): string[] {
  return ["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", `--timeout=${timeoutSeconds}s`];
}

export interface DrainOptions {
  /** The control-plane node kubectl runs on, for the progress line. */
  on: string;
  reporter: StepReporter;
  masker: SecretMasker;
  /** How the error starts: "drain of node w1 failed on the control plane master01 (...)". */
  failed: string;
  /** What the error says was not removed: "The worker", "The node". */
  subject: string;
  /** What the drain is for, when it is not the node's removal: an upgrade says so in its errors and warnings. */
  purpose?: DrainPurpose;
}

export interface DrainPurpose {
  /** "was not removed" */
  notDone: string;
  /** "remove it anyway" */
  anyway: string;
  /** "the removal goes on" */
  goesOn: string;
}

const REMOVAL: DrainPurpose = {
  notDone: "was not removed",
  anyway: "remove it anyway",
  goesOn: "the removal goes on",
};

/** Drains `name` with kubectl on `cp`; throws when the drain fails and force is off. */
export async function drainNode(
  cp: RemoteSession,
  name: string,
  drain: ClusterSettings["drain"],
  opts: DrainOptions,
): Promise<void> {
  const { force, timeoutSeconds } = drain;
  const { reporter } = opts;
  const purpose = opts.purpose ?? REMOVAL;
  reporter.begin("drain", `on ${opts.on}, timeout ${timeoutSeconds}s`);
  const result = await cp.run(kubectl(drainArgs(name, timeoutSeconds)), {
    allowFailure: true,
    timeoutSeconds: timeoutSeconds + DRAIN_SSH_MARGIN_SECONDS,
    summary: `kubectl drain ${name}`,
  });
  if (result.code === 0) return;
  const lines = kubeadmErrorLines(`${result.stdout}\n${result.stderr}`);
  const message = opts.masker.mask(
    (lines.length > 0 ? lines : result.stderr.trim().split("\n").slice(-10)).map((l) => `  ${l}`).join("\n"),
  );
  if (!force) {
    reporter.begin("drain", "failed: uncordoning the node so it keeps serving");
    await cp.run(kubectl(["uncordon", name]), { allowFailure: true, summary: `kubectl uncordon ${name}` });
    throw new KubeadmStepError(
      cp.target,
      "drain",
      `${opts.failed} (exit status ${result.code}):\n${message}\n` +
        `${opts.subject} ${purpose.notDone} (and was uncordoned again). Fix what blocks the eviction (a ` +
        `PodDisruptionBudget, pods without a controller), or set drain.force: true to ${purpose.anyway}.`,
    );
  }
  warn(name, `drain of node ${name} failed (drain.force is set, so ${purpose.goesOn}):\n${message}`);
}
