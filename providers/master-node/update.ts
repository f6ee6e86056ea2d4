// In-place changes of the first control-plane node (the why of each is in diff.ts): an upgrade, which this node
// starts for the cluster (node/upgrade-rollout.ts), then the phases every control-plane node runs
// (node/control-plane-update.ts), as the node that also keeps the cluster-wide state; an update with no remote work
// only proves a changed connection before it is stored.
import { describeTarget, SecretMasker, type RemoteSession } from "../../ssh";
import { hasRemoteWork, updateControlPlaneNode, type UpdateTarget } from "../node/control-plane-update";
import { kubeletArgsFor } from "../node/kubelet-flags";
import { stripUndefined } from "../shared/plain-data";
import { connectionSecrets, proveConnection, StepReporter, type SessionOpener } from "../shared/step-reporter";
import { masterNodeChanges } from "./diff";
import { ADMIN_CONF_PATH } from "../node/remote-files";
import { KUBERNETES_VERSION_PATH, rolloutPart, upgradeFirstControlPlane } from "../node/upgrade-rollout";
import type { KubeadmInitInputs, KubeadmInitOutputs } from "./inputs";

export function masterNodeUpdateTarget(olds: KubeadmInitOutputs, news: KubeadmInitInputs): UpdateTarget {
  return {
    name: news.node.name,
    oldLabels: olds.node.labels,
    newLabels: news.node.labels,
    schedulable: news.cluster.schedulableControlPlane,
    kubeletArgs: kubeletArgsFor(news.cluster, news.node),
    scope: "first",
  };
}

export async function updateMasterNode(
  olds: KubeadmInitOutputs,
  news: KubeadmInitInputs,
  open: SessionOpener,
): Promise<{ outs: KubeadmInitOutputs }> {
  const { plan, updates } = masterNodeChanges(olds, news);
  const name = news.node.name;
  let kubeconfig = olds.kubeconfig;
  let etcdSnapshot = olds.etcdSnapshot;
  const kubeVipChanged = updates.includes("cluster.kubeVip");
  const upgrading = updates.includes(KUBERNETES_VERSION_PATH);
  if (hasRemoteWork(plan) || kubeVipChanged || upgrading) {
    const reporter = new StepReporter(name);
    const secrets = [olds.bootstrapToken, news.caKeyPem, olds.kubeconfig];
    const masker = new SecretMasker([...secrets, ...connectionSecrets(news.connection)]);
    reporter.begin("update", `${updates.join(", ")} on ${describeTarget(news.connection)}`);
    kubeconfig = await reporter.run(() =>
      open(
        news.connection,
        async (session: RemoteSession) => {
          // The upgrade first: the other changes are rendered for the new version, and kubeadm's phases of the
          // new version are the ones on the node afterwards.
          if (upgrading) {
            etcdSnapshot =
              (await upgradeFirstControlPlane(
                session,
                rolloutPart(olds, news, news.cluster.controlPlaneEndpoint, reporter, masker),
              )) ?? etcdSnapshot;
          }
          if (!hasRemoteWork(plan) && !kubeVipChanged)
            return (await session.readFile(ADMIN_CONF_PATH)) ?? olds.kubeconfig;
          const { admin, snapshot } = await updateControlPlaneNode(session, {
            plan,
            target: masterNodeUpdateTarget(olds, news),
            settings: news,
            // The token init created, so the rendered config matches the cluster's.
            bootstrapToken: olds.bootstrapToken,
            kubeVipChanged,
            reporter,
            masker,
          });
          etcdSnapshot = snapshot ?? etcdSnapshot;
          return admin ?? olds.kubeconfig;
        },
        { label: name, secrets, onOutput: reporter.onOutput },
      ),
    );
  } else {
    const reporter = new StepReporter(name);
    await reporter.run(() => proveConnection(open, olds.connection, news.connection, name, reporter));
  }
  const outs: KubeadmInitOutputs = {
    ...news,
    apiEndpoint: news.cluster.controlPlaneEndpoint,
    kubeconfig,
    caCertHash: olds.caCertHash,
    bootstrapToken: olds.bootstrapToken,
    etcdSnapshot,
  };
  return { outs: stripUndefined(outs) };
}
