// Step reporting for the kubeadm providers: every line the user sees names the node and the step, and
// warnings (a host that is gone during delete, a token that could not be removed) stand out as such.
import { SshConnectionError, type OutputStream, type RemoteSession, type SessionOptions } from "../ssh";
import type { Connection } from "../config/spec";
import { announce, progress } from "./progress";

/**
 * Follows one node through its steps. A session has one onOutput for all its commands, so the sink reads the
 * current step when a line arrives: `begin("kubeadm init")` makes kubeadm's lines read
 * `[master01] kubeadm init: [certs] ...`.
 */
export class StepReporter {
  private current: string;

  constructor(
    readonly node: string,
    first = "connect",
  ) {
    this.current = first;
  }

  get step(): string {
    return this.current;
  }

  /** Announces a step and makes it the one streamed output is attributed to. */
  begin(step: string, detail = ""): void {
    this.current = step;
    announce(this.node, step, detail);
  }

  readonly onOutput = (line: string, stream: OutputStream): void => {
    progress(this.node, this.current)(line, stream);
  };
}

/** A warning line: the operation goes on (or succeeds), but the user should know what was skipped. */
export function warn(node: string, message: string): void {
  console.log(`[${node}] WARNING: ${message}`);
}

/** The host could not be reached, or the connection broke: the case delete and refresh tolerate. */
export function isUnreachable(error: unknown): error is SshConnectionError {
  return error instanceof SshConnectionError && error.failure === "unreachable";
}

/** The way the providers open SSH sessions: `withSession` in production, a fake in unit tests. */
export type SessionOpener = <T>(
  conn: Connection,
  fn: (session: RemoteSession) => Promise<T>,
  opts?: SessionOptions,
) => Promise<T>;

/** The credentials in a connection (and its jump host's), for masking messages built outside the session. */
export function connectionSecrets(conn: Connection): string[] {
  return [conn, conn.proxy]
    .flatMap((c) => [c?.privateKey, c?.privateKeyPassword, c?.password])
    .filter((s): s is string => typeof s === "string");
}
