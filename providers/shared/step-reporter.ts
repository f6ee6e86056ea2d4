// Step reporting for the kubeadm providers: every line the user sees names the node and the step; each step
// leaves one line saying how it ended and how long it took, and warnings (a host that is gone during delete, a
// token that could not be removed) stand out as such.
import { SshConnectionError, type OutputStream, type RemoteSession, type SessionOptions } from "../../ssh";
import type { Connection } from "../../config/spec";
import { flushLog } from "./engine-log";
import { sameData } from "./plain-data";
import { announce, formatDuration, progress, summary, warning } from "./progress";

/**
 * Follows one node through the steps of one provider operation. A session has one onOutput for all its
 * commands, so the sink reads the current step when a line arrives: `begin("kubeadm init")` makes kubeadm's
 * lines read `[master01] kubeadm init: [certs] ...`. Starting another step closes the current one with a line
 * that stays, `[master01] upload: done in 0.2s`; `run` closes the last one, done or failed.
 */
export class StepReporter {
  private current: string;
  private started = Date.now();
  /** Only a step announced with begin() gets a closing line: the constructor's first step may never run. */
  private open = false;

  constructor(
    readonly node: string,
    first = "connect",
  ) {
    this.current = first;
  }

  get step(): string {
    return this.current;
  }

  /** Announces a step and makes it the one streamed output is attributed to; the same step again goes on. */
  begin(step: string, detail = ""): void {
    if (step !== this.current || !this.open) {
      this.close("done in");
      this.current = step;
      this.started = Date.now();
      this.open = true;
    }
    announce(this.node, step, detail);
  }

  /** Ends the operation with what it came to, a line that stays: `[worker01] done: joined the cluster at ...`. */
  done(outcome: string): void {
    this.close("done in");
    summary(this.node, "done", outcome);
  }

  /** Closes the current step as failed, when the operation goes on anyway (a host that is gone at delete). */
  failed(): void {
    this.close("failed after");
  }

  /**
   * Runs one provider operation: its last step is closed when it ends (`failed after 3.1s` when it throws), and
   * every line has reached the engine before the engine hears how the operation ended.
   */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      const result = await operation();
      this.close("done in");
      return result;
    } catch (error) {
      this.close("failed after");
      throw error;
    } finally {
      await flushLog();
    }
  }

  readonly onOutput = (line: string, stream: OutputStream): void => {
    progress(this.node, this.current)(line, stream);
  };

  private close(outcome: "done in" | "failed after"): void {
    if (!this.open) return;
    this.open = false;
    summary(this.node, this.current, `${outcome} ${formatDuration(Date.now() - this.started)}`);
  }
}

/** A warning line: the operation goes on (or succeeds), but the user should know what was skipped. */
export { warning as warn } from "./progress";

/** The host could not be reached, or the connection broke: the case delete and refresh tolerate. */
export function isUnreachable(error: unknown): error is SshConnectionError {
  return error instanceof SshConnectionError && error.failure === "unreachable";
}

/**
 * Runs what needs a host that delete or refresh can go on without: when the host cannot be reached, the current step
 * closes as failed, a warning gives SSH's message and then `consequence`, and the result is undefined.
 */
export async function unlessUnreachable<T>(
  reporter: StepReporter,
  consequence: string,
  work: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    reporter.failed();
    warning(reporter.node, `${error.message}. ${consequence}`);
    return undefined;
  }
}

/** The way the providers open SSH sessions: `withSession` in production, a fake in unit tests. */
export type SessionOpener = <T>(
  conn: Connection,
  fn: (session: RemoteSession) => Promise<T>,
  opts?: SessionOptions,
) => Promise<T>;

// Offered here with the rest of the steps' plumbing; the session masks the same credentials.
export { connectionSecrets } from "../../ssh";

/**
 * Logs in with a changed connection before it is stored. An update that does no remote work would otherwise store a
 * wrong pinned key, user or port as if it worked, and every later delete (destroy, a removed node) would fail on it
 * until the steps were updated again by hand; a failed update leaves the old connection in the state.
 */
export async function proveConnection(
  open: SessionOpener,
  olds: Connection,
  news: Connection,
  label: string,
  reporter?: StepReporter,
): Promise<void> {
  if (sameData(olds, news)) return;
  reporter?.begin("connection", `logging in with the changed connection settings`);
  await open(news, (session) => session.run("true", { summary: "connection check" }), {
    label,
    onOutput: reporter?.onOutput,
  });
}
