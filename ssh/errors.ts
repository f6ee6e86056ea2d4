// Errors of the SSH layer. Every message names the host and, for commands, which command failed,
// because these surface in `pulumi up` output far from the code that raised them.
// Texts that may contain secrets (commands, stderr) are masked before they reach these classes.
import type { Connection } from "../config/spec";

type Endpoint = Pick<Connection, "user" | "host" | "port">;

/** "user@host:port", plus " via user@bastion:port" when a jump host is used. */
export function describeTarget(conn: Endpoint & { proxy?: Endpoint }): string {
  const target = `${conn.user}@${conn.host}:${conn.port}`;
  return conn.proxy ? `${target} via ${conn.proxy.user}@${conn.proxy.host}:${conn.proxy.port}` : target;
}

/** Why connecting failed; only "unreachable" is ever retried. */
export type ConnectFailure = "unreachable" | "authentication" | "host-key" | "configuration" | "protocol";

export class SshConnectionError extends Error {
  constructor(
    message: string,
    readonly target: string,
    readonly failure: ConnectFailure,
    readonly attempts: number,
  ) {
    super(message);
    this.name = "SshConnectionError";
  }
}

/** A host key was missing from the configuration, or did not match it. */
export class HostKeyVerificationError extends SshConnectionError {
  constructor(
    message: string,
    target: string,
    /** SHA256 fingerprint of the key the server presented; unknown when no common key type was found. */
    readonly actualFingerprint?: string,
  ) {
    super(message, target, "host-key", 1);
    this.name = "HostKeyVerificationError";
  }
}

const TAIL_LINES = 20;

export function lastLines(text: string, count = TAIL_LINES): string {
  const lines = text.replace(/\n+$/, "").split("\n");
  return lines.slice(-count).join("\n");
}

export class RemoteCommandError extends Error {
  constructor(
    readonly target: string,
    /** Masked, one line, truncated. */
    readonly summary: string,
    /** null when the command ended without a status (killed by a signal, channel closed). */
    readonly exitCode: number | null,
    /** Last lines of stderr, masked. */
    readonly stderrTail: string,
    /** Last lines of stdout, masked; shown when stderr is empty, as some tools report errors there. */
    readonly stdoutTail: string,
    readonly signal?: string,
  ) {
    const status = exitCode !== null ? `exited with status ${exitCode}` : `ended without status (${signal ?? "?"})`;
    const [label, tail] = stderrTail.trim() !== "" ? ["stderr", stderrTail] : ["stdout", stdoutTail];
    const details = tail.trim() !== "" ? `\n--- last lines of ${label} ---\n${tail}` : " (no output)";
    super(`ssh ${target}: command \`${summary}\` ${status}${details}`);
    this.name = "RemoteCommandError";
  }
}

export class RemoteCommandTimeoutError extends Error {
  constructor(
    readonly target: string,
    readonly summary: string,
    readonly timeoutSeconds: number,
    /** Last lines of output before the timer fired (masked), to show where it got stuck. */
    readonly outputTail: string,
  ) {
    const details = outputTail.trim() !== "" ? `\n--- last lines of output ---\n${outputTail}` : "";
    super(
      `ssh ${target}: command \`${summary}\` did not finish within ${timeoutSeconds}s and was stopped` +
        ` (raise ssh.commandTimeoutSeconds if it needs longer)${details}`,
    );
    this.name = "RemoteCommandTimeoutError";
  }
}
