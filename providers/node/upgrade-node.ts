// One node's move to another Kubernetes version, kubeadm's documented sequence ("Upgrading kubeadm clusters"):
// kubeadm first; on the first control plane `kubeadm upgrade plan` and `kubeadm upgrade apply` (the control plane,
// etcd, CoreDNS and kube-proxy, certificates renewed), on the other nodes `kubeadm upgrade node`; then the node is
// drained, its kubelet and kubectl move, the kubelet restarts, and the node is uncordoned.
//
// Every stage is decided by what the node shows, never by what an earlier run remembers: kubeadm's version, the
// API server manifest's image tag, the kubelet the API server sees. So a `pulumi up` that was interrupted anywhere
// (killed, a lost connection, a drain that timed out) is finished by the next one, which skips what is done.
import { normalizeKubernetesVersion } from "../../config/version";
import { CGROUP_V1_PREFLIGHT_CHECK } from "../../kubeadm/node-registration";
import { shellCommand, type RemoteSession, type SecretMasker } from "../../ssh";
import { drainNode } from "./drain";
import { kubectl, retrying } from "./kubectl";
import { kubeletArgsFor } from "./kubelet-flags";
import { waitForHealthyKubelet } from "./kubelet-health";
import { installKubernetesPackages, type KubernetesPackage } from "./kubernetes-packages";
import { APISERVER_MANIFEST_PATH } from "./remote-files";
import type { ClusterSettings, NodeSettings } from "./settings";
import { stepFailure } from "../shared/step-errors";
import type { StepReporter } from "../shared/step-reporter";

/** "first": the node `kubeadm init` ran on, which runs `kubeadm upgrade apply` for the whole cluster. */
export type UpgradeRole = "first" | "control-plane" | "worker";

/**
 * Put on a node the upgrade cordoned, taken off with the cordon: the uncordon at the end (of this run or of the one
 * that resumes it) only lifts a cordon the upgrade made, never one an administrator set before.
 */
export const UPGRADE_CORDON_ANNOTATION = "pulumi-kubeadm.io/cordoned-for-upgrade";

export interface NodeUpgrade {
  role: UpgradeRole;
  /** The node's settings after the change: cluster.kubernetesVersion is the target. */
  cluster: ClusterSettings;
  node: NodeSettings;
  reporter: StepReporter;
  masker: SecretMasker;
}

export interface UpgradeSessions {
  /** The node being upgraded. */
  node: RemoteSession;
  /** Where kubectl runs with the admin kubeconfig: the node itself on a control plane, else the first one. */
  kubectlOn: RemoteSession;
}

/** What the node itself shows: versions in kubeadm's "v1.35.4" form, "" when absent. */
export interface NodeVersions {
  kubeadm: string;
  kubelet: string;
  /** The tag of the API server's image in its static Pod manifest (control planes only). */
  apiServer: string;
}

export function nodeVersionsScript(manifestPath = APISERVER_MANIFEST_PATH): string {
  const manifest = shellCommand([manifestPath]);
  return [
    'echo "kubeadm=$(kubeadm version -o short 2>/dev/null)"',
    "echo \"kubelet=$(kubelet --version 2>/dev/null | awk '{ print $2 }')\"",
    `echo "apiserver=$(sed -n 's/^[[:space:]]*image:[[:space:]]*[^[:space:]]*:\\(v[0-9][^[:space:]"]*\\)"*[[:space:]]*$/\\1/p' ${manifest} 2>/dev/null | head -n 1)"`,
  ].join("\n");
}

export function parseNodeVersions(stdout: string): NodeVersions {
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(stdout)?.[1]?.trim() ?? "";
  return { kubeadm: value("kubeadm"), kubelet: value("kubelet"), apiServer: value("apiserver") };
}

/** What the API server shows of the node. */
export interface ApiNode {
  kubeletVersion: string;
  unschedulable: boolean;
  cordonedForUpgrade: boolean;
}

const API_NODE_TEMPLATE =
  '{.status.nodeInfo.kubeletVersion}{"\\n"}{.spec.unschedulable}{"\\n"}' +
  `{.metadata.annotations.${UPGRADE_CORDON_ANNOTATION.replace(/\./g, "\\.")}}{"\\n"}`;

export function parseApiNode(stdout: string): ApiNode {
  const [kubeletVersion = "", unschedulable = "", annotation = ""] = stdout.split("\n").map((line) => line.trim());
  return { kubeletVersion, unschedulable: unschedulable === "true", cordonedForUpgrade: annotation !== "" };
}

async function readApiNode(session: RemoteSession, name: string): Promise<ApiNode> {
  const result = await session.run(
    retrying(kubectl(["get", "node", name, `-o=jsonpath=${API_NODE_TEMPLATE}`]), 30, 2),
    {
      streamOutput: false,
      summary: `kubectl get node ${name}`,
    },
  );
  return parseApiNode(result.stdout);
}

/** The stages of one node's upgrade, from what the node and the API server show now; pure, for tests and progress. */
export function upgradeStages(role: UpgradeRole, target: string, versions: NodeVersions, api: ApiNode): string[] {
  const stages: string[] = [];
  if (versions.kubeadm !== target) stages.push("kubeadm package");
  if (role === "first" && versions.apiServer !== target) stages.push("kubeadm upgrade plan", "kubeadm upgrade apply");
  if (role === "control-plane" && versions.apiServer !== target) stages.push("kubeadm upgrade node");
  const kubeletBehind = api.kubeletVersion !== target || versions.kubelet !== target;
  if (kubeletBehind) {
    if (role === "worker") stages.push("kubeadm upgrade node");
    stages.push("drain", "kubelet and kubectl packages", "kubelet restart");
  }
  if (kubeletBehind || api.cordonedForUpgrade) stages.push("uncordon");
  return stages;
}

/** Waits for the kubelet the API server sees on `name` to report `target`, after its restart. */
function waitForKubeletVersion(name: string, target: string): string {
  const get = kubectl(["get", "node", name, "-o=jsonpath={.status.nodeInfo.kubeletVersion}"]);
  return retrying(`[ "$(${get} 2>/dev/null)" = ${shellCommand([target])} ]`, 90, 2);
}

/**
 * Upgrades one node to cluster.kubernetesVersion. Throws a KubeadmStepError naming the node and the stage, with
 * kubeadm's own error lines; what is done stays done and the next `pulumi up` goes on from there.
 */
export async function upgradeNode(sessions: UpgradeSessions, upgrade: NodeUpgrade): Promise<void> {
  const { node: session, kubectlOn } = sessions;
  const { reporter, masker, role } = upgrade;
  const name = upgrade.node.name;
  const target = normalizeKubernetesVersion(upgrade.cluster.kubernetesVersion);
  const outcome = (stage: string) =>
    `The upgrade of ${name} to ${target} stopped at ${stage}; nodes after it were not touched. ` +
    "`pulumi up` goes on from what the node shows then.";
  const run = async (stage: string, command: string, summary = stage) => {
    reporter.begin(`upgrade: ${stage}`);
    const result = await session.run(command, { allowFailure: true, summary }).catch((cause) => {
      throw stepFailure({ target: session.target, step: `upgrade: ${stage}`, cause, outcome: outcome(stage), masker });
    });
    if (result.code !== 0) {
      throw stepFailure({
        target: session.target,
        step: `upgrade: ${stage}`,
        exitCode: result.code,
        output: `${result.stdout}\n${result.stderr}`,
        outcome: outcome(stage),
        masker,
      });
    }
  };
  const packages = (names: KubernetesPackage[]) => installKubernetesPackages(upgrade.cluster, names);
  // As at init and join (kubeadm/node-registration.ts): on cgroup v1 hosts the user allowed, that one check is skipped.
  const preflight = upgrade.cluster.kubelet.allowCgroupV1
    ? [`--ignore-preflight-errors=${CGROUP_V1_PREFLIGHT_CHECK}`]
    : [];

  const versions = parseNodeVersions(
    (await session.run(nodeVersionsScript(), { streamOutput: false, summary: "read the node's versions" })).stdout,
  );
  let api = await readApiNode(kubectlOn, name);
  const stages = upgradeStages(role, target, versions, api);
  if (stages.length === 0) return;
  reporter.begin("upgrade", `to ${target}: ${stages.join(", ")}`);

  if (stages.includes("kubeadm package"))
    await run("kubeadm package", packages(["kubeadm"]), `install kubeadm ${target}`);
  if (role === "first" && stages.includes("kubeadm upgrade apply")) {
    await run("kubeadm upgrade plan", shellCommand(["kubeadm", "upgrade", "plan", target]));
    await run("kubeadm upgrade apply", shellCommand(["kubeadm", "upgrade", "apply", target, "--yes", ...preflight]));
  }
  if (stages.includes("kubeadm upgrade node"))
    await run("kubeadm upgrade node", shellCommand(["kubeadm", "upgrade", "node", ...preflight]));

  if (stages.includes("drain")) {
    if (!api.unschedulable) {
      reporter.begin("upgrade: cordon");
      const annotate = kubectl(["annotate", "node", name, "--overwrite", `${UPGRADE_CORDON_ANNOTATION}=${target}`]);
      await kubectlOn.run(`${annotate} >/dev/null && ${kubectl(["cordon", name])}`, {
        summary: `kubectl cordon ${name}`,
      });
    }
    await drainNode(kubectlOn, name, upgrade.cluster.drain, {
      on: kubectlOn.target,
      reporter,
      masker,
      failed: `drain of node ${name} before its upgrade failed on ${kubectlOn.target}`,
      subject: `The node ${name}`,
      purpose: { notDone: "was not upgraded", anyway: "upgrade it anyway", goesOn: "the upgrade goes on" },
    });
    await run(
      "kubelet and kubectl packages",
      packages(["kubelet", "kubectl"]),
      `install kubelet and kubectl ${target}`,
    );
    await run(
      "kubelet restart",
      [
        `${shellCommand(["systemctl", "daemon-reload"])} || exit $?`,
        `${shellCommand(["systemctl", "restart", "kubelet"])} || exit $?`,
        waitForHealthyKubelet(kubeletArgsFor(upgrade.cluster, upgrade.node)),
      ].join("\n"),
      "systemctl restart kubelet, then wait for its healthz",
    );
    reporter.begin("upgrade: kubelet version", `waiting until the API server sees ${name}'s kubelet at ${target}`);
    const seen = await kubectlOn.run(waitForKubeletVersion(name, target), {
      allowFailure: true,
      streamOutput: false,
      summary: `wait for node ${name} to report ${target}`,
    });
    if (seen.code !== 0) {
      throw stepFailure({
        target: session.target,
        step: "upgrade: kubelet version",
        outcome: `${name}'s kubelet restarted but the API server does not see it at ${target} within 3 minutes. ${outcome("the kubelet's restart")}`,
        masker,
      });
    }
    api = await readApiNode(kubectlOn, name);
  }
  if (api.cordonedForUpgrade) {
    reporter.begin("upgrade: uncordon");
    const unannotate = kubectl(["annotate", "node", name, `${UPGRADE_CORDON_ANNOTATION}-`]);
    await kubectlOn.run(retrying(`${kubectl(["uncordon", name])} && ${unannotate} >/dev/null`, 15, 2), {
      summary: `kubectl uncordon ${name}`,
    });
  }
  reporter.begin("upgrade", `${name} is at ${target}`);
}
