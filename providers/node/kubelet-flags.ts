// In-place change of a joined worker's kubelet extra arguments.
//
// kubeadm writes the kubelet's flags to /var/lib/kubelet/kubeadm-flags.env at join time (its own defaults such
// as --container-runtime-endpoint, plus nodeRegistration.kubeletExtraArgs) and has no phase that rewrites them
// on a node that has already joined (`kubeadm join phase kubelet-start` refuses an existing Ready node). So the
// file is edited: the flags of the old extra arguments are taken out, the new ones put in, kubeadm's own flags
// are kept, and the kubelet is restarted. (The control plane uses `kubeadm init phase kubelet-start` instead.)
// Limitation: an extra argument that overrode one of kubeadm's default flags and is then removed leaves the
// flag unset (the kubelet's default) rather than kubeadm's value; re-create the worker to get kubeadm's.
import { isIP } from "net";
import type { ExtraArgs } from "../../config/schema";
import type { ClusterSettings, NodeSettings } from "./settings";

const FLAGS_LINE = /^KUBELET_KUBEADM_ARGS=(["']?)(.*)\1\s*$/;

/**
 * The kubelet flags kubeadm derives from the settings, as kubeadm/node-registration.ts renders them: the
 * cluster's kubelet extra args, plus --node-ip from an IP advertiseAddress unless the user set node-ip.
 */
export function kubeletArgsFor(cluster: Pick<ClusterSettings, "kubelet">, node: NodeSettings): ExtraArgs {
  const args: ExtraArgs = { ...cluster.kubelet.extraArgs };
  if (args["node-ip"] === undefined && isIP(node.advertiseAddress) !== 0) {
    args["node-ip"] = node.advertiseAddress;
  }
  return args;
}

function flagName(flag: string): string {
  const body = flag.replace(/^--?/, "");
  const equals = body.indexOf("=");
  return equals >= 0 ? body.slice(0, equals) : body;
}

/**
 * kubeadm-flags.env with the flags of `before` (and any named in `tried`: written by an update that failed) replaced
 * by those of `after`; other lines and flags stay.
 */
export function rewriteKubeletFlags(
  envFile: string,
  before: ExtraArgs,
  after: ExtraArgs,
  tried: string[] = [],
): string {
  const lines = envFile.replace(/\r\n?/g, "\n").split("\n");
  const index = lines.findIndex((line) => FLAGS_LINE.test(line));
  if (index < 0) {
    throw new Error("kubeadm-flags.env has no KUBELET_KUBEADM_ARGS line");
  }
  const [, quote, value] = FLAGS_LINE.exec(lines[index]) as RegExpExecArray;
  const managed = new Set([...Object.keys(before), ...Object.keys(after), ...tried]);
  const kept = value
    .split(/\s+/)
    .filter((flag) => flag !== "")
    .filter((flag) => !managed.has(flagName(flag)));
  const added = Object.keys(after)
    .sort()
    .map((name) => `--${name}=${after[name]}`);
  const q = quote || '"';
  lines[index] = `KUBELET_KUBEADM_ARGS=${q}${[...kept, ...added].join(" ")}${q}`;
  return lines.join("\n");
}
