// Running the machine's tools (ip, ssh-keygen, nsenter, ...) with errors that say what failed and why.
import { execFile, execFileSync, type ExecFileOptions } from "child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command; resolves with its exit status and output instead of rejecting on a non-zero status. */
export function runStatus(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const execOptions: ExecFileOptions = {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: options.timeoutMs ?? 0,
      env: options.env,
    };
    const child = execFile(command, args, execOptions, (error, stdout, stderr) => {
      const out = String(stdout);
      const err = String(stderr);
      if (!error) return resolve({ code: 0, stdout: out, stderr: err });
      const status = (error as NodeJS.ErrnoException & { code?: unknown }).code;
      if (typeof status === "number") return resolve({ code: status, stdout: out, stderr: err });
      if (error.killed) return resolve({ code: 124, stdout: out, stderr: err + `\n(timed out: ${command})` });
      if (error.signal) return resolve({ code: 128, stdout: out, stderr: err + `\n(killed by ${error.signal})` });
      reject(new Error(`${command} ${args.join(" ")}: ${error.message}`));
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Runs a command and returns its stdout; a non-zero status rejects with the command and its stderr. */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const result = await runStatus(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Synchronous variant for teardown, which must also work inside process.on("exit"). */
export function runSync(command: string, args: string[], options: { input?: string } = {}): RunResult {
  try {
    const stdout = execFileSync(command, args, {
      encoding: "utf8",
      input: options.input,
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr: "" };
  } catch (error) {
    const e = error as { status?: number | null; stdout?: string; stderr?: string; message: string };
    return { code: e.status ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? e.message };
  }
}

/** Maps with at most `limit` calls in flight: 50 hosts start in parallel without 50 ssh-keygens at once. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: unknown;
  let failed = false;
  async function worker(): Promise<void> {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (error) {
        // The first failure wins; the other workers stop taking new items but finish the ones they hold, so
        // the caller tears down a lab that is no longer changing under it.
        if (!failed) failure = error;
        failed = true;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failure;
  return results;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
