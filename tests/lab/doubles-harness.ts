// Runs the lab's doubles (lab/doubles) as subprocesses outside any lab: every path they touch is redirected into
// a temporary directory (LAB_ROOT, LAB_STATE, LAB_LOG, LAB_FS_ROOT, LAB_PROC_SYS), so nothing of the machine changes.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installRealPackages } from "../../lab/real-packages";

export const DOUBLES = path.resolve(__dirname, "..", "..", "lab", "doubles");
export const CATALOGUE = path.resolve(__dirname, "..", "..", "lab", "catalogue");

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

export class DoublesLab {
  readonly dir: string;
  readonly root: string;
  readonly fsRoot: string;
  readonly state: string;
  readonly log: string;
  readonly proc: string;
  readonly distro: "ubuntu" | "rocky";
  readonly host: string;

  constructor(
    distro: "ubuntu" | "rocky" = "ubuntu",
    options: { init?: boolean; host?: string; initArgs?: string[] } = {},
  ) {
    this.distro = distro;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-doubles-"));
    this.root = path.join(this.dir, "lab");
    this.fsRoot = path.join(this.dir, "fs");
    this.state = path.join(this.dir, "state");
    this.log = path.join(this.dir, "log");
    this.proc = path.join(this.dir, "proc");
    for (const d of [this.root, this.fsRoot, this.state, this.log, path.join(this.root, "faults")])
      fs.mkdirSync(d, { recursive: true });
    fs.symlinkSync(DOUBLES, path.join(this.root, "doubles"));
    fs.cpSync(CATALOGUE, path.join(this.root, "catalogue"), { recursive: true });
    // What the packages install is real, as on a lab host (hard links into the set-up's cache).
    installRealPackages(path.join(this.root, "packages"));
    this.procWrite("net/ipv4/ip_forward", "0");
    this.procWrite("net/ipv4/conf/all/rp_filter", "2");
    this.procWrite("kernel/pid_max", "4194304");
    this.procWrite("vm/swappiness", "60");
    this.write(
      "/etc/os-release",
      distro === "rocky"
        ? 'NAME="Rocky Linux"\nVERSION_ID="9.6"\nID="rocky"\n'
        : 'NAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\nID=ubuntu\n',
    );
    this.host = options.host ?? "h1";
    if (options.init !== false) {
      const r = this.run(path.join(DOUBLES, "init-host"), [distro, ...(options.initArgs ?? [])]);
      if (r.code !== 0) throw new Error(`init-host failed: ${r.stderr}`);
    }
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    const family = this.distro === "rocky" ? "yum" : "apt";
    const PATH = [
      path.join(DOUBLES, "bin"),
      path.join(DOUBLES, family),
      path.join(DOUBLES, family, "sbin"),
      path.join(this.fsRoot, "usr/bin"),
      path.join(this.fsRoot, "usr/sbin"),
      path.dirname(process.execPath),
      "/usr/bin",
      "/bin",
    ].join(":");
    return {
      PATH,
      HOME: this.dir,
      LAB_ROOT: this.root,
      LAB_STATE: this.state,
      LAB_LOG: this.log,
      LAB_FS_ROOT: this.fsRoot,
      LAB_PROC_SYS: this.proc,
      LAB_HOST: this.host,
      ...extra,
    };
  }

  /** Runs a command line (argv[0] looked up on the doubles' PATH) synchronously. */
  run(cmd: string, args: string[] = [], options: RunOptions = {}): Result {
    const r = spawnSync(cmd, args, {
      env: this.env(options.env),
      input: options.input ?? "",
      encoding: "utf8",
      timeout: options.timeoutMs ?? 30000,
      cwd: this.dir,
    });
    if (r.error) throw r.error;
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs a shell pipeline with the doubles' environment (for `curl ... | gpg --dearmor`). */
  sh(script: string, options: RunOptions = {}): Result {
    return this.run("/bin/sh", ["-c", script], options);
  }

  /** Starts a command without waiting (for hang faults). */
  start(cmd: string, args: string[] = []): Promise<Result & { ms: number }> {
    const t0 = Date.now();
    const child = spawn(cmd, args, { env: this.env(), cwd: this.dir });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    return new Promise((resolve) =>
      child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })),
    );
  }

  path(p: string): string {
    return path.join(this.fsRoot, p);
  }

  write(p: string, content: string | Buffer): void {
    fs.mkdirSync(path.dirname(this.path(p)), { recursive: true });
    fs.writeFileSync(this.path(p), content);
  }

  read(p: string): string {
    return fs.readFileSync(this.path(p), "utf8");
  }

  exists(p: string): boolean {
    return fs.existsSync(this.path(p));
  }

  procWrite(key: string, value: string): void {
    fs.mkdirSync(path.dirname(path.join(this.proc, key)), { recursive: true });
    fs.writeFileSync(path.join(this.proc, key), `${value}\n`);
  }

  procRead(key: string): string {
    return fs.readFileSync(path.join(this.proc, key), "utf8").trim();
  }

  stateJson<T = unknown>(name: string): T {
    return JSON.parse(fs.readFileSync(path.join(this.state, name), "utf8")) as T;
  }

  labWrite(name: string, content: unknown): void {
    const p = path.join(this.root, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  }

  commands(): string[] {
    try {
      return fs.readFileSync(path.join(this.log, "commands.log"), "utf8").trimEnd().split("\n");
    } catch {
      return [];
    }
  }

  /** Kubernetes apt source as HostPrep writes it (key via curl | gpg --dearmor). */
  addKubernetesApt(mirror = "https://pkgs.k8s.io/core:/stable:/v1.35/deb/"): void {
    const keyring = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg";
    const r = this.sh(`curl -fsSL ${mirror}Release.key | gpg --dearmor --yes -o ${this.path(keyring)}`);
    if (r.code !== 0) throw new Error(`key: ${r.stderr}`);
    this.write("/etc/apt/sources.list.d/kubernetes.list", `deb [signed-by=${keyring}] ${mirror} /\n`);
  }

  /** What the package doubles asked the service manager to do, per unit (no systemd runs here). */
  services(): Record<string, { enabled: boolean; started: boolean }> {
    try {
      return this.stateJson("services.json");
    } catch {
      return {};
    }
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
