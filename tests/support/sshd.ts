// A real OpenSSH server on 127.0.0.1 for tests: its own host key, config and authorized key in a
// temporary directory, nothing taken from or written to /etc/ssh. Logs in as root (tests run as
// root), so no account has to be created on the machine.
//
// Needs /usr/sbin/sshd (Debian: apt-get install -y openssh-server; do not start the system service).
// sshd insists on its privilege-separation directory /run/sshd, which is created if missing.
import { spawn, execFileSync, type ChildProcess } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { connect, createServer, type Socket } from "net";
import { tmpdir } from "os";
import { join } from "path";
import type { Connection } from "../../config/spec";

export const SSHD_PATH = "/usr/sbin/sshd";
const STARTUP_TIMEOUT_MS = 10_000;

export interface TestSshd {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** "ssh-ed25519 AAAA..." as ssh-keyscan prints it (without the host name). */
  readonly hostKeyLine: string;
  /** "SHA256:..." of the host key, as ssh-keygen -lf reports it. */
  readonly hostKeyFingerprint: string;
  /** OpenSSH private key authorized for root on this server (unencrypted unless a passphrase was asked for). */
  readonly clientPrivateKey: string;
  /** Temporary directory holding the server's files; removed by stop(). */
  readonly dir: string;
  /** Everything sshd has logged so far (it runs with -e, logging to stderr). */
  log(): string;
  /** Successful logins so far: one per SSH connection that authenticated. */
  acceptedLogins(): number;
  /** A Connection to this server with the host key pinned; fields can be overridden. */
  connection(overrides?: Partial<Connection>): Connection;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Encrypt the client key with this passphrase. */
  clientKeyPassphrase?: string;
  /** Extra sshd_config lines; they take precedence over the defaults. */
  extraConfig?: string[];
}

/** A port that was free a moment ago; sshd may still lose the race for it, so startSshd retries. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function generateKey(path: string, passphrase = ""): void {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "pulumi-kubeadm-test", "-f", path]);
}

function sshdConfig(dir: string, port: number, extra: string[]): string {
  // sshd keeps the first value it reads for most keywords, so the caller's lines go first.
  return [
    ...extra,
    "ListenAddress 127.0.0.1",
    `Port ${port}`,
    `HostKey ${join(dir, "host_ed25519")}`,
    "PidFile none",
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "StrictModes no",
    "AllowTcpForwarding yes",
    "X11Forwarding no",
    "PrintMotd no",
    "PrintLastLog no",
    "LogLevel INFO",
    "MaxStartups 50",
    "MaxSessions 20",
    "",
  ].join("\n");
}

function waitForListening(process: ChildProcess, output: () => string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const listening = `Server listening on 127.0.0.1 port ${port}`;
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`sshd did not start within ${STARTUP_TIMEOUT_MS}ms:\n${output()}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = () => {
      if (output().includes(listening)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`sshd exited with ${code} during startup:\n${output()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      process.stderr?.off("data", onData);
      process.off("exit", onExit);
    };
    process.stderr?.on("data", onData);
    process.once("exit", onExit);
    onData();
  });
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  if (!existsSync(SSHD_PATH)) {
    throw new Error(`${SSHD_PATH} is missing: apt-get install -y openssh-server`);
  }
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), "pulumi-kubeadm-sshd-"));
  try {
    generateKey(join(dir, "host_ed25519"));
    generateKey(join(dir, "client_ed25519"), options.clientKeyPassphrase);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client_ed25519.pub")));
    const hostKeyLine = readFileSync(join(dir, "host_ed25519.pub"), "utf8").split(" ").slice(0, 2).join(" ");
    const hostKeyFingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", join(dir, "host_ed25519.pub")])
      .toString()
      .split(" ")[1];
    const clientPrivateKey = readFileSync(join(dir, "client_ed25519"), "utf8");

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const configPath = join(dir, "sshd_config");
      writeFileSync(configPath, sshdConfig(dir, port, options.extraConfig ?? []));
      let output = "";
      const sshd = spawn(SSHD_PATH, ["-D", "-e", "-f", configPath], { stdio: ["ignore", "ignore", "pipe"] });
      sshd.stderr.setEncoding("utf8");
      sshd.stderr.on("data", (text: string) => (output += text));
      try {
        await waitForListening(sshd, () => output, port);
      } catch (error) {
        sshd.kill("SIGKILL");
        if (attempt < 5 && /Address already in use/.test(output)) {
          continue;
        }
        throw error;
      }
      const exited = new Promise<void>((resolve) => sshd.once("exit", () => resolve()));
      return {
        host: "127.0.0.1",
        port,
        user: "root",
        hostKeyLine,
        hostKeyFingerprint,
        clientPrivateKey,
        dir,
        log: () => output,
        acceptedLogins: () => output.split("\n").filter((line) => line.startsWith("Accepted ")).length,
        connection: (overrides = {}) => ({
          host: "127.0.0.1",
          port,
          user: "root",
          privateKey: clientPrivateKey,
          sudo: false,
          hostKey: hostKeyLine,
          insecureIgnoreHostKey: false,
          connectTimeoutSeconds: 5,
          commandTimeoutSeconds: 30,
          dialErrorLimit: 1,
          ...overrides,
        }),
        stop: async () => {
          if (sshd.exitCode === null && sshd.signalCode === null) {
            // Only the listener stops here; a per-connection child lives until its client disconnects.
            sshd.kill("SIGTERM");
            await exited;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** What a TcpRelay does with its n-th connection (1-based). */
export type RelayBehaviour = { forwardTo: number } | "reset" | "silent";

export interface TcpRelay {
  readonly port: number;
  /** Connections accepted so far: the client's connection attempts. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A TCP endpoint on 127.0.0.1 that counts connection attempts and, per attempt, forwards to a
 * local port, resets at once (like an sshd that is not ready) or accepts and never answers
 * (like a black-holed handshake).
 */
export function startTcpRelay(behaviour: (attempt: number) => RelayBehaviour): Promise<TcpRelay> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const action = behaviour(++count);
    if (action === "reset") {
      socket.resetAndDestroy();
    } else if (action !== "silent") {
      const upstream = connect(action.forwardTo, "127.0.0.1");
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      upstream.on("error", () => socket.destroy());
      socket.on("close", () => upstream.destroy());
      upstream.on("close", () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : 0,
        connections: () => count,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) {
              socket.destroy();
            }
            server.close(() => done());
          }),
      });
    });
  });
}
