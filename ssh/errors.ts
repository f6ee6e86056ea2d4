// Errors of the SSH layer. Every message names the host and, for commands, which command failed,
// because these surface in `pulumi up` output far from the code that raised them.
// Texts that may contain secrets (commands, stderr) are masked before they reach these classes.
import { visibleText } from "../config/problem";
import { SETTING_KEYS, type Connection, type ConnectionSetting } from "../config/spec";

type Endpoint = Pick<Connection, "user" | "host" | "port">;

/**
 * The config key a connection's setting came from (`workers[0].privateKeyFile`), for messages that say what to
 * change. A connection stored by an earlier version has no sources: it gets the cluster-wide `ssh` key, or for the
 * address, which only hosts set, the bare key name.
 */
export function settingKey(conn: Pick<Connection, "sources">, setting: ConnectionSetting): string {
  const key = SETTING_KEYS[setting];
  return conn.sources?.[setting] ?? (setting === "host" ? key : `ssh.${key}`);
}

/**
 * Makes `error` a whole Error again where Pulumi's closure serialization broke it; call it in the constructor of
 * every Error subclass the providers use, right after super(). Dynamic providers run serialized copies of these
 * classes, in which `super(message)` becomes `Error.call(this, message)` (that sets neither message nor stack on
 * `this`), and a class without methods gets a prototype that is not linked to its parent's (so `instanceof
 * Error` is false): the engine showed every provider error as "error: undefined". On the classes as compiled
 * (tests, the program) this changes nothing.
 */
export function restoreError(error: Error, message: string): void {
  if (error.message !== message) {
    Object.defineProperty(error, "message", { value: message, writable: true, configurable: true });
  }
  // The serializer keeps the static chain (Object.setPrototypeOf(Sub, Parent)): link each prototype to its parent's.
  for (let ctor: unknown = error.constructor; typeof ctor === "function" && ctor !== Error;) {
    const parent: unknown = Object.getPrototypeOf(ctor);
    if (typeof parent !== "function" || parent === Function.prototype) break;
    if (Object.getPrototypeOf(ctor.prototype) !== parent.prototype) {
      Object.setPrototypeOf(ctor.prototype, parent.prototype);
    }
    ctor = parent;
  }
  if (error.stack === undefined) Error.captureStackTrace(error, error.constructor);
}

/** "user@host:port", plus " via user@bastion:port" when a jump host is used. */
export function describeTarget(conn: Endpoint & { proxy?: Endpoint }): string {
  const hop = (endpoint: Endpoint) => visibleText(`${endpoint.user}@${endpoint.host}:${endpoint.port}`);
  return conn.proxy ? `${hop(conn)} via ${hop(conn.proxy)}` : hop(conn);
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
    restoreError(this, message);
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
    const message = `ssh ${target}: command \`${summary}\` ${status}${details}`;
    super(message);
    restoreError(this, message);
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
    /** The config key the timeout came from; none when the caller chose the command's timeout itself. */
    timeoutKey?: string,
  ) {
    const details = outputTail.trim() !== "" ? `\n--- last lines of output ---\n${outputTail}` : "";
    const raise = timeoutKey !== undefined ? ` (raise ${timeoutKey} if it needs longer)` : "";
    const message =
      `ssh ${target}: command \`${summary}\` did not finish within ${timeoutSeconds}s and was stopped` +
      `${raise}${details}`;
    super(message);
    restoreError(this, message);
    this.name = "RemoteCommandTimeoutError";
  }
}
