// Opening an SSH connection (directly or through a jump host), with retries for unreachable hosts
// and host-key verification. ssh2 is required inside dial() and never imported as a value: dynamic
// providers are serialized with everything they capture, and a top-level ssh2 value would drag the
// library's internals (native crypto bindings) into the closure (see shared/reference/pulumi.md).
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import type { Duplex } from "stream";
import type { Connection } from "../config/spec";
import { visibleText } from "../config/problem";
import {
  describeTarget,
  HostKeyVerificationError,
  restoreError,
  settingKey,
  SshConnectionError,
  type ConnectFailure,
} from "./errors";
import { sha256Fingerprint } from "../config/host-key-pins";
import { hostKeyPolicy, type HostKeyPolicy } from "./host-key";

/** One hop: the target itself or its jump host. */
export type Endpoint = Omit<Connection, "proxy" | "sudo" | "commandTimeoutSeconds">;

/** An authenticated connection to the target; close() also closes the jump host's connection. */
export interface SshLink {
  readonly client: Client;
  readonly target: string;
  /** The error that broke the connection, if one did; explains channels that close unexpectedly. */
  lastError(): Error | undefined;
  close(): Promise<void>;
}

/** Detects dead hosts during long commands, well before the per-command timer (minutes) would. */
const KEEPALIVE_INTERVAL_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 4;
const FIRST_RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 5_000;
const CLOSE_GRACE_MS = 2_000;

const RETRYABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "EPIPE",
  "EAI_AGAIN",
]);
/** ssh2's reason code when a jump host could not reach the target (RFC 4254 SSH_OPEN_CONNECT_FAILED). */
const CHANNEL_OPEN_CONNECT_FAILED = 2;

type Ssh2Error = Error & { level?: string; code?: string | number; reason?: number };

/** A failed attempt, classified; message is the cause alone, without the target. */
class DialFailure extends Error {
  constructor(
    cause: string,
    readonly failure: ConnectFailure,
    readonly actualFingerprint?: string,
  ) {
    // ssh2's messages can quote what the config holds (a host name that does not resolve): one line, whatever it is.
    const message = visibleText(cause);
    super(message);
    restoreError(this, message);
  }
}

/** The keys of the credentials the endpoint has, e.g. "workers[0].privateKeyFile with ssh.privateKeyPassword". */
function describeCredentials(endpoint: Endpoint): string {
  const passphrase =
    endpoint.privateKeyPassword !== undefined ? ` with ${settingKey(endpoint, "privateKeyPassword")}` : "";
  const methods = [
    endpoint.privateKey !== undefined ? `${settingKey(endpoint, "privateKey")}${passphrase}` : undefined,
    endpoint.agentSocketPath !== undefined ? settingKey(endpoint, "agentSocketPath") : undefined,
    endpoint.password !== undefined ? settingKey(endpoint, "password") : undefined,
  ].filter((m): m is string => m !== undefined);
  return methods.length > 0 ? methods.join(", ") : "no credentials configured";
}

function classify(error: Ssh2Error, endpoint: Endpoint, restrictedHostKeys: boolean): DialFailure {
  const code = typeof error.code === "string" ? error.code : undefined;
  const timeout = endpoint.connectTimeoutSeconds;
  if (error.level === "client-authentication") {
    return new DialFailure(
      `authentication failed (tried ${describeCredentials(endpoint)}) — check ${settingKey(endpoint, "user")} ` +
        `and the credentials`,
      "authentication",
    );
  }
  if (error.level === "client-timeout") {
    return new DialFailure(`connection timed out after ${timeout}s`, "unreachable");
  }
  if (code === "ECONNREFUSED") {
    return new DialFailure("connection refused", "unreachable");
  }
  if (code === "ETIMEDOUT") {
    return new DialFailure(`connection timed out after ${timeout}s`, "unreachable");
  }
  if (code !== undefined && RETRYABLE_SOCKET_CODES.has(code)) {
    return new DialFailure(`${error.message}`, "unreachable");
  }
  if (code === "ENOTFOUND" || error.level === "client-dns") {
    return new DialFailure(
      `cannot resolve the host name (${error.message}) — check ${settingKey(endpoint, "host")}`,
      "configuration",
    );
  }
  if (error.reason === CHANNEL_OPEN_CONNECT_FAILED) {
    return new DialFailure(`the jump host could not connect to the target (${error.message})`, "unreachable");
  }
  if (typeof error.reason === "number") {
    return new DialFailure(
      `the jump host refused to forward the connection (${error.message}); check AllowTcpForwarding there`,
      "configuration",
    );
  }
  // sshd drops connections it cannot take yet (still starting, MaxStartups): worth another try.
  if (/Connection lost before handshake|before handshake/i.test(error.message)) {
    return new DialFailure("the server closed the connection before the SSH handshake", "unreachable");
  }
  if (restrictedHostKeys && /host key/i.test(error.message)) {
    return new DialFailure(
      `the server has none of the pinned host key types (${error.message}); re-pin its key in ` +
        settingKey(endpoint, endpoint.hostKey !== undefined ? "hostKey" : "knownHostsFile"),
      "host-key",
    );
  }
  if (error.level === "agent") {
    return new DialFailure(
      `ssh-agent: ${error.message} — check ${settingKey(endpoint, "agentSocketPath")}`,
      "configuration",
    );
  }
  return new DialFailure(error.message, "protocol");
}

function authConfig(endpoint: Endpoint): ConnectConfig {
  return {
    username: endpoint.user,
    privateKey: endpoint.privateKey,
    passphrase: endpoint.privateKeyPassword,
    password: endpoint.password,
    agent: endpoint.agentSocketPath,
    // Servers that only take passwords through PAM offer keyboard-interactive instead of password.
    tryKeyboard: endpoint.password !== undefined,
  };
}

/** One attempt at an authenticated connection, over `sock` when going through a jump host. */
function dial(endpoint: Endpoint, policy: HostKeyPolicy, sock?: Duplex): Promise<Client> {
  const { Client: Ssh2Client } = require("ssh2") as typeof import("ssh2");
  const client = new Ssh2Client();
  let rejection: { reason: string; fingerprint: string } | undefined;
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (failure: DialFailure): void => {
      if (settled) {
        return;
      }
      settled = true;
      client.end();
      sock?.destroy();
      reject(failure);
    };
    client.on("keyboard-interactive", (_name, _instructions, _lang, prompts, finish) => {
      finish(prompts.map(() => endpoint.password ?? ""));
    });
    client.once("ready", () => {
      settled = true;
      resolve(client);
    });
    client.on("error", (error: Ssh2Error) => {
      if (rejection) {
        fail(new DialFailure(rejection.reason, "host-key", rejection.fingerprint));
      } else {
        fail(classify(error, endpoint, policy.algorithms !== undefined));
      }
    });
    client.on("close", () => fail(new DialFailure("the server closed the connection during login", "unreachable")));
    const config: ConnectConfig = {
      ...authConfig(endpoint),
      host: endpoint.host,
      port: endpoint.port,
      sock,
      readyTimeout: endpoint.connectTimeoutSeconds * 1000,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      algorithms: policy.algorithms ? { serverHostKey: policy.algorithms } : undefined,
      hostVerifier: (key: Buffer): boolean => {
        const decision = policy.verify(key);
        if (!decision.accepted) {
          rejection = { reason: decision.reason, fingerprint: sha256Fingerprint(key) };
        }
        return decision.accepted;
      },
    };
    try {
      client.connect(config);
    } catch (error) {
      // ssh2 throws synchronously on unusable credentials (unparsable key, wrong passphrase).
      const credentials = describeCredentials(endpoint);
      const cause = (error as Error).message;
      fail(new DialFailure(`cannot use the configured credentials (${credentials}): ${cause}`, "configuration"));
    }
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Dials until connected, retrying only while the host is unreachable (refused, timed out, reset),
 * up to dialErrorLimit attempts; wrong credentials and host keys fail at once, since retrying
 * cannot fix them and would only delay the message.
 */
async function dialWithRetries(
  endpoint: Endpoint,
  target: string,
  openSocket?: () => Promise<Duplex>,
): Promise<Client> {
  let policy: HostKeyPolicy;
  try {
    policy = hostKeyPolicy(endpoint);
  } catch (error) {
    const message = `ssh ${target}: ${visibleText((error as Error).message)}`;
    throw new SshConnectionError(message, target, "configuration", 0);
  }
  const attemptsAllowed = Math.max(1, endpoint.dialErrorLimit);
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const sock = openSocket ? await openSocket() : undefined;
      return await dial(endpoint, policy, sock);
    } catch (error) {
      const failure =
        error instanceof DialFailure ? error : classify(error as Ssh2Error, endpoint, policy.algorithms !== undefined);
      if (failure.failure === "host-key") {
        throw new HostKeyVerificationError(`ssh ${target}: ${failure.message}`, target, failure.actualFingerprint);
      }
      if (failure.failure !== "unreachable" || attempt >= attemptsAllowed) {
        const elapsed = ((Date.now() - started) / 1000).toFixed(1);
        const hint =
          failure.failure === "unreachable"
            ? ` — check ${settingKey(endpoint, "host")}, ${settingKey(endpoint, "port")} and that sshd runs`
            : "";
        const tries = attempt > 1 ? ` (${attempt} attempts over ${elapsed}s)` : "";
        throw new SshConnectionError(
          `ssh ${target}: ${failure.message}${tries}${hint}`,
          target,
          failure.failure,
          attempt,
        );
      }
      await delay(Math.min(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS));
    }
  }
}

function forwardOut(jump: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    jump.forwardOut("127.0.0.1", 0, host, port, (error, channel) => (error ? reject(error) : resolve(channel)));
  });
}

function endAndWait(client: Client): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.destroy();
      resolve();
    }, CLOSE_GRACE_MS);
    client.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
}

/**
 * Connects to conn (through conn.proxy when set) and returns the authenticated connection.
 * `label` (a node name) goes in front of user@host:port in every message about this connection.
 */
export async function openLink(conn: Connection, label?: string): Promise<SshLink> {
  const target = label !== undefined ? `${visibleText(label)} (${describeTarget(conn)})` : describeTarget(conn);
  let jump: Client | undefined;
  let jumpError: Error | undefined;
  if (conn.proxy) {
    const jumpHost = conn.proxy;
    jump = await dialWithRetries(jumpHost, `${describeTarget(jumpHost)} (jump host for ${target})`);
    jump.on("error", (error: Error) => (jumpError = error));
  }
  const viaJump = jump;
  let client: Client;
  try {
    client = await dialWithRetries(conn, target, viaJump ? () => forwardOut(viaJump, conn.host, conn.port) : undefined);
  } catch (error) {
    if (viaJump) {
      await endAndWait(viaJump);
    }
    throw error;
  }
  let clientError: Error | undefined;
  // Without a listener, an 'error' after login (reset, keepalive timeout) would crash the process;
  // it is kept here and reported by whatever command the broken connection interrupts.
  client.on("error", (error: Error) => (clientError = error));
  // A connection the server side ended without an error (its sshd session killed, the host rebooting) closes
  // the channels without an exit status; ssh2 emits 'close' before it closes them, so commands see this first.
  let closedByServer = false;
  let closing = false;
  client.on("close", () => (closedByServer = !closing));
  return {
    client,
    target,
    lastError: () =>
      clientError ?? jumpError ?? (closedByServer ? new Error("the server closed the connection") : undefined),
    close: async () => {
      closing = true;
      await endAndWait(client);
      if (viaJump) {
        await endAndWait(viaJump);
      }
    },
  };
}
