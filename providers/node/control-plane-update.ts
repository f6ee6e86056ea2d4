// In-place changes of any control-plane node, the first (master-node/update.ts) or a joined one
// (control-plane-join/update.ts), through kubeadm's own phases (the why of each is in master-node/diff.ts). The
// config is re-rendered from the new settings and uploaded for the phases, then removed.
//
// Order: first what only writes files on the node (the API server certificate, the control-plane and etcd
// manifests, the kubelet's settings), then a wait until the API server is ready again, and only then what needs
// the API server (the kubeadm-config upload, add-ons, taint, labels). Putting a bad flag back must repair the node
// without a working API server: an update that needed the API first could never get to rewriting the manifest
// that broke it. And the kubeadm-config ConfigMap only ever records settings the control plane ran with. A failed
// step leaves the old outputs in state with the update's paths marked unfinished (shared/unfinished-update.ts), so
// the next `pulumi up` runs the update again, whether the settings were put back or kept; every step is idempotent.
import type { ExtraArgs } from "../../config/schema";
import type { Connection } from "../../config/spec";
import { renderInitConfig } from "../../kubeadm/init-config";
import { SecretMasker, shellCommand, shellQuote, type RemoteSession } from "../../ssh";
import { kubectl, labelArgs, retrying, taintCommand } from "./kubectl";
import { renderTarget, type ClusterSettings, type NodeSettings } from "./settings";
import {
  ADMIN_CONF_PATH,
  APISERVER_CERT_PATH,
  APISERVER_KEY_PATH,
  APISERVER_MANIFEST_PATH,
  INIT_CONFIG_PATH,
  removeRemoteFile,
  uploadKubeadmConfig,
} from "./remote-files";
import { waitForHealthyKubelet } from "./kubelet-health";
import { runStepCommand } from "../shared/step-errors";
import { placeKubeVip } from "./kube-vip-static-pod";
import type { StepReporter } from "../shared/step-reporter";
import { takeEtcdSnapshot, type EtcdSnapshot } from "./etcd-snapshot";

export type ControlPlaneComponent = "apiserver" | "controller-manager" | "scheduler";

const COMPONENT_ARGS: [string, ControlPlaneComponent][] = [
  ["cluster.apiServer.extraArgs", "apiserver"],
  ["cluster.controllerManager.extraArgs", "controller-manager"],
  ["cluster.scheduler.extraArgs", "scheduler"],
];

/** What any control-plane node updates in place (the why of each: master-node/diff.ts). */
export const CONTROL_PLANE_UPDATE_PATHS = [
  ...COMPONENT_ARGS.map(([path]) => path),
  "cluster.apiServer.certSANs",
  "cluster.imageRepository",
  "cluster.kubelet.extraArgs",
  "cluster.schedulableControlPlane",
  "cluster.kubeVip",
  "node.labels",
] as const;

/** The in-place work an update does, in the order updateSteps runs it. */
export interface ControlPlaneUpdatePlan {
  /** Re-issue the API server certificate (certSANs changed). */
  apiserverCertificate: boolean;
  /** Control-plane static Pods to re-render; all three when the image repository changed. */
  components: ControlPlaneComponent[];
  /** Re-render etcd's manifest and re-apply the CoreDNS and kube-proxy add-ons (image repository). */
  etcdAndAddons: boolean;
  /** Upload the new ClusterConfiguration to the kubeadm-config ConfigMap. */
  uploadClusterConfiguration: boolean;
  /** `kubeadm init phase kubelet-start` (kubelet extra args). */
  kubelet: boolean;
  /** Add or remove the control-plane taint. */
  taint: boolean;
  /** Relabel the Node. */
  labels: boolean;
}

/** The in-place work for a list of changed update paths (shared with joined control-plane nodes). */
export function updatePlan(updates: string[]): ControlPlaneUpdatePlan {
  const has = (path: string) => updates.includes(path);
  const imageRepository = has("cluster.imageRepository");
  const components = imageRepository
    ? COMPONENT_ARGS.map(([, component]) => component)
    : COMPONENT_ARGS.filter(([path]) => has(path)).map(([, component]) => component);
  const apiserverCertificate = has("cluster.apiServer.certSANs");
  return {
    apiserverCertificate,
    components,
    etcdAndAddons: imageRepository,
    uploadClusterConfiguration: components.length > 0 || apiserverCertificate,
    kubelet: has("cluster.kubelet.extraArgs"),
    taint: has("cluster.schedulableControlPlane"),
    labels: has("node.labels"),
  };
}

/** True when the plan has anything to do on the host. */
export function hasRemoteWork(plan: ControlPlaneUpdatePlan): boolean {
  return (
    plan.apiserverCertificate ||
    plan.components.length > 0 ||
    plan.etcdAndAddons ||
    plan.uploadClusterConfiguration ||
    plan.kubelet ||
    plan.taint ||
    plan.labels
  );
}

const API_RETRIES = 30;
const API_RETRY_DELAY_SECONDS = 2;
/** Restarted static Pods can take a while: up to 3 minutes for the API server to be ready again. */
const READY_RETRIES = 90;

export interface UpdateStep {
  /** Shown as the step name. */
  step: string;
  command: string;
}

const kubeadmPhase = (...args: string[]) =>
  shellCommand(["kubeadm", "init", "phase", ...args, "--config", INIT_CONFIG_PATH]);

/**
 * Re-issues the API server certificate for new SANs. kubeadm keeps an existing certificate, so the old pair
 * is moved aside first, and put back when the phase fails (the running API server keeps serving either way:
 * it reloads its serving certificate from disk when the files change).
 */
export function apiserverCertificateScript(): string {
  const files = [APISERVER_CERT_PATH, APISERVER_KEY_PATH];
  const aside = (path: string) => shellQuote(`${path}.pulumi-kubeadm-old`);
  return [
    ...files.map((f) => `if [ -e ${shellQuote(f)} ]; then mv -f ${shellQuote(f)} ${aside(f)}; fi`),
    `if ${kubeadmPhase("certs", "apiserver")}; then`,
    ...files.map((f) => `  rm -f ${aside(f)}`),
    "else",
    "  status=$?",
    ...files.map((f) => `  if [ -e ${aside(f)} ]; then mv -f ${aside(f)} ${shellQuote(f)}; fi`),
    "  exit $status",
    "fi",
  ].join("\n");
}

/** How long the kubelet may take to stop an API server whose manifest was rewritten (its grace period is 30 s). */
const REPLACED_APISERVER_SECONDS = 60;

/**
 * Runs a phase that may rewrite the API server's manifest and, when it did, waits until the kubelet has stopped the
 * API server that ran before. Otherwise the wait for the API server could be answered by the old one, still running
 * for a moment with the old flags: an update with a flag that makes the API server crash would succeed and store
 * the flag, and the update that puts it back would find no API server for the steps after the manifests.
 */
export function replacingApiServer(command: string, manifestPath = APISERVER_MANIFEST_PATH): string {
  const manifest = shellQuote(manifestPath);
  return [
    `before=$(cat ${manifest} 2>/dev/null | cksum)`,
    "running=$(pgrep -x kube-apiserver | head -n 1)",
    `${command} || exit $?`,
    `if [ -n "$running" ] && [ "$(cat ${manifest} 2>/dev/null | cksum)" != "$before" ]; then`,
    "  waited=0",
    `  while kill -0 "$running" 2>/dev/null && [ "$waited" -lt ${REPLACED_APISERVER_SECONDS} ]; do`,
    "    waited=$((waited + 1))",
    "    sleep 1",
    "  done",
    "fi",
  ].join("\n");
}

/** Exits of kube-apiserver's container after which the wait stops: the kubelet restarts a crashing one with backoff. */
const APISERVER_CRASHES = 2;
/** The crashed API server's last log lines shown: its flag errors are there. */
const APISERVER_LOG_LINES = 5;

/**
 * Waits until the API server is ready again, up to 3 minutes, but stops as soon as kube-apiserver's container has
 * exited twice since the wait began (a flag it refuses, a certificate it cannot read) and shows its last log lines:
 * waiting out the 3 minutes would only delay the same error. The kubelet keeps only the latest exited container of
 * a static Pod, so the exits are counted as they are seen, not listed at once. Without crictl on the node it just
 * waits.
 */
export function waitForApiServer(): string {
  const exited = "crictl ps -a --name '^kube-apiserver$' --state exited -q 2>/dev/null";
  return [
    "before=$(mktemp) && seen=$(mktemp) || exit 1",
    'trap \'rm -f "$before" "$seen"\' EXIT',
    `${exited} > "$before"`,
    "n=1",
    `until ${kubectl(["get", "--raw=/readyz"])} >/dev/null 2>&1; do`,
    `  ${exited} | grep -vxFf "$before" >>"$seen"`,
    // Each exited container once, oldest first.
    `  crashed=$(awk '!counted[$0]++' "$seen")`,
    `  if [ "$(printf '%s' "$crashed" | grep -c .)" -ge ${APISERVER_CRASHES} ]; then`,
    `    echo "error: kube-apiserver exited $(printf '%s\\n' "$crashed" | grep -c .) times since the wait began; its last lines:" >&2`,
    `    crictl logs --tail ${APISERVER_LOG_LINES} "$(printf '%s\\n' "$crashed" | tail -n 1)" >&2 2>&1`,
    "    exit 1",
    "  fi",
    `  if [ "$n" -ge ${READY_RETRIES} ]; then exit 1; fi`,
    "  n=$((n + 1))",
    "  sleep 2",
    "done",
  ].join("\n");
}

/** What an update needs to know about the node beyond the plan. */
export interface UpdateTarget {
  name: string;
  oldLabels: Record<string, string>;
  newLabels: Record<string, string>;
  schedulable: boolean;
  /** The kubelet's flags after the update (its healthz port is waited on after kubelet-start). */
  kubeletArgs: ExtraArgs;
  /**
   * "first": the node `kubeadm init` ran on, which also keeps the cluster-wide state (the kubeadm-config
   * ConfigMap, the CoreDNS and kube-proxy add-ons); "joined": another control-plane node, whose update only
   * concerns its own certificates, static Pods, kubelet, taint and labels.
   */
  scope: "first" | "joined";
}

/** The commands an update runs, in order. Pure, so tests can check exactly what runs. */
export function updateSteps(plan: ControlPlaneUpdatePlan, target: UpdateTarget): UpdateStep[] {
  const { name } = target;
  const first = target.scope === "first";
  const api = (command: string) => retrying(command, API_RETRIES, API_RETRY_DELAY_SECONDS);
  const steps: UpdateStep[] = [];
  if (plan.apiserverCertificate) {
    steps.push({ step: "certs apiserver", command: apiserverCertificateScript() });
  }
  if (plan.etcdAndAddons) {
    steps.push({ step: "control-plane all", command: replacingApiServer(kubeadmPhase("control-plane", "all")) });
    steps.push({ step: "etcd local", command: kubeadmPhase("etcd", "local") });
  } else {
    for (const component of plan.components) {
      const phase = kubeadmPhase("control-plane", component);
      const command = component === "apiserver" ? replacingApiServer(phase) : phase;
      steps.push({ step: `control-plane ${component}`, command });
    }
  }
  if (plan.kubelet) {
    steps.push({ step: "kubelet-start", command: kubeadmPhase("kubelet-start") });
    steps.push({ step: "wait for the kubelet", command: waitForHealthyKubelet(target.kubeletArgs) });
  }
  if (plan.components.length > 0 || plan.etcdAndAddons || plan.kubelet) {
    steps.push({ step: "wait for the API server", command: waitForApiServer() });
  }
  if (plan.uploadClusterConfiguration && first) {
    steps.push({ step: "upload-config kubeadm", command: api(kubeadmPhase("upload-config", "kubeadm")) });
  }
  if (plan.etcdAndAddons && first) {
    steps.push({ step: "addon all", command: api(kubeadmPhase("addon", "all")) });
  }
  if (plan.taint) {
    steps.push({ step: "control-plane taint", command: api(taintCommand(name, target.schedulable)) });
  }
  if (plan.labels) {
    const args = labelArgs(name, target.oldLabels, target.newLabels);
    if (args !== undefined) steps.push({ step: "labels", command: api(kubectl(args)) });
  }
  return steps;
}

/** Whether the steps need the kubeadm config on the host. */
function needsConfig(plan: ControlPlaneUpdatePlan): boolean {
  return (
    plan.apiserverCertificate ||
    plan.uploadClusterConfiguration ||
    plan.etcdAndAddons ||
    plan.components.length > 0 ||
    plan.kubelet
  );
}

export interface ApplyUpdateOptions {
  plan: ControlPlaneUpdatePlan;
  target: UpdateTarget;
  /** The InitConfiguration the phases read, written for the duration of the update. */
  config: string;
  reporter: StepReporter;
  masker: SecretMasker;
}

/**
 * Runs the update's steps on a control-plane node (the kubeadm config written first and removed after) and
 * returns the admin kubeconfig as it is afterwards.
 */
export async function applyControlPlaneUpdate(
  session: RemoteSession,
  opts: ApplyUpdateOptions,
): Promise<string | undefined> {
  const { plan, reporter, masker } = opts;
  if (needsConfig(plan)) await uploadKubeadmConfig(session, INIT_CONFIG_PATH, opts.config);
  try {
    for (const { step, command } of updateSteps(plan, opts.target)) {
      reporter.begin(step);
      await runStepCommand(session, command, {
        step,
        summary: step,
        outcome: "The update stopped there; `pulumi up` runs it again.",
        masker,
      });
    }
  } finally {
    if (needsConfig(plan)) await removeRemoteFile(session, INIT_CONFIG_PATH).catch(() => undefined);
  }
  return session.readFile(ADMIN_CONF_PATH);
}

export interface ControlPlaneNodeUpdate {
  plan: ControlPlaneUpdatePlan;
  target: UpdateTarget;
  /** The node's new settings, rendered into the InitConfiguration the phases read. */
  settings: { cluster: ClusterSettings; node: NodeSettings; connection: Connection };
  /** The phases used here create no tokens, but the renderer wants a complete InitConfiguration. */
  bootstrapToken: string;
  /** kube-vip's settings changed: its static Pod is rewritten (or removed). */
  kubeVipChanged: boolean;
  reporter: StepReporter;
  masker: SecretMasker;
}

/** Whether a plan restarts what runs the control plane (static Pods, their certificates, the kubelet). */
export function restartsControlPlane(plan: ControlPlaneUpdatePlan): boolean {
  return plan.apiserverCertificate || plan.components.length > 0 || plan.etcdAndAddons || plan.kubelet;
}

/**
 * The in-place update of any control-plane node, the first or a joined one: an etcd snapshot when the update
 * restarts what runs the control plane (etcdSnapshots.beforeChanges), the kubeadm phases, then kube-vip's static
 * Pod. Returns the admin kubeconfig as it is afterwards, and the snapshot.
 */
export async function updateControlPlaneNode(
  session: RemoteSession,
  update: ControlPlaneNodeUpdate,
): Promise<{ admin?: string; snapshot?: EtcdSnapshot }> {
  const { cluster, node, connection } = update.settings;
  const { reporter } = update;
  const snapshots = cluster.etcdSnapshots;
  const snapshot =
    snapshots?.beforeChanges !== false && restartsControlPlane(update.plan)
      ? await takeEtcdSnapshot(session, node.name, snapshots?.keep ?? 3, reporter)
      : undefined;
  const rendered = renderTarget(cluster, node, connection);
  const config = renderInitConfig(rendered.spec, rendered.node, {
    bootstrapToken: update.bootstrapToken,
    tokenTtl: cluster.joinTokenTtl,
  });
  const admin = await applyControlPlaneUpdate(session, {
    plan: update.plan,
    target: update.target,
    config,
    reporter,
    masker: update.masker,
  });
  if (update.kubeVipChanged) {
    reporter.begin("kube-vip", cluster.kubeVip ? "rewriting its static Pod" : "removing its static Pod");
    await placeKubeVip(session, cluster);
  }
  reporter.done("updated");
  return { admin, snapshot };
}
