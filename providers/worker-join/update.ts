// In-place changes of a worker (the why of each is in diff.ts): its part of an upgrade (node/upgrade-rollout.ts),
// labels through kubectl on the control plane, kubelet extra arguments by rewriting kubeadm-flags.env, restarting
// the kubelet and waiting until it is healthy. Changes of the connections, the reset script or the drain settings only need storing: the update returns
// the new inputs. A failed update stores nothing new but the paths it left unfinished (shared/unfinished-update.ts)
// and the kubelet flags it may have written, so the next update takes them out again.
import { describeTarget, SecretMasker, shellCommand } from "../../ssh";
import { workerJoinChanges } from "./diff";
import { KUBERNETES_VERSION_PATH, rolloutPart, upgradeWorker } from "../node/upgrade-rollout";
import type { KubeadmJoinInputs, KubeadmJoinOutputs } from "./inputs";
import { kubectl, labelArgs, retrying } from "../node/kubectl";
import { kubeletArgsFor, rewriteKubeletFlags } from "../node/kubelet-flags";
import { waitForHealthyKubelet } from "../node/kubelet-health";
import { stripUndefined } from "../shared/plain-data";
import { KUBELET_FLAGS_PATH, readRequiredFile } from "../node/remote-files";
import { runStepCommand } from "../shared/step-errors";
import { connectionSecrets, proveConnection, StepReporter, type SessionOpener } from "../shared/step-reporter";
import { recordingUnfinished } from "../shared/unfinished-update";

export function updateWorkerJoin(
  id: string,
  olds: KubeadmJoinOutputs,
  news: KubeadmJoinInputs,
  open: SessionOpener,
): Promise<{ outs: KubeadmJoinOutputs }> {
  const reporter = new StepReporter(news.node.name);
  const { updates } = workerJoinChanges(olds, news);
  // Flags this update may write, beside those of earlier failed ones: all are taken out by the next rewrite.
  const kubeletFlagsTried = updates.includes("cluster.kubelet.extraArgs")
    ? [...new Set([...(olds.kubeletFlagsTried ?? []), ...Object.keys(kubeletArgsFor(news.cluster, news.node))])].sort()
    : olds.kubeletFlagsTried;
  const stored = stripUndefined({ ...olds, kubeletFlagsTried });
  return reporter.run(() =>
    recordingUnfinished(id, stored, updates, () => updateSteps(olds, news, updates, open, reporter)),
  );
}

async function updateSteps(
  olds: KubeadmJoinOutputs,
  news: KubeadmJoinInputs,
  updates: string[],
  open: SessionOpener,
  reporter: StepReporter,
): Promise<{ outs: KubeadmJoinOutputs }> {
  const name = news.node.name;

  if (updates.includes("node.labels")) {
    const args = labelArgs(name, olds.node.labels, news.node.labels);
    if (args !== undefined) {
      reporter.begin("labels", `on ${news.controlPlane.name}`);
      await open(
        news.controlPlane.connection,
        (cp) => cp.run(retrying(kubectl(args), 10, 2), { summary: `kubectl label node ${name}` }),
        { label: news.controlPlane.name, onOutput: reporter.onOutput },
      );
    }
  }

  if (updates.includes(KUBERNETES_VERSION_PATH)) {
    const masker = new SecretMasker([
      ...connectionSecrets(news.connection),
      ...connectionSecrets(news.controlPlane.connection),
    ]);
    reporter.begin("upgrade", `to ${news.cluster.kubernetesVersion} on ${describeTarget(news.connection)}`);
    await open(
      news.controlPlane.connection,
      (cp) =>
        open(
          news.connection,
          (worker) => upgradeWorker(worker, cp, rolloutPart(olds, news, news.apiEndpoint, reporter, masker)),
          { label: name, onOutput: reporter.onOutput },
        ),
      { label: news.controlPlane.name, onOutput: reporter.onOutput },
    );
  }

  if (!updates.includes("cluster.kubelet.extraArgs")) {
    if (!updates.includes(KUBERNETES_VERSION_PATH)) {
      await proveConnection(open, olds.connection, news.connection, name, reporter);
    }
  } else {
    reporter.begin("kubelet flags", `${KUBELET_FLAGS_PATH} on ${describeTarget(news.connection)}`);
    await open(
      news.connection,
      async (worker) => {
        const current = await readRequiredFile(worker, KUBELET_FLAGS_PATH, "kubelet flags");
        const wanted = kubeletArgsFor(news.cluster, news.node);
        const rewritten = rewriteKubeletFlags(
          current,
          kubeletArgsFor(olds.cluster, olds.node),
          wanted,
          olds.kubeletFlagsTried,
        );
        await worker.upload(KUBELET_FLAGS_PATH, rewritten, { mode: 0o644 });
        reporter.begin("kubelet flags", "restarting the kubelet and waiting until it is healthy");
        await runStepCommand(
          worker,
          `${shellCommand(["systemctl", "restart", "kubelet"])} || exit $?\n${waitForHealthyKubelet(wanted)}`,
          {
            step: "kubelet restart",
            summary: "systemctl restart kubelet, then wait for its healthz",
            outcome: `${KUBELET_FLAGS_PATH} has the new flags; \`pulumi up\` writes them again from the config it has then.`,
            masker: new SecretMasker(connectionSecrets(news.connection)),
          },
        );
      },
      { label: name, onOutput: reporter.onOutput },
    );
  }

  // Stored without kubeletFlagsTried: the file now holds exactly the flags of the settings stored with it.
  const outs: KubeadmJoinOutputs = { ...news, nodeName: olds.nodeName, joinedAt: olds.joinedAt };
  return { outs: stripUndefined(outs) };
}
