// Joining a worker: `kubeadm join` (node/join-command.ts) with a token minted for this join alone and the pinned
// CA hash.
//
// Converging after interruptions: a worker that already joined this cluster (kubelet.conf present, its ca.crt
// is this cluster's CA, and the control plane has its Node) is adopted; anything less is reset before the join.
// A failed join resets the worker and deletes the token before the error is raised.
import { tokenId } from "../../kubeadm/token";
import { describeTarget, SecretMasker } from "../../ssh";
import { hostCluster, warnResettingForeign } from "../node/host-state";
import type { KubeadmJoinInputs, KubeadmJoinOutputs } from "./inputs";
import { createBootstrapToken } from "../node/join-token";
import { nodeStatus, waitForNode } from "../node/kubectl";
import { deleteJoinToken, inspectJoiningNode, joinOnNode, labelJoinedNode } from "../node/join-command";
import { stripUndefined } from "../shared/plain-data";
import { KubeadmStepError } from "../shared/step-errors";
import { connectionSecrets, StepReporter, type SessionOpener } from "../shared/step-reporter";

/** How long the kubelet gets to register its Node after `kubeadm join` finished. */
export const REGISTER_WAIT_SECONDS = 120;

export function joinTokenDescription(node: string): string {
  return `pulumi-kubeadm join of ${node}`;
}

function outputs(inputs: KubeadmJoinInputs, joinedAt: string): { id: string; outs: KubeadmJoinOutputs } {
  const outs: KubeadmJoinOutputs = { ...inputs, nodeName: inputs.node.name, joinedAt };
  return { id: inputs.node.name, outs: stripUndefined(outs) };
}

export function createWorkerJoin(
  inputs: KubeadmJoinInputs,
  open: SessionOpener,
): Promise<{ id: string; outs: KubeadmJoinOutputs }> {
  const reporter = new StepReporter(inputs.node.name);
  return reporter.run(() => joinSteps(inputs, open, reporter));
}

async function joinSteps(
  inputs: KubeadmJoinInputs,
  open: SessionOpener,
  reporter: StepReporter,
): Promise<{ id: string; outs: KubeadmJoinOutputs }> {
  const { connection, controlPlane, node, cluster } = inputs;
  const sessionOptions = { label: node.name, onOutput: reporter.onOutput };

  const { state, target: workerTarget } = await inspectJoiningNode(connection, open, reporter, {
    looking: "looking for an existing or partial join",
    step: "kubeadm join",
  });
  const owner = hostCluster(state, inputs);

  reporter.begin("control plane", `connecting to ${controlPlane.name} (${describeTarget(controlPlane.connection)})`);
  return open(
    controlPlane.connection,
    async (cp) => {
      if (owner === "ours" && state.kubeletConf) {
        reporter.begin("adopt", `already joined to this cluster? checking Node ${node.name} on ${controlPlane.name}`);
        const status = await nodeStatus(cp, node.name);
        if (status.kind === "present") {
          await labelJoinedNode(cp, node.name, node.labels);
          reporter.done("adopted the existing join (the node was in the cluster already)");
          return outputs(inputs, new Date().toISOString());
        }
        reporter.begin("adopt", `Node ${node.name} is not in the cluster: resetting and joining again`);
      } else if (owner === "foreign") {
        warnResettingForeign(node.name, workerTarget);
      }

      reporter.begin("token", `minting a join token on ${controlPlane.name} (valid ${cluster.joinTokenTtl})`);
      const token = await createBootstrapToken(cp, cluster.joinTokenTtl, joinTokenDescription(node.name));
      const masker = new SecretMasker([
        token,
        ...connectionSecrets(connection),
        ...connectionSecrets(controlPlane.connection),
      ]);
      try {
        await open(
          connection,
          (worker) =>
            joinOnNode(worker, inputs, {
              state,
              token,
              step: "kubeadm join",
              detail: `${inputs.apiEndpoint}, CA ${inputs.caCertHash.slice(0, 19)}…`,
              reporter,
              masker,
            }),
          { ...sessionOptions, secrets: [token] },
        );
      } finally {
        reporter.begin("token cleanup", `deleting join token ${tokenId(token)} on ${controlPlane.name}`);
        await deleteJoinToken(cp, token, node.name, cluster.joinTokenTtl, masker);
      }

      reporter.begin("register", `waiting for Node ${node.name} on ${controlPlane.name}`);
      if (!(await waitForNode(cp, node.name, REGISTER_WAIT_SECONDS))) {
        throw new KubeadmStepError(
          workerTarget,
          "register",
          `kubeadm join finished on ${workerTarget}, but Node ${node.name} did not appear on the control plane ` +
            `${cp.target} within ${REGISTER_WAIT_SECONDS}s (check the kubelet's log on the worker: ` +
            "journalctl -u kubelet). The next `pulumi up` resets the worker and joins it again.",
        );
      }
      await labelJoinedNode(cp, node.name, node.labels);
      reporter.done(`joined the cluster at ${inputs.apiEndpoint}`);
      return outputs(inputs, new Date().toISOString());
    },
    { label: controlPlane.name, onOutput: reporter.onOutput },
  );
}
