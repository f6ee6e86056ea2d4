// One worker as a Pulumi resource: `kubeadm join` with a token minted for this join alone and the pinned CA
// hash on create; labels and kubelet flags updated in place; drain, Node deletion and a full reset on delete.
//
// Each worker is its own resource that depends only on the control plane, so the engine joins workers in
// parallel and adding or removing one touches no other.
//
// Converging after interruptions: a worker that already joined this cluster (kubelet.conf present, its ca.crt
// is this cluster's CA, and the control plane has its Node) is adopted; anything less is reset before the join.
// A failed join resets the worker and deletes the token before the error is raised.
//
// Each resource stores only a stand-in that loads this provider from the source (provider-from-source.ts), so
// delete and refresh run this code on older outputs too; secrets arrive as inputs, never in the provider.
import * as pulumi from "@pulumi/pulumi";
import { tokenId } from "../../kubeadm/token";
import { describeTarget, SecretMasker, withSession } from "../../ssh";
import { hashOfPem } from "../node/host-state";
import { joinDiff } from "./diff";
import { deleteWorker } from "./delete";
import { JOIN_SECRET_OUTPUTS, type KubeadmJoinInputs, type KubeadmJoinOutputs } from "./inputs";
import { readWorker } from "./read";
import { createBootstrapToken } from "../node/join-token";
import { updateWorker } from "./update";
import { nodeStatus, waitForNode } from "../node/kubectl";
import { deleteJoinToken, inspectJoiningNode, joinOnNode, labelJoinedNode } from "../node/join-command";
import { containsUnknown, stripUndefined } from "../shared/plain-data";
import { KubeadmStepError } from "../shared/step-errors";
import { connectionSecrets, StepReporter, warn, type SessionOpener } from "../shared/step-reporter";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";

/** How long the kubelet gets to register its Node after `kubeadm join` finished. */
export const REGISTER_WAIT_SECONDS = 120;

export function joinTokenDescription(node: string): string {
  return `pulumi-kubeadm join of ${node}`;
}

function outputs(inputs: KubeadmJoinInputs, joinedAt: string): { id: string; outs: KubeadmJoinOutputs } {
  const outs: KubeadmJoinOutputs = { ...inputs, nodeName: inputs.node.name, joinedAt };
  return { id: inputs.node.name, outs: stripUndefined(outs) };
}

export function joinWorker(
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
  const ours = hashOfPem(state.caCertPem) === inputs.caCertHash;

  reporter.begin("control plane", `connecting to ${controlPlane.name} (${describeTarget(controlPlane.connection)})`);
  return open(
    controlPlane.connection,
    async (cp) => {
      if (ours && state.kubeletConf) {
        reporter.begin("adopt", `already joined to this cluster? checking Node ${node.name} on ${controlPlane.name}`);
        const status = await nodeStatus(cp, node.name);
        if (status.kind === "present") {
          await labelJoinedNode(cp, node.name, node.labels);
          reporter.done("adopted the existing join (the node was in the cluster already)");
          return outputs(inputs, new Date().toISOString());
        }
        reporter.begin("adopt", `Node ${node.name} is not in the cluster: resetting and joining again`);
      } else if (state.caCertPem !== undefined && !ours) {
        warn(
          node.name,
          `${workerTarget} holds kubeadm state of another cluster (its ca.crt is not this cluster's CA): resetting it`,
        );
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

function inputFailures(inputs: KubeadmJoinInputs): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const known = (value: unknown) => value !== undefined && !containsUnknown(value);
  if (known(inputs.node?.role) && inputs.node.role !== "worker") {
    failures.push({
      property: "node",
      reason: `this resource joins workers; ${inputs.node.name} is a ${inputs.node.role}`,
    });
  }
  if (known(inputs.caCertHash) && !/^sha256:[0-9a-f]{64}$/.test(String(inputs.caCertHash))) {
    failures.push({ property: "caCertHash", reason: 'must be "sha256:" followed by 64 lowercase hex characters' });
  }
  if (known(inputs.resetScript) && (typeof inputs.resetScript !== "string" || inputs.resetScript.trim() === "")) {
    failures.push({ property: "resetScript", reason: "must be the text of providers/scripts/reset-node.sh" });
  }
  return failures;
}

export const kubeadmJoinProvider: pulumi.dynamic.ResourceProvider<KubeadmJoinInputs, KubeadmJoinOutputs> = {
  async check(_olds: KubeadmJoinInputs, news: KubeadmJoinInputs) {
    const failures = inputFailures(news);
    return failures.length > 0 ? { failures } : { inputs: news };
  },

  async diff(_id: string, olds: KubeadmJoinOutputs, news: KubeadmJoinInputs) {
    return joinDiff(olds, news);
  },

  async create(inputs: KubeadmJoinInputs) {
    return joinWorker(inputs, withSession);
  },

  async update(id: string, olds: KubeadmJoinOutputs, news: KubeadmJoinInputs) {
    return updateWorker(id, olds, news, withSession);
  },

  async read(id: string, props?: KubeadmJoinOutputs) {
    // Import is not supported for dynamic resources (pulumi#16175): refresh always passes the state.
    if (props === undefined) throw new Error(`cannot read ${id} without its state (import is not supported)`);
    return readWorker(id, props, withSession);
  },

  async delete(_id: string, props: KubeadmJoinOutputs) {
    await deleteWorker(props, withSession);
  },
};

export interface KubeadmJoinArgs {
  connection: pulumi.Input<KubeadmJoinInputs["connection"]>;
  controlPlane: pulumi.Input<KubeadmJoinInputs["controlPlane"]>;
  node: pulumi.Input<KubeadmJoinInputs["node"]>;
  cluster: pulumi.Input<KubeadmJoinInputs["cluster"]>;
  apiEndpoint: pulumi.Input<string>;
  caCertHash: pulumi.Input<string>;
  resetScript: pulumi.Input<string>;
}

/** What each resource stores: module text that loads kubeadmJoinProvider from the source (provider-from-source.ts). */
export const kubeadmJoinProviderStored = new SourceProvider(
  "providers/kubeadm-join",
  "kubeadmJoinProvider",
  kubeadmJoinProvider,
);

/** Dynamic type `pulumi-nodejs:dynamic/pulumi-kubeadm:KubeadmJoin`. */
export class KubeadmJoin extends SourceProvidedResource {
  declare readonly nodeName: pulumi.Output<string>;
  declare readonly joinedAt: pulumi.Output<string>;

  constructor(name: string, args: KubeadmJoinArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      kubeadmJoinProviderStored,
      name,
      { ...args, nodeName: undefined, joinedAt: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: JOIN_SECRET_OUTPUTS }),
      "pulumi-kubeadm",
      "KubeadmJoin",
    );
  }
}
