// What the user sees while a long remote step runs. The dynamic-provider process has no channel to the
// engine's per-resource log (pulumi#6065); its stdout is shown as info lines, so every line names the
// node and the step itself. Lines arrive already masked by the SSH layer.
import type { OutputStream } from "../ssh";

export type ProgressSink = (line: string, stream: OutputStream) => void;

/** A sink that prints `[node] step: line`, e.g. `[master01] kubeadm init: [certs] Generating "ca" ...`. */
export function progress(node: string, step: string): ProgressSink {
  return (line) => {
    if (line.trim() === "") return;
    console.log(`[${node}] ${step}: ${line}`);
  };
}

/** A one-line announcement that a step starts, so slow steps are never silent. */
export function announce(node: string, step: string, detail = ""): void {
  console.log(`[${node}] ${step}${detail ? `: ${detail}` : ""}`);
}
