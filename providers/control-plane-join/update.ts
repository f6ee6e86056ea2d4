// In-place changes of a joined control-plane node (the why of each is in diff.ts): its part of an upgrade
// (node/upgrade-rollout.ts), then the same kubeadm phases as on the first control-plane node, run on this node, minus the cluster-wide steps the first
// node's update already does (the kubeadm-config ConfigMap, the add-ons).
import { generateBootstrapToken } from "../../kubeadm/token";
import { describeTarget, SecretMasker } from "../../ssh";
import { controlPlaneJoinChanges } from "./diff";
import { KUBERNETES_VERSION_PATH, rolloutPart, upgradeJoinedControlPlane } from "../node/upgrade-rollout";
import type { KubeadmControlPlaneJoinInputs, KubeadmControlPlaneJoinOutputs } from "./inputs";
import { hasRemoteWork, updateControlPlaneNode, updatePlan } from "../node/control-plane-update";
import { kubeletArgsFor } from "../node/kubelet-flags";
import { stripUndefined } from "../shared/plain-data";
import { connectionSecrets, proveConnection, StepReporter, type SessionOpener } from "../shared/step-reporter";

export async function updateControlPlaneJoin(
  olds: KubeadmControlPlaneJoinOutputs,
  news: KubeadmControlPlaneJoinInputs,
  open: SessionOpener,
): Promise<{ outs: KubeadmControlPlaneJoinOutputs }> {
  const { updates } = controlPlaneJoinChanges(olds, news);
  const plan = updatePlan(updates);
  const kubeVipChanged = updates.includes("cluster.kubeVip");
  const upgrading = updates.includes(KUBERNETES_VERSION_PATH);
  const name = news.node.name;
  let etcdSnapshot = olds.etcdSnapshot;
  if (hasRemoteWork(plan) || kubeVipChanged || upgrading) {
    const reporter = new StepReporter(name);
    const masker = new SecretMasker(connectionSecrets(news.connection));
    reporter.begin("update", `${updates.join(", ")} on ${describeTarget(news.connection)}`);
    await reporter.run(() =>
      open(
        news.connection,
        async (session) => {
          if (upgrading) {
            etcdSnapshot =
              (await upgradeJoinedControlPlane(session, rolloutPart(olds, news, news.apiEndpoint, reporter, masker))) ??
              etcdSnapshot;
          }
          if (!hasRemoteWork(plan) && !kubeVipChanged) return;
          const { snapshot } = await updateControlPlaneNode(session, {
            plan,
            target: {
              name,
              oldLabels: olds.node.labels,
              newLabels: news.node.labels,
              schedulable: news.cluster.schedulableControlPlane,
              kubeletArgs: kubeletArgsFor(news.cluster, news.node),
              scope: "joined",
            },
            settings: news,
            // A throwaway: this node has no token of its own to put there, and nothing creates one.
            bootstrapToken: generateBootstrapToken(),
            kubeVipChanged,
            reporter,
            masker,
          });
          etcdSnapshot = snapshot ?? etcdSnapshot;
        },
        { label: name, onOutput: reporter.onOutput },
      ),
    );
  } else {
    const reporter = new StepReporter(name);
    await reporter.run(() => proveConnection(open, olds.connection, news.connection, name, reporter));
  }
  const outs: KubeadmControlPlaneJoinOutputs = {
    ...news,
    nodeName: olds.nodeName,
    joinedAt: olds.joinedAt,
    etcdSnapshot,
  };
  return { outs: stripUndefined(outs) };
}
