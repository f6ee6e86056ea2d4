// In-place changes of a worker (the why of each is in join-diff.ts): labels through kubectl on the control
// plane, kubelet extra arguments by rewriting kubeadm-flags.env and restarting the kubelet. Changes of the
// connections, the reset script or the drain settings only need storing: the update returns the new inputs.
import { describeTarget, shellCommand } from "../ssh";
import { joinChanges } from "./join-diff";
import type { KubeadmJoinInputs, KubeadmJoinOutputs } from "./join-inputs";
import { kubectl, labelArgs, retrying } from "./kubectl";
import { kubeletArgsFor, rewriteKubeletFlags } from "./kubelet-flags";
import { stripUndefined } from "./plain-data";
import { KUBELET_FLAGS_PATH, readRequiredFile } from "./remote-files";
import { proveConnection, StepReporter, type SessionOpener } from "./steps";

export function updateWorker(
  olds: KubeadmJoinOutputs,
  news: KubeadmJoinInputs,
  open: SessionOpener,
): Promise<{ outs: KubeadmJoinOutputs }> {
  const reporter = new StepReporter(news.node.name);
  return reporter.run(() => updateSteps(olds, news, open, reporter));
}

async function updateSteps(
  olds: KubeadmJoinOutputs,
  news: KubeadmJoinInputs,
  open: SessionOpener,
  reporter: StepReporter,
): Promise<{ outs: KubeadmJoinOutputs }> {
  const { updates } = joinChanges(olds, news);
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

  if (!updates.includes("cluster.kubelet.extraArgs")) {
    await proveConnection(open, olds.connection, news.connection, name, reporter);
  } else {
    reporter.begin("kubelet flags", `${KUBELET_FLAGS_PATH} on ${describeTarget(news.connection)}`);
    await open(
      news.connection,
      async (worker) => {
        const current = await readRequiredFile(worker, KUBELET_FLAGS_PATH, "kubelet flags");
        const rewritten = rewriteKubeletFlags(
          current,
          kubeletArgsFor(olds.cluster, olds.node),
          kubeletArgsFor(news.cluster, news.node),
        );
        await worker.upload(KUBELET_FLAGS_PATH, rewritten, { mode: 0o644 });
        reporter.begin("kubelet flags", "restarting the kubelet");
        await worker.run(shellCommand(["systemctl", "restart", "kubelet"]), { summary: "systemctl restart kubelet" });
      },
      { label: name, onOutput: reporter.onOutput },
    );
  }

  const outs: KubeadmJoinOutputs = { ...news, nodeName: olds.nodeName, joinedAt: olds.joinedAt };
  return { outs: stripUndefined(outs) };
}
