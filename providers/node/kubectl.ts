// kubectl on the control-plane host, with the admin kubeconfig kubeadm wrote there. Running it over SSH on the
// control plane (instead of from the machine running Pulumi) works wherever SSH works: the API endpoint is
// often on a private network the Pulumi machine cannot reach.
import { shellCommand, type RemoteSession } from "../../ssh";
import { ADMIN_CONF_PATH, WORK_DIR } from "./remote-files";

// kubectl caches API discovery under $HOME/.kube/cache by default, which `kubeadm reset` leaves behind; in the
// project's working directory the reset script removes it with the rest.
const KUBECTL_CACHE_DIR = `${WORK_DIR}/kubectl-cache`;

/** The control-plane taint kubeadm applies by default (since 1.25). */
export const CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane:NoSchedule";

export function kubectl(args: readonly string[]): string {
  return shellCommand(["kubectl", "--kubeconfig", ADMIN_CONF_PATH, "--cache-dir", KUBECTL_CACHE_DIR, ...args]);
}

/**
 * Runs `command` until it succeeds, at most `attempts` times, `delaySeconds` apart: for API calls right after
 * kubeadm started or restarted the API server. The loop runs on the host, in one SSH command.
 */
export function retrying(command: string, attempts: number, delaySeconds: number): string {
  return [
    "n=1",
    `until ${command}; do`,
    `  if [ "$n" -ge ${attempts} ]; then exit 1; fi`,
    "  n=$((n + 1))",
    `  sleep ${delaySeconds}`,
    "done",
  ].join("\n");
}

export type NodeStatus = { kind: "present" } | { kind: "absent" } | { kind: "unknown"; reason: string };

/** Whether the Node object exists; "unknown" when the API server did not answer. */
export async function nodeStatus(session: RemoteSession, name: string): Promise<NodeStatus> {
  const result = await session.run(kubectl(["get", "node", name, "-o", "name"]), {
    allowFailure: true,
    streamOutput: false,
    summary: `kubectl get node ${name}`,
  });
  if (result.code === 0) return { kind: "present" };
  if (/NotFound|not found/.test(result.stderr)) return { kind: "absent" };
  const reason = (result.stderr.trim() || result.stdout.trim() || `exit status ${result.code}`).split("\n")[0];
  return { kind: "unknown", reason };
}

/**
 * Waits until the API server answers ready (/readyz, which every authenticated user may read, whatever RBAC
 * grants the admin kubeconfig so far): true when it does within about `seconds`.
 */
export async function waitForApiServer(session: RemoteSession, seconds: number): Promise<boolean> {
  const delay = 2;
  const attempts = Math.max(1, Math.ceil(seconds / delay));
  const result = await session.run(retrying(`${kubectl(["get", "--raw=/readyz"])} >/dev/null 2>&1`, attempts, delay), {
    allowFailure: true,
    streamOutput: false,
    timeoutSeconds: seconds + 60,
    summary: "wait for the API server",
  });
  return result.code === 0;
}

/**
 * Waits until the Node object exists (the API server answers and the kubelet registered): true when it does
 * within about `seconds`.
 */
export async function waitForNode(session: RemoteSession, name: string, seconds: number): Promise<boolean> {
  const delay = 2;
  const attempts = Math.max(1, Math.ceil(seconds / delay));
  const result = await session.run(
    retrying(`${kubectl(["get", "node", name, "-o", "name"])} >/dev/null 2>&1`, attempts, delay),
    { allowFailure: true, streamOutput: false, timeoutSeconds: seconds + 60, summary: `wait for node ${name}` },
  );
  return result.code === 0;
}

/** Args of `kubectl label node` that turn the `before` labels into `after`, or undefined when nothing changes. */
export function labelArgs(
  name: string,
  before: Record<string, string>,
  after: Record<string, string>,
): string[] | undefined {
  const removed = Object.keys(before)
    .filter((key) => !(key in after))
    .sort()
    .map((key) => `${key}-`);
  const set = Object.keys(after)
    .filter((key) => before[key] !== after[key])
    .sort()
    .map((key) => `${key}=${after[key]}`);
  if (removed.length + set.length === 0) return undefined;
  return ["label", "node", name, "--overwrite", ...set, ...removed];
}

/** Adds or removes the control-plane NoSchedule taint; idempotent either way. */
export function taintCommand(name: string, schedulable: boolean): string {
  if (schedulable) {
    // Removing a taint that is not there fails ("not found"): that already is the wanted state.
    const remove = kubectl(["taint", "node", name, `${CONTROL_PLANE_TAINT}-`]);
    return `out=$(${remove} 2>&1) || case "$out" in *"not found"*) true ;; *) printf '%s\\n' "$out" >&2; false ;; esac`;
  }
  return kubectl(["taint", "node", name, CONTROL_PLANE_TAINT, "--overwrite"]);
}

/** `kubectl get node <name> -o json`, parsed; undefined when the API server does not answer or it is absent. */
export async function readNodeObject(
  session: RemoteSession,
  name: string,
): Promise<
  { labels: Record<string, string>; taints: { key: string; effect: string }[]; kubeletVersion?: string } | undefined
> {
  const result = await session.run(kubectl(["get", "node", name, "-o", "json"]), {
    allowFailure: true,
    streamOutput: false,
    summary: `kubectl get node ${name} -o json`,
  });
  if (result.code !== 0) return undefined;
  try {
    const node = JSON.parse(result.stdout) as {
      metadata?: { labels?: Record<string, string> };
      spec?: { taints?: { key: string; effect: string }[] };
      status?: { nodeInfo?: { kubeletVersion?: string } };
    };
    return {
      labels: node.metadata?.labels ?? {},
      taints: node.spec?.taints ?? [],
      kubeletVersion: node.status?.nodeInfo?.kubeletVersion,
    };
  } catch {
    return undefined;
  }
}
