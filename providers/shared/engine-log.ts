// The engine's log service, reached from inside the dynamic-provider process. Whatever that process prints on
// stdout the engine logs as permanent info lines of the stack (pkg/resource/plugin/plugin.go), so the
// Diagnostics section at the end of `pulumi up` repeats every line a host printed. The engine's Log RPC can
// mark a message ephemeral instead: shown live (the stack row's info column in a terminal, a line of its own in
// non-interactive output) and left out of Diagnostics. The SDK's `log.info(..., ephemeral)` cannot be used
// here: it reads the engine's address from the program's environment (PULUMI_NODEJS_ENGINE), which this
// process does not get; the engine passes it as the process's first argument (cmd/dynamic-provider `main`).
import type { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";

export type Severity = "info" | "warning" | "error";

export interface LogEntry {
  severity: Severity;
  message: string;
  /** Shown while it is current, never repeated in the Diagnostics section. */
  ephemeral: boolean;
}

/** An RPC that takes longer is given up on (its entry printed instead): progress must never stall a step. */
const RPC_DEADLINE_MS = 10_000;

/** The engine's address when this process is the dynamic provider the engine started, else undefined. */
export function engineAddress(argv: readonly string[] = process.argv): string | undefined {
  const [, script, address] = argv;
  if (script === undefined || !/[\\/]cmd[\\/]dynamic-provider([\\/]index\.js)?$/.test(script)) return undefined;
  return address !== undefined && /^[\w.:[\]-]+:\d+$/.test(address) ? address : undefined;
}

/** How an entry reads once shown: the engine prefixes warnings and errors the same way. */
export function renderEntry(entry: LogEntry): string {
  return entry.severity === "info" ? entry.message : `${entry.severity}: ${entry.message}`;
}

/**
 * Without an engine (unit tests, a provider called directly) permanent entries go to stdout and ephemeral ones
 * nowhere: a test run is not flooded with host output. Tests see both through `setLocalLog`.
 */
function printPermanent(entry: LogEntry): void {
  if (!entry.ephemeral) console.log(renderEntry(entry));
}

interface LogState {
  engine?: {
    address: string;
    client: EngineClient;
    /** The engine did not answer once: the rest goes to stdout, as before. */
    broken: boolean;
  };
  /** The last RPC sent: entries reach the engine in order, one at a time, as the SDK's log does. */
  last?: Promise<void>;
  local?: (entry: LogEntry) => void;
}

const STATE_KEY = "__pulumiKubeadmEngineLog";

/**
 * The process's one state, found at run time rather than captured: the closure serializer would copy a
 * module-level object into every provider (each with a client and a queue of its own) and cannot copy a live
 * gRPC client at all, should one exist in the program's process when it serializes a provider.
 */
function logState(): LogState {
  const global = globalThis as { [STATE_KEY]?: LogState };
  return (global[STATE_KEY] ??= {});
}

/** Replaces the no-engine destination (tests); `undefined` restores printing permanent entries to stdout. */
export function setLocalLog(destination: ((entry: LogEntry) => void) | undefined): void {
  logState().local = destination;
}

function engine(address: string): NonNullable<LogState["engine"]> {
  const state = logState();
  if (state.engine?.address !== address) {
    const { credentials } = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
    const { EngineClient: Client } =
      require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof import("@pulumi/pulumi/proto/engine_grpc_pb");
    state.engine = { address, client: new Client(address, credentials.createInsecure()), broken: false };
  }
  return state.engine;
}

function sendToEngine(address: string, entry: LogEntry): Promise<void> {
  const proto = require("@pulumi/pulumi/proto/engine_pb") as typeof import("@pulumi/pulumi/proto/engine_pb");
  const severity = {
    info: proto.LogSeverity.INFO,
    warning: proto.LogSeverity.WARNING,
    error: proto.LogSeverity.ERROR,
  }[entry.severity];
  // No URN: a dynamic provider is not told which resource it works for, so entries belong to the stack.
  const request = new proto.LogRequest()
    .setSeverity(severity)
    .setMessage(entry.message)
    .setUrn("")
    .setStreamid(0)
    .setEphemeral(entry.ephemeral);
  const target = engine(address);
  if (target.broken) {
    printPermanent(entry);
    return Promise.resolve();
  }
  const { Metadata } = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
  return new Promise((resolve) => {
    target.client.log(request, new Metadata(), { deadline: Date.now() + RPC_DEADLINE_MS }, (error) => {
      if (error) {
        target.broken = true;
        printPermanent(entry);
      }
      resolve();
    });
  });
}

/**
 * Sends an entry to the engine, or where entries go without one. Never throws: losing a progress line must not
 * fail a step. The promise settles once the entry is delivered; `flushLog` waits for every entry sent so far.
 */
export function log(entry: LogEntry, address = engineAddress()): Promise<void> {
  const state = logState();
  if (address === undefined) {
    (state.local ?? printPermanent)(entry);
    return Promise.resolve();
  }
  const previous = state.last ?? Promise.resolve();
  const sent = previous.then(() => sendToEngine(address, entry)).catch(() => printPermanent(entry));
  state.last = sent;
  return sent;
}

/** Waits until every entry sent so far has reached the engine: before a provider method returns. */
export async function flushLog(): Promise<void> {
  await logState().last;
}
