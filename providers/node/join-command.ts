// What a worker join (worker-join/create.ts) and a control-plane join (control-plane-join/create.ts) do alike: the
// `kubeadm join` on the node, deleting the join token once it is over, and labelling the Node. They differ in
// where the token is minted and in what happens around the join (certificates, etcd, kube-vip).
import type { Connection } from "../../config/spec";
import { renderJoinConfig } from "../../kubeadm/join-config";
import { tokenId } from "../../kubeadm/token";
import { describeTarget, shellCommand, type RemoteSession, type SecretMasker } from "../../ssh";
import { inspectHost, requireKubeadm, type HostState } from "./host-state";
import { deleteBootstrapToken } from "./join-token";
import { runKubeadmStep } from "./kubeadm-step";
import { kubectl, labelArgs, retrying } from "./kubectl";
import { resetNode } from "./reset";
import { renderTarget, type ClusterSettings, type NodeSettings } from "./settings";
import { JOIN_CONFIG_PATH, removeRemoteFile, uploadKubeadmConfig } from "./remote-files";
import { maskedMessage } from "../shared/step-errors";
import { warn, type SessionOpener, type StepReporter } from "../shared/step-reporter";

/** The inputs both join resources have for the joining node. */
export interface JoiningNode {
  connection: Connection;
  node: NodeSettings;
  cluster: ClusterSettings;
  apiEndpoint: string;
  caCertHash: string;
  resetScript: string;
}

/**
 * Looks at the joining node before anything changes (what an earlier attempt left, another cluster's state);
 * a node without kubeadm stops the join here. `target` is the node as its session names it, for messages.
 */
export async function inspectJoiningNode(
  connection: Connection,
  open: SessionOpener,
  reporter: StepReporter,
  what: { looking: string; step: string },
): Promise<{ state: HostState; target: string }> {
  reporter.begin("connect", describeTarget(connection));
  let target = describeTarget(connection);
  const state = await open(
    connection,
    async (session) => {
      target = session.target;
      reporter.begin("inspect", what.looking);
      return inspectHost(session);
    },
    { label: reporter.node, onOutput: reporter.onOutput },
  );
  requireKubeadm(state, target, what.step);
  return { state, target };
}

export interface NodeJoinOptions {
  /** The node as inspected before the join: leftovers of an earlier attempt are reset first. */
  state: HostState;
  token: string;
  /** Set for a control-plane join: the key the shared certificates were uploaded with. */
  certificateKey?: string;
  /** "kubeadm join", "kubeadm join --control-plane": the step named in progress and errors. */
  step: string;
  /** What the progress line says after "kubeadm join". */
  detail: string;
  reporter: StepReporter;
  masker: SecretMasker;
}

/**
 * Runs `kubeadm join` on the node (session) with a JoinConfiguration that exists only while it runs. A failed
 * join resets the node (runKubeadmStep), so the next attempt starts clean.
 */
export async function joinOnNode(session: RemoteSession, inputs: JoiningNode, opts: NodeJoinOptions): Promise<void> {
  const { state, token, reporter } = opts;
  if (state.footprint) {
    await resetNode(
      session,
      inputs.resetScript,
      reporter,
      `clearing leftovers of an earlier attempt (${state.footprintItems.join(", ")})`,
    );
  }
  const target = renderTarget(inputs.cluster, inputs.node, inputs.connection);
  const config = renderJoinConfig(target.spec, target.node, {
    endpoint: inputs.apiEndpoint,
    token,
    caCertHash: inputs.caCertHash,
    ...(opts.certificateKey !== undefined ? { controlPlane: { certificateKey: opts.certificateKey } } : {}),
  });
  reporter.begin("upload", JOIN_CONFIG_PATH);
  await uploadKubeadmConfig(session, JOIN_CONFIG_PATH, config);
  reporter.begin("kubeadm join", opts.detail);
  await runKubeadmStep(session, shellCommand(["kubeadm", "join", "--config", JOIN_CONFIG_PATH]), {
    step: opts.step,
    reporter,
    resetScript: inputs.resetScript,
    masker: opts.masker,
    summary: `kubeadm join --config ${JOIN_CONFIG_PATH}`,
  });
  await removeRemoteFile(session, JOIN_CONFIG_PATH);
}

/**
 * Deletes the join token on the control-plane node (cp). A failure does not fail the join: the token expires
 * by itself after the TTL, which the warning says.
 */
export async function deleteJoinToken(
  cp: RemoteSession,
  token: string,
  node: string,
  ttl: string,
  masker: SecretMasker,
): Promise<void> {
  await deleteBootstrapToken(cp, token).catch((error) =>
    warn(
      node,
      `could not delete join token ${tokenId(token)} on ${cp.target} (${maskedMessage(error, masker)}); ` +
        `it expires by itself after ${ttl}`,
    ),
  );
}

/** Sets the node's labels; retried, since it runs right after kubeadm started or restarted an API server. */
export async function labelJoinedNode(cp: RemoteSession, name: string, labels: Record<string, string>): Promise<void> {
  const args = labelArgs(name, {}, labels);
  if (args !== undefined) {
    await cp.run(retrying(kubectl(args), 10, 2), { summary: `kubectl label node ${name}` });
  }
}
