// Fake hosts for the kubeadm provider tests: a RemoteSession that records every command and upload, keeps a
// file map, answers the host inspection from it, and lets each test script kubeadm/kubectl answers. Masking
// and errors behave like the real session's (SecretMasker, RemoteCommandError, SshConnectionError), so tests
// can check what the user would see.
import type { Connection } from "../../config/spec";
import { generateBootstrapToken } from "../../kubeadm/token";
import {
  describeTarget,
  RemoteCommandError,
  SecretMasker,
  SshConnectionError,
  type RemoteSession,
  type RunOptions,
  type RunResult,
  type SessionOptions,
} from "../../ssh";
import { INSPECT_MARKER } from "../../providers/node/host-state";
import type { SessionOpener } from "../../providers/shared/step-reporter";
import { renderEntry, setLocalLog } from "../../providers/shared/engine-log";
import { HOST_OUTPUT_ENV } from "../../providers/shared/progress";

export interface FakeResult {
  code?: number;
  stdout?: string;
  stderr?: string;
  /** Thrown instead of returning (a timeout, a lost connection). */
  error?: Error;
}

type Answer = FakeResult | ((command: string, host: FakeHost) => FakeResult | undefined);

export interface RecordedRun {
  command: string;
  opts: RunOptions;
}

const RESET_MARKER = "# pulumi-kubeadm: return a host to the state it had before";

/** Files kubeadm init writes on a control plane. */
export const CONTROL_PLANE_FILES = [
  "/etc/kubernetes/admin.conf",
  "/etc/kubernetes/kubelet.conf",
  "/etc/kubernetes/manifests/kube-apiserver.yaml",
  "/etc/kubernetes/manifests/etcd.yaml",
  "/var/lib/kubelet/config.yaml",
  "/var/lib/etcd/member/snap",
];

export class FakeHost {
  readonly files = new Map<string, string>();
  readonly runs: RecordedRun[] = [];
  readonly uploads: { path: string; content: string; mode: number }[] = [];
  readonly sessions: SessionOptions[] = [];
  kubeadmInstalled = true;
  unreachable = false;
  private readonly answers: [RegExp, Answer][] = [];

  constructor(
    readonly name: string,
    readonly address: string,
  ) {}

  /** Answers commands matching `pattern` (the latest matching registration wins). */
  on(pattern: RegExp, answer: Answer): this {
    this.answers.unshift([pattern, answer]);
    return this;
  }

  get commands(): string[] {
    return this.runs.map((r) => r.command);
  }

  /** Commands other than the inspection (which every operation starts with). */
  get actions(): string[] {
    return this.commands.filter((c) => !c.startsWith(INSPECT_MARKER));
  }

  resetRuns(): number {
    return this.commands.filter((c) => c.includes(RESET_MARKER)).length;
  }

  nonEmpty(dir: string): boolean {
    return [...this.files.keys()].some((path) => path.startsWith(`${dir}/`));
  }

  inspection(): string {
    const yn = (b: boolean) => (b ? "yes" : "no");
    const has = (path: string) => this.files.has(path);
    const lines = [
      `kubeadm=${yn(this.kubeadmInstalled)}`,
      `admin.conf=${yn(has("/etc/kubernetes/admin.conf"))}`,
      `kubelet.conf=${yn(has("/etc/kubernetes/kubelet.conf"))}`,
      `apiserver-manifest=${yn(has("/etc/kubernetes/manifests/kube-apiserver.yaml"))}`,
      `footprint.manifests=${yn(this.nonEmpty("/etc/kubernetes/manifests"))}`,
      `footprint.pki=${yn(this.nonEmpty("/etc/kubernetes/pki"))}`,
      `footprint.admin.conf=${yn(has("/etc/kubernetes/admin.conf"))}`,
      `footprint.kubelet.conf=${yn(has("/etc/kubernetes/kubelet.conf"))}`,
      `footprint.etcd-data=${yn(this.nonEmpty("/var/lib/etcd"))}`,
      `footprint.kubelet-state=${yn(has("/var/lib/kubelet/config.yaml"))}`,
      `footprint.pulumi-kubeadm-dir=${yn(this.nonEmpty("/etc/kubernetes/pulumi-kubeadm"))}`,
      `footprint.cni-config=${yn(this.nonEmpty("/etc/cni/net.d"))}`,
      `footprint.cni-state=${yn(this.nonEmpty("/var/lib/cni"))}`,
      "footprint.cni-links=no",
    ];
    const ca = this.files.get("/etc/kubernetes/pki/ca.crt");
    return `${lines.join("\n")}\n${ca !== undefined ? `--- ca.crt ---\n${ca}` : ""}`;
  }

  /** What the reset script does to the file map. */
  reset(): void {
    for (const path of [...this.files.keys()]) {
      if (/^\/(etc\/kubernetes|var\/lib\/(etcd|kubelet|cni)|etc\/cni|run\/flannel)\//.test(path)) {
        this.files.delete(path);
      }
    }
  }

  answer(command: string): FakeResult {
    if (command.startsWith(INSPECT_MARKER)) return { stdout: this.inspection() };
    if (command.includes(RESET_MARKER)) {
      const scripted = this.answers.find(([pattern]) => pattern.test("reset-node.sh"));
      if (scripted) return resolve(scripted[1], command, this);
      this.reset();
      return { stdout: "running kubeadm reset -f\nhost is clean\n" };
    }
    for (const [pattern, answer] of this.answers) {
      if (pattern.test(command)) {
        const result = resolve(answer, command, this);
        if (result !== undefined) return result;
      }
    }
    const rm = /^'rm' '-f' '--' '([^']+)'$/.exec(command);
    if (rm) this.files.delete(rm[1]);
    return {};
  }
}

function resolve(answer: Answer, command: string, host: FakeHost): FakeResult {
  return (typeof answer === "function" ? answer(command, host) : answer) ?? {};
}

function lastLines(text: string): string {
  return text.replace(/\n+$/, "").split("\n").slice(-20).join("\n");
}

/** A SessionOpener over fake hosts, found by the connection's host address. */
export function fakeOpener(hosts: FakeHost[]): SessionOpener {
  return async <T>(conn: Connection, fn: (session: RemoteSession) => Promise<T>, opts: SessionOptions = {}) => {
    const host = hosts.find((h) => h.address === conn.host);
    const target = opts.label !== undefined ? `${opts.label} (${describeTarget(conn)})` : describeTarget(conn);
    if (host === undefined || host.unreachable) {
      throw new SshConnectionError(
        `ssh ${target}: connection refused — check ssh.address/port and that sshd runs`,
        target,
        "unreachable",
        1,
      );
    }
    host.sessions.push(opts);
    const credentials = [conn.privateKey, conn.password].filter((s): s is string => s !== undefined);
    const masker = new SecretMasker([...credentials, ...(opts.secrets ?? [])]);
    const session: RemoteSession = {
      target,
      async run(command: string, runOpts: RunOptions = {}): Promise<RunResult> {
        host.runs.push({ command, opts: runOpts });
        const answer = host.answer(command);
        if (answer.error) throw answer.error;
        const result = { code: answer.code ?? 0, stdout: answer.stdout ?? "", stderr: answer.stderr ?? "" };
        if (runOpts.streamOutput !== false && opts.onOutput) {
          for (const [text, stream] of [
            [result.stdout, "stdout"],
            [result.stderr, "stderr"],
          ] as const) {
            for (const line of masker.mask(text).split("\n")) if (line !== "") opts.onOutput(line, stream);
          }
        }
        if (result.code !== 0 && !runOpts.allowFailure) {
          throw new RemoteCommandError(
            target,
            masker.mask(runOpts.summary ?? command).split("\n")[0],
            result.code,
            lastLines(masker.mask(result.stderr)),
            lastLines(masker.mask(result.stdout)),
          );
        }
        return result;
      },
      async upload(path: string, content: string | Buffer, uploadOpts: { mode: number }) {
        const text = content.toString();
        host.runs.push({ command: `upload ${path}`, opts: {} });
        host.uploads.push({ path, content: text, mode: uploadOpts.mode });
        host.files.set(path, text);
      },
      async readFile(path: string) {
        return host.files.get(path);
      },
      async exists(path: string) {
        return host.files.has(path);
      },
    };
    return fn(session);
  };
}

/**
 * Collects what the providers show the user while `fn` runs: their log entries as the engine would show them
 * (host lines, which the engine shows live only, included) and anything printed with console.log.
 */
export async function captureConsole<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: Error; lines: string[] }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  };
  setLocalLog((entry) => lines.push(renderEntry(entry)));
  // Every host line, not one a second: the tests look for secrets in all of them.
  const hostOutput = process.env[HOST_OUTPUT_ENV];
  process.env[HOST_OUTPUT_ENV] = "all";
  try {
    const result = await fn();
    return { result, lines };
  } catch (error) {
    return { error: error as Error, lines };
  } finally {
    console.log = original;
    setLocalLog(undefined);
    if (hostOutput === undefined) delete process.env[HOST_OUTPUT_ENV];
    else process.env[HOST_OUTPUT_ENV] = hostOutput;
  }
}

/**
 * A control plane's `kubeadm token create` and `kubeadm token delete <id>`: `tokens` holds the live tokens, `minted`
 * every token created, also after its deletion.
 */
export function answerTokenCommands(host: FakeHost, tokens: Set<string>, minted: string[]): void {
  host.on(/'kubeadm' 'token' 'create'/, () => {
    const token = generateBootstrapToken();
    tokens.add(token);
    minted.push(token);
    return { stdout: `${token}\n` };
  });
  host.on(/'kubeadm' 'token' 'delete' '([a-z0-9]{6})'/, (command) => {
    const id = /'delete' '([a-z0-9]{6})'/.exec(command)?.[1];
    for (const token of tokens) if (token.startsWith(`${id}.`)) tokens.delete(token);
    return { stdout: `bootstrap token "${id}" deleted\n` };
  });
}

/** A control plane's kubectl get node, drain and delete node over the registered Nodes, which carry `labels`. */
export function answerNodeCommands(host: FakeHost, nodes: Set<string>, labels: Record<string, string>): void {
  host.on(/'kubectl' .*'get' 'node' '([^']+)'/, (command) => {
    const name = /'get' 'node' '([^']+)'/.exec(command)?.[1] ?? "";
    if (command.startsWith("n=1")) return { code: nodes.has(name) ? 0 : 1 };
    if (!nodes.has(name)) return { code: 1, stderr: `Error from server (NotFound): nodes "${name}" not found\n` };
    if (command.includes("'json'")) return { stdout: JSON.stringify({ metadata: { name, labels }, spec: {} }) };
    return { stdout: `node/${name}\n` };
  });
  host.on(/'kubectl' .*'drain' '([^']+)'/, (command) => {
    const name = /'drain' '([^']+)'/.exec(command)?.[1] ?? "";
    return { stdout: `node/${name} cordoned\nnode/${name} drained\n` };
  });
  host.on(/'kubectl' .*'delete' 'node' '([^']+)'/, (command) => {
    const name = /'delete' 'node' '([^']+)'/.exec(command)?.[1] ?? "";
    nodes.delete(name);
    return { stdout: `node "${name}" deleted\n` };
  });
}
