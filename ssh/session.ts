// The SSH API the dynamic providers use: one connection per host per operation, commands with
// masked streamed output, per-command timeouts, and atomic file uploads.
import type { ClientChannel } from "ssh2";
import { StringDecoder } from "string_decoder";
import type { Connection } from "../config/spec";
import { visibleText } from "../config/problem";
import { openLink, type SshLink } from "./connect";
import { lastLines, RemoteCommandError, RemoteCommandTimeoutError, settingKey, SshConnectionError } from "./errors";
import { LineSplitter, SecretMasker } from "./mask";
import {
  existsScript,
  MISSING_FILE_STATUS,
  readFileScript,
  uploadScript,
  wrapCommand,
  type UploadSettings,
} from "./scripts";

export type OutputStream = "stdout" | "stderr";

export interface SessionOptions {
  /** Receives each output line, secrets masked; prefixing it with the host is the caller's job. */
  onOutput?: (line: string, stream: OutputStream) => void;
  /** Values to mask in streamed output and error messages (the connection's own credentials always are). */
  secrets?: string[];
  /** Names the host in error messages (e.g. the node name), next to user@host:port. */
  label?: string;
}

export interface RunOptions {
  /** Defaults to the connection's `sudo`; false runs as the login user even when it is set. */
  sudo?: boolean;
  stdin?: string | Buffer;
  /** Defaults to the connection's commandTimeoutSeconds. */
  timeoutSeconds?: number;
  /** Return non-zero exit statuses instead of throwing (a command that ends without one still throws). */
  allowFailure?: boolean;
  /** Shown in errors instead of the command (which is masked and truncated when shown). */
  summary?: string;
  /** False keeps the output away from onOutput, e.g. for file contents read by the caller. */
  streamOutput?: boolean;
}

export interface RunResult {
  code: number;
  /** Unmasked: callers need the real output (a kubeconfig, a join command); do not log it as is. */
  stdout: string;
  stderr: string;
}

export interface UploadOptions extends UploadSettings {
  sudo?: boolean;
}

export interface RemoteSession {
  /** "label (user@host:port[ via jump])", as used in error messages. */
  readonly target: string;
  run(command: string, opts?: RunOptions): Promise<RunResult>;
  /** Atomically writes `content` to the absolute `path` with `mode` (and owner/group) set first. */
  upload(path: string, content: string | Buffer, opts: UploadOptions): Promise<void>;
  /** The file's content as UTF-8, or undefined when it does not exist. */
  readFile(path: string, opts?: { sudo?: boolean }): Promise<string | undefined>;
  exists(path: string, opts?: { sudo?: boolean }): Promise<boolean>;
}

const SUMMARY_MAX_LENGTH = 160;

/** The command as one line of a message: its first line, control characters shown, cut short. */
function summarize(text: string, masker: SecretMasker): string {
  const lines = masker.mask(text).trim().split("\n");
  const line = visibleText(lines[0]);
  const first = line.length > SUMMARY_MAX_LENGTH ? `${line.slice(0, SUMMARY_MAX_LENGTH)}…` : line;
  return lines.length > 1 ? `${first} …` : first;
}

/** Feeds one output stream of a command to onOutput, masked and cut into lines. */
function lineStream(masker: SecretMasker, emit: ((line: string) => void) | undefined) {
  const decoder = new StringDecoder("utf8");
  const stream = masker.maskStream();
  const lines = new LineSplitter((line) => {
    try {
      emit?.(line);
    } catch {
      // A failing output callback (a logger) must not turn a command that succeeded into a failure.
    }
  });
  return {
    write: (chunk: Buffer) => lines.push(stream.push(decoder.write(chunk))),
    end: () => {
      lines.push(stream.push(decoder.end()) + stream.flush());
      lines.flush();
    },
  };
}

interface ChannelHandlers {
  stdout: (chunk: Buffer) => void;
  stderr: (chunk: Buffer) => void;
}

interface OpenChannel {
  channel: ClientChannel;
  /** Settles when the channel closes, with the exit status or signal the server reported. */
  ended: Promise<{ code?: number; signal?: string }>;
}

/**
 * Opens an exec channel with every listener attached inside ssh2's callback: a quick command's exit
 * status (and even its close) can arrive in the same packet as the exec reply, and ssh2 emits those
 * events before an `await` would resume, so a listener attached afterwards misses them.
 */
function execChannel(link: SshLink, command: string, handlers: ChannelHandlers): Promise<OpenChannel> {
  return new Promise((resolve, reject) => {
    try {
      link.client.exec(command, (error, channel) => {
        if (error) return reject(error);
        let exit: { code?: number; signal?: string } = {};
        channel.on("data", handlers.stdout);
        channel.stderr.on("data", handlers.stderr);
        channel.on("exit", (code: number | null, signal?: string) => {
          exit = { code: code ?? undefined, signal };
        });
        const ended = new Promise<{ code?: number; signal?: string }>((settle) =>
          channel.on("close", () => settle(exit)),
        );
        resolve({ channel, ended });
      });
    } catch (error) {
      reject(error);
    }
  });
}

class SshRemoteSession implements RemoteSession {
  constructor(
    private readonly link: SshLink,
    private readonly conn: Connection,
    private readonly masker: SecretMasker,
    private readonly onOutput?: SessionOptions["onOutput"],
  ) {}

  get target(): string {
    return this.link.target;
  }

  async run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    const summary = summarize(opts.summary ?? command, this.masker);
    const timeoutSeconds = opts.timeoutSeconds ?? this.conn.commandTimeoutSeconds;
    const timeoutKey = opts.timeoutSeconds === undefined ? settingKey(this.conn, "commandTimeoutSeconds") : undefined;
    const wrapped = wrapCommand(command, { sudo: opts.sudo ?? this.conn.sudo, timeoutSeconds });
    const stream = opts.streamOutput !== false ? this.onOutput : undefined;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const outLines = lineStream(this.masker, stream && ((line) => stream(line, "stdout")));
    const errLines = lineStream(this.masker, stream && ((line) => stream(line, "stderr")));
    const tailOf = (chunks: Buffer[]) => lastLines(this.masker.mask(Buffer.concat(chunks).toString("utf8")));

    let channel: ClientChannel | undefined;
    let expired = false;
    // Closing the channel tells the server we gave up; the remote `timeout` (wrapCommand) ends the command.
    const stop = (open: ClientChannel) => open.close();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        if (channel) {
          stop(channel);
        }
        const output = tailOf([...stdout, ...stderr]);
        reject(new RemoteCommandTimeoutError(this.target, summary, timeoutSeconds, output, timeoutKey));
      }, timeoutSeconds * 1000);
    });
    const finished = (async () => {
      let opened: OpenChannel;
      try {
        opened = await execChannel(this.link, wrapped, {
          stdout: (chunk) => {
            stdout.push(chunk);
            outLines.write(chunk);
          },
          stderr: (chunk) => {
            stderr.push(chunk);
            errLines.write(chunk);
          },
        });
      } catch (error) {
        throw this.lostConnection(summary, error as Error);
      }
      channel = opened.channel;
      if (expired) {
        // The channel opened after the timer fired: nobody is waiting for this command any more.
        stop(channel);
      }
      channel.end(opts.stdin);
      const exit = await opened.ended;
      outLines.end();
      errLines.end();
      return exit;
    })();
    let exit: { code?: number; signal?: string };
    try {
      exit = await Promise.race([finished, timedOut]);
    } finally {
      clearTimeout(timer);
      // The losing promise must not surface later as an unhandled rejection.
      timedOut.catch(() => undefined);
      finished.catch(() => undefined);
    }
    if (exit.code === undefined && exit.signal === undefined && this.link.lastError()) {
      throw this.lostConnection(summary, this.link.lastError() as Error);
    }
    const result = {
      code: exit.code ?? -1,
      stdout: Buffer.concat(stdout).toString("utf8"),
      stderr: Buffer.concat(stderr).toString("utf8"),
    };
    if (exit.code === undefined || (exit.code !== 0 && !opts.allowFailure)) {
      throw new RemoteCommandError(
        this.target,
        summary,
        exit.code ?? null,
        tailOf(stderr),
        tailOf(stdout),
        exit.signal ?? (exit.code === undefined ? "channel closed" : undefined),
      );
    }
    return result;
  }

  private lostConnection(summary: string, cause: Error): SshConnectionError {
    const reason = visibleText(this.masker.mask(cause.message));
    return new SshConnectionError(
      `ssh ${this.target}: connection lost while running \`${summary}\`: ${reason}`,
      this.target,
      "unreachable",
      1,
    );
  }

  async upload(path: string, content: string | Buffer, opts: UploadOptions): Promise<void> {
    const mode = opts.mode.toString(8).padStart(4, "0");
    await this.run(uploadScript(path, opts), {
      sudo: opts.sudo,
      stdin: content,
      summary: `upload ${path} (mode ${mode})`,
    });
  }

  async readFile(path: string, opts: { sudo?: boolean } = {}): Promise<string | undefined> {
    const result = await this.run(readFileScript(path), {
      sudo: opts.sudo,
      allowFailure: true,
      streamOutput: false,
      summary: `read ${path}`,
    });
    if (result.code === MISSING_FILE_STATUS) {
      return undefined;
    }
    if (result.code !== 0) {
      throw new RemoteCommandError(
        this.target,
        `read ${path}`,
        result.code,
        lastLines(this.masker.mask(result.stderr)),
        "",
      );
    }
    return result.stdout;
  }

  async exists(path: string, opts: { sudo?: boolean } = {}): Promise<boolean> {
    const result = await this.run(existsScript(path), {
      sudo: opts.sudo,
      allowFailure: true,
      summary: `test -e ${path}`,
    });
    if (result.code > 1) {
      throw new RemoteCommandError(
        this.target,
        `test -e ${path}`,
        result.code,
        lastLines(this.masker.mask(result.stderr)),
        "",
      );
    }
    return result.code === 0;
  }
}

/**
 * The credentials in a connection (and its jump host's): every session masks them, and the providers mask them in
 * messages built outside a session.
 */
export function connectionSecrets(conn: Connection): string[] {
  return [conn, conn.proxy]
    .flatMap((c) => [c?.privateKey, c?.privateKeyPassword, c?.password])
    .filter((s): s is string => typeof s === "string");
}

/**
 * Opens one connection to `conn`, runs `fn` with it and closes it afterwards, also when `fn`
 * throws. All commands of `fn` share that connection: one login per host per operation keeps
 * sshd's MaxStartups and fail2ban-style limits out of the way.
 */
export async function withSession<T>(
  conn: Connection,
  fn: (session: RemoteSession) => Promise<T>,
  opts: SessionOptions = {},
): Promise<T> {
  const masker = new SecretMasker([...connectionSecrets(conn), ...(opts.secrets ?? [])]);
  const link = await openLink(conn, opts.label);
  try {
    return await fn(new SshRemoteSession(link, conn, masker, opts.onOutput));
  } finally {
    await link.close();
  }
}
