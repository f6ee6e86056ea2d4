// What the user sees while the providers work on the hosts. Every line a host prints streams live, as an
// ephemeral message (engine-log.ts): shown while it is the latest, never repeated in the Diagnostics section at
// the end. What stays there is what matters once the run is over: per node, each step and how long it took,
// and warnings (kubeadm's own and ours); a failed step's error is shown by the engine under its resource. Every
// line names the node and the step, because the engine shows them all on the stack's row (a dynamic provider
// is not told which resource it works for). Lines arrive already masked by the SSH layer.
import type { OutputStream } from "../../ssh";
import { log } from "./engine-log";

export type ProgressSink = (line: string, stream: OutputStream) => void;

/**
 * Host lines kept as warnings: kubeadm's preflight `[WARNING Name]: ...` and kubectl's `Warning: ...` (the
 * API server's warnings). klog's `W0102 ...` lines are not: kubeadm uses them for routine notes (reset's "No
 * kubeadm config, using etcd pod spec") that would read as alarms on a clean run.
 */
const WARNING_LINE = /^\s*(\[WARNING [^\]]*\]|Warning: )/;
/** kubectl drain's note on DaemonSet Pods is what `--ignore-daemonsets` (node/drain.ts) asks for, on every drain. */
const EXPECTED_WARNING = /^\s*Warning: ignoring DaemonSet-managed Pods/;

/**
 * At most one streamed line per node and second: a terminal shows only the latest line anyway, and a log (piped
 * output, CI) would otherwise get every line of every host as a row of its own.
 */
export const STREAM_INTERVAL_MS = 1000;

/** `PULUMI_KUBEADM_HOST_OUTPUT=all` streams every line: for following a host closely, or a log that must be whole. */
export const HOST_OUTPUT_ENV = "PULUMI_KUBEADM_HOST_OUTPUT";

function streamInterval(): number {
  return process.env[HOST_OUTPUT_ENV] === "all" ? 0 : STREAM_INTERVAL_MS;
}

const STREAM_KEY = "__pulumiKubeadmStreamed";

/**
 * When each node last streamed a line, per process and looked up at run time (a captured Map would be copied
 * into every serialized provider, each with its own pace).
 */
function lastStreamed(): Map<string, number> {
  const global = globalThis as { [STREAM_KEY]?: Map<string, number> };
  return (global[STREAM_KEY] ??= new Map());
}

/** Streams one ephemeral line unless the node streamed one less than a second ago. */
function stream(node: string, message: string, now: () => number): void {
  const at = now();
  if (at - (lastStreamed().get(node) ?? -Infinity) < streamInterval()) return;
  lastStreamed().set(node, at);
  void log({ severity: "info", message, ephemeral: true });
}

/** A sink that streams `[node] step: line`, e.g. `[master01] kubeadm init: [certs] Generating "ca" ...`. */
export function progress(node: string, step: string, now: () => number = Date.now): ProgressSink {
  return (line) => {
    if (line.trim() === "") return;
    if (WARNING_LINE.test(line) && !EXPECTED_WARNING.test(line)) {
      void log({ severity: "warning", message: `[${node}] ${step}: ${line.trim()}`, ephemeral: false });
      return;
    }
    stream(node, `[${node}] ${step}: ${line}`, now);
  };
}

/** A one-line announcement that a step starts, so slow steps are never silent; gone once the next line comes. */
export function announce(node: string, step: string, detail = ""): void {
  void log({ severity: "info", message: `[${node}] ${step}${detail ? `: ${detail}` : ""}`, ephemeral: true });
}

/** A line that stays: what a step came to, e.g. `[master01] kubeadm init: done in 23s`. */
export function summary(node: string, step: string, outcome: string): void {
  void log({ severity: "info", message: `[${node}] ${step}: ${outcome}`, ephemeral: false });
}

/** A warning that stays: the operation goes on (or succeeds), but the user should know what was skipped. */
export function warning(node: string, message: string): void {
  void log({ severity: "warning", message: `[${node}] ${message}`, ephemeral: false });
}

/** "0.4s", "23s", "2m05s": precise where it is short, readable where it is long. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
}
