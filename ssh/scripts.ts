// The shell text sent to hosts, built here as pure functions so that tests can check exactly what
// runs (sudo wrapping in particular, which the test sshd cannot exercise for a non-root user).
import { posix } from "path";
import { shellQuote } from "../config/quote";

/** How long after the local timer the remote `timeout` fires, so the local timer reports first. */
export const REMOTE_TIMEOUT_MARGIN_SECONDS = 1;
/** How long a command may take to exit after TERM before `timeout` sends KILL. */
export const KILL_AFTER_SECONDS = 10;

export interface WrapOptions {
  sudo: boolean;
  /** Enforced on the host too: the local timer only closes the channel, which a command may outlive. */
  timeoutSeconds?: number;
}

/**
 * The exec request for `command`.
 *
 * It always runs as `sh -c <command>` so that it means the same whatever the login shell is (bash,
 * zsh, dash) and whether or not sudo is used; `-n` makes sudo fail at once instead of waiting for
 * a password prompt nobody can answer.
 *
 * With a timeout, coreutils `timeout` runs it and signals its whole process group on expiry:
 * without a terminal nothing else stops a remote command whose SSH channel was closed, and sshd
 * ignores SSH signal requests for root logins ("session signalling requires privilege separation").
 */
export function wrapCommand(command: string, options: WrapOptions): string {
  const shell = `sh -c ${shellQuote(command)}`;
  const limited =
    options.timeoutSeconds !== undefined
      ? `timeout -k ${KILL_AFTER_SECONDS} ${Math.ceil(options.timeoutSeconds) + REMOTE_TIMEOUT_MARGIN_SECONDS} ${shell}`
      : shell;
  return options.sudo ? `sudo -n ${limited}` : limited;
}

function requireAbsolute(path: string): void {
  // An absolute path cannot be mistaken for an option by mkdir, cat or mv, and does not depend on
  // the login user's home directory.
  if (!path.startsWith("/")) {
    throw new Error(`remote path must be absolute: ${JSON.stringify(path)}`);
  }
  if (path.includes("\0")) {
    throw new Error("remote path contains a NUL character");
  }
}

const ACCOUNT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/;

/** A file to write on a host (a host-preparation step's configuration, say), with its permission bits. */
export interface RemoteFile {
  path: string;
  content: string;
  mode: number;
}

export interface UploadSettings {
  /** Permission bits, e.g. 0o600. */
  mode: number;
  owner?: string;
  group?: string;
}

/**
 * A script that atomically replaces `path` with the bytes on its stdin.
 *
 * The temporary file comes from mktemp, which creates it 0600, and gets its owner and final mode
 * before a byte is written, so secret content is never readable by others, not even briefly; mv
 * within one directory then swaps it in as a whole (readers see the old or the new file, never a
 * half-written one). Missing parent directories are created 0755 like `install -d`: a 0700
 * directory would lock out daemons that read from it (apt's _apt user, for example).
 */
export function uploadScript(path: string, settings: UploadSettings): string {
  requireAbsolute(path);
  if (!Number.isInteger(settings.mode) || settings.mode < 0 || settings.mode > 0o7777) {
    throw new Error(`upload ${path}: mode must be a permission number such as 0o600, got ${settings.mode}`);
  }
  for (const name of [settings.owner, settings.group]) {
    if (name !== undefined && !ACCOUNT_NAME.test(name)) {
      throw new Error(`upload ${path}: ${JSON.stringify(name)} is not a user or group name`);
    }
  }
  const directory = posix.dirname(path);
  const mode = settings.mode.toString(8).padStart(4, "0");
  const ownership =
    settings.owner !== undefined || settings.group !== undefined
      ? [
          `chown ${shellQuote(`${settings.owner ?? ""}${settings.group !== undefined ? `:${settings.group}` : ""}`)} "$tmp"`,
        ]
      : [];
  return [
    "set -e",
    "umask 022",
    `mkdir -p ${shellQuote(directory)}`,
    `tmp=$(mktemp ${shellQuote(posix.join(directory, ".upload."))}XXXXXXXX)`,
    `trap 'rm -f "$tmp"' EXIT`,
    ...ownership,
    `chmod ${mode} "$tmp"`,
    `cat > "$tmp"`,
    `mv -f "$tmp" ${shellQuote(path)}`,
  ].join("\n");
}

/** Exit status of readFileScript when the file does not exist (cat and sudo use 1, sh uses 2). */
export const MISSING_FILE_STATUS = 3;

export function readFileScript(path: string): string {
  requireAbsolute(path);
  return `test -e ${shellQuote(path)} || exit ${MISSING_FILE_STATUS}\nexec cat ${shellQuote(path)}`;
}

/** Exits 0 when `path` exists (a dangling symlink counts), 1 when it does not. */
export function existsScript(path: string): string {
  requireAbsolute(path);
  return `test -e ${shellQuote(path)} || test -L ${shellQuote(path)}`;
}

/**
 * `NAME=value ...` for `env`, the values quoted: how a script's environment reaches it on the host (sshd's
 * AcceptEnv, which the SSH protocol's own variables need, is off on a stock server).
 */
export function environmentPrefix(environment: Record<string, string>): string {
  return Object.keys(environment)
    .sort()
    .map((name) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name '${name}'`);
      return `${name}=${shellQuote(environment[name])}`;
    })
    .join(" ");
}
