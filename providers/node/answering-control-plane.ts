// Work that needs a running control plane (minting a token, uploading certificates, kubectl) is done on
// another control-plane node. Any of them will do, so the first one that is reachable over SSH and whose
// API answers through its admin kubeconfig is used: adding or removing a control-plane node keeps working
// while one of the others is down.
import type { RemoteSession } from "../../ssh";
import type { Connection } from "../../config/spec";
import { kubectl, retrying } from "./kubectl";
import { KubeadmStepError } from "../shared/step-errors";
import { isUnreachable, type SessionOpener, type StepReporter } from "../shared/step-reporter";

/** Another control-plane node: where tokens are minted, certificates uploaded and kubectl run. */
export interface ControlPlaneRef {
  name: string;
  /** Its own API server address (the certificates are uploaded from it as that node). */
  advertiseAddress: string;
  connection: Connection;
}

/** A few seconds of retries: through a load balancer, one request may land on an API server that just went away. */
const READY_ATTEMPTS = 5;
const READY_DELAY_SECONDS = 2;

export function apiReadyCommand(): string {
  return retrying(
    `${kubectl(["get", "--raw=/readyz", "--request-timeout=10s"])} >/dev/null 2>&1`,
    READY_ATTEMPTS,
    READY_DELAY_SECONDS,
  );
}

/** Raised when none of the control-plane nodes could do the work; says what each one answered. */
export class NoControlPlaneAnswers extends KubeadmStepError {
  constructor(
    readonly node: string,
    readonly attempts: string[],
    purpose: string,
  ) {
    super(
      node,
      purpose,
      `${purpose} for ${node} needs another control-plane node whose API answers, and none does:\n` +
        attempts.map((line) => `  ${line}`).join("\n") +
        "\nBring one of them back (its API server answers `kubectl get --raw=/readyz` with its admin.conf), then " +
        "run pulumi up again.",
    );
    this.name = "NoControlPlaneAnswers";
  }
}

export interface AnsweringControlPlaneOptions {
  /** The joining or leaving node, for messages. */
  node: string;
  candidates: ControlPlaneRef[];
  /** What the control plane is needed for ("join token and certificates"), for messages. */
  purpose: string;
  /** Values the session masks in everything it streams (a certificate key minted before the session). */
  secrets?: string[];
}

/**
 * Runs `fn` on the first control-plane node of `candidates` that answers. Errors raised by `fn` itself are
 * not a reason to try the next node: they propagate.
 */
export async function onAnsweringControlPlane<T>(
  opts: AnsweringControlPlaneOptions,
  open: SessionOpener,
  reporter: StepReporter,
  fn: (session: RemoteSession, ref: ControlPlaneRef) => Promise<T>,
): Promise<T> {
  const { node, candidates, purpose } = opts;
  const attempts: string[] = [];
  for (const ref of candidates) {
    let started = false;
    reporter.begin("control plane", `connecting to ${ref.name} (${purpose})`);
    try {
      const outcome = await open(
        ref.connection,
        async (session) => {
          const ready = await session.run(apiReadyCommand(), {
            allowFailure: true,
            streamOutput: false,
            summary: "kubectl get --raw=/readyz",
          });
          if (ready.code !== 0) return { answered: false as const };
          started = true;
          return { answered: true as const, value: await fn(session, ref) };
        },
        { label: ref.name, onOutput: reporter.onOutput, secrets: opts.secrets },
      );
      if (outcome.answered) return outcome.value;
      attempts.push(`${ref.name}: reachable, but its API does not answer (kubectl get --raw=/readyz failed)`);
    } catch (error) {
      if (started || !isUnreachable(error)) throw error;
      attempts.push(`${ref.name}: ${error.message}`);
    }
  }
  if (candidates.length === 0) attempts.push("(no other control-plane node is configured)");
  throw new NoControlPlaneAnswers(node, attempts, purpose);
}
