// Joining a control-plane node: `kubeadm join --control-plane` with a token and a certificate key minted for
// this join alone, on another control-plane node that answers (providers/node/answering-control-plane.ts).
//
//   1. The node is looked at first. Already a control plane of this cluster (its CA, kubelet.conf and API
//      server manifest, and the cluster has its Node): adopted. Anything less is reset before the join.
//   2. On the other control-plane node: a bootstrap token, then the shared certificates uploaded again under a
//      fresh certificate key (providers/node/certificate-upload.ts: the ones from `kubeadm init` expire after two
//      hours, so a node added a week later needs new ones).
//   3. On the node: the JoinConfiguration (token, key, its own API endpoint) and `kubeadm join`. kubeadm adds
//      the node's etcd member and starts its control-plane static Pods. A failure resets the node.
//   4. The token and the kubeadm-certs Secret are deleted again; the Node is waited for and labelled; kube-vip's
//      static Pod (when kube-vip is on) is placed.
import { tokenId } from "../../kubeadm/token";
import { SecretMasker } from "../../ssh";
import { onAnsweringControlPlane } from "../node/answering-control-plane";
import { deleteUploadedCertificates, mintCertificateKey, uploadCertificates } from "../node/certificate-upload";
import type { KubeadmControlPlaneJoinInputs, KubeadmControlPlaneJoinOutputs } from "./inputs";
import { hostCluster, warnResettingForeign, type HostState } from "../node/host-state";
import { createBootstrapToken } from "../node/join-token";
import { placeKubeVip } from "../node/kube-vip-static-pod";
import { nodeStatus, waitForNode } from "../node/kubectl";
import { deleteJoinToken, inspectJoiningNode, joinOnNode, labelJoinedNode } from "../node/join-command";
import { stripUndefined } from "../shared/plain-data";
import { KubeadmStepError, maskedMessage } from "../shared/step-errors";
import { connectionSecrets, StepReporter, warn, type SessionOpener } from "../shared/step-reporter";

/** A control-plane node starts etcd, the API server and more: it gets longer than a worker to register. */
export const CONTROL_PLANE_REGISTER_WAIT_SECONDS = 180;

export function controlPlaneJoinTokenDescription(node: string): string {
  return `pulumi-kubeadm control-plane join of ${node}`;
}

export function controlPlaneJoinOutputs(
  inputs: KubeadmControlPlaneJoinInputs,
  joinedAt: string,
): { id: string; outs: KubeadmControlPlaneJoinOutputs } {
  const outs: KubeadmControlPlaneJoinOutputs = { ...inputs, nodeName: inputs.node.name, joinedAt };
  return { id: inputs.node.name, outs: stripUndefined(outs) };
}

/** Already joined to this cluster as a control plane, as far as the node itself can tell. */
function looksJoined(state: HostState, caCertHash: string): boolean {
  return hostCluster(state, { caCertHash }) === "ours" && state.kubeletConf && state.apiserverManifest;
}

export function createControlPlaneJoin(
  inputs: KubeadmControlPlaneJoinInputs,
  open: SessionOpener,
): Promise<{ id: string; outs: KubeadmControlPlaneJoinOutputs }> {
  const reporter = new StepReporter(inputs.node.name);
  return reporter.run(() => joinSteps(inputs, open, reporter));
}

async function joinSteps(
  inputs: KubeadmControlPlaneJoinInputs,
  open: SessionOpener,
  reporter: StepReporter,
): Promise<{ id: string; outs: KubeadmControlPlaneJoinOutputs }> {
  const { connection, node, cluster } = inputs;
  const sessionOptions = { label: node.name, onOutput: reporter.onOutput };

  const { state, target: nodeTarget } = await inspectJoiningNode(connection, open, reporter, {
    looking: "looking for an existing or partial control plane",
    step: "kubeadm join --control-plane",
  });
  if (hostCluster(state, inputs) === "foreign") warnResettingForeign(node.name, nodeTarget);

  // Minted before any session, so every session that could print it masks it.
  const certificateKey = mintCertificateKey();
  return onAnsweringControlPlane(
    {
      node: node.name,
      candidates: inputs.controlPlanes,
      purpose: "join token and control-plane certificates",
      secrets: [certificateKey],
    },
    open,
    reporter,
    async (cp, helper) => {
      if (looksJoined(state, inputs.caCertHash)) {
        reporter.begin(
          "adopt",
          `already a control plane of this cluster? checking Node ${node.name} on ${helper.name}`,
        );
        if ((await nodeStatus(cp, node.name)).kind === "present") {
          await labelJoinedNode(cp, node.name, node.labels);
          if (cluster.kubeVip !== undefined) {
            await open(connection, (session) => placeKubeVip(session, cluster), sessionOptions);
          }
          reporter.done("adopted the existing control-plane node (it was in the cluster already)");
          return controlPlaneJoinOutputs(inputs, new Date().toISOString());
        }
        reporter.begin("adopt", `Node ${node.name} is not in the cluster: resetting and joining again`);
      }

      reporter.begin("token", `minting a join token on ${helper.name} (valid ${cluster.joinTokenTtl})`);
      const token = await createBootstrapToken(cp, cluster.joinTokenTtl, controlPlaneJoinTokenDescription(node.name));
      const masker = new SecretMasker([
        token,
        certificateKey,
        ...connectionSecrets(connection),
        ...connectionSecrets(helper.connection),
      ]);
      try {
        reporter.begin("upload-certs", `on ${helper.name}, encrypted with a certificate key minted for this join`);
        await uploadCertificates(cp, helper, cluster, certificateKey, masker);
        await open(
          connection,
          (session) =>
            joinOnNode(session, inputs, {
              state,
              token,
              certificateKey,
              step: "kubeadm join --control-plane",
              detail: `--control-plane through ${inputs.apiEndpoint}`,
              reporter,
              masker,
            }),
          { ...sessionOptions, secrets: [token, certificateKey] },
        );
      } finally {
        reporter.begin(
          "token cleanup",
          `deleting join token ${tokenId(token)} and the uploaded certificates on ${helper.name}`,
        );
        await deleteJoinToken(cp, token, node.name, cluster.joinTokenTtl, masker);
        await deleteUploadedCertificates(cp).catch((error) =>
          warn(
            node.name,
            `could not delete the kubeadm-certs Secret on ${cp.target} (${maskedMessage(error, masker)}); ` +
              "kubeadm deletes it two hours after the upload",
          ),
        );
      }

      reporter.begin("register", `waiting for Node ${node.name} on ${helper.name}`);
      if (!(await waitForNode(cp, node.name, CONTROL_PLANE_REGISTER_WAIT_SECONDS))) {
        throw new KubeadmStepError(
          nodeTarget,
          "register",
          `kubeadm join --control-plane finished on ${nodeTarget}, but Node ${node.name} did not appear within ` +
            `${CONTROL_PLANE_REGISTER_WAIT_SECONDS}s (check the kubelet's log there: journalctl -u kubelet). The ` +
            "next `pulumi up` resets the node and joins it again.",
        );
      }
      await labelJoinedNode(cp, node.name, node.labels);
      if (cluster.kubeVip !== undefined) {
        reporter.begin("kube-vip", "placing kube-vip's static Pod");
        await open(connection, (session) => placeKubeVip(session, cluster), sessionOptions);
      }
      reporter.done(`control-plane node joined the cluster at ${inputs.apiEndpoint}`);
      return controlPlaneJoinOutputs(inputs, new Date().toISOString());
    },
  );
}
