// Creating the first control-plane node: `kubeadm init` with the cluster CA and the rendered config.
//
// Converging after interruptions: create looks at the host first. A control plane already initialised with
// this cluster's CA that answers and whose init finished (an earlier `pulumi up` was killed after kubeadm init
// was done) is adopted; anything less (a half-done init, even one whose API server answers, leftovers of another
// cluster) is reset before `kubeadm init` runs. A failed init resets the host before the error is raised, so the
// next run starts clean either way.
import { caCertHash } from "../../kubeadm/ca-hash";
import { renderInitConfig } from "../../kubeadm/init-config";
import { ADMIN_KUBECONFIG, SUPER_ADMIN_KUBECONFIG } from "../../kubeadm/kube-vip-manifest";
import { generateBootstrapToken, generateCertificateKey } from "../../kubeadm/token";
import { describeTarget, SecretMasker, shellCommand, type RemoteSession } from "../../ssh";
import type { KubeadmInitInputs, KubeadmInitOutputs } from "./inputs";
import { hostCluster, inspectHost, requireKubeadm, warnResettingForeign } from "../node/host-state";
import { createBootstrapToken } from "../node/join-token";
import { listControlPlaneNodes } from "../node/etcd-quorum";
import { runKubeadmStep } from "../node/kubeadm-step";
import { placeKubeVip } from "../node/kube-vip-static-pod";
import { kubectl, labelArgs, retrying, taintCommand, waitForApiServer, waitForNode } from "../node/kubectl";
import { resetNode } from "../node/reset";
import { renderTarget } from "../node/settings";
import { stripUndefined } from "../shared/plain-data";
import {
  ADMIN_CONF_PATH,
  INIT_CONFIG_PATH,
  readRequiredFile,
  removeRemoteFile,
  uploadClusterCa,
  uploadKubeadmConfig,
} from "../node/remote-files";
import { KubeadmStepError } from "../shared/step-errors";
import { connectionSecrets, StepReporter, warn, type SessionOpener } from "../shared/step-reporter";

/** How long an existing control plane with this CA gets to answer before it is reset and initialised again. */
export const ADOPT_WAIT_SECONDS = 90;
/** Bounds the retries of API calls right after kubeadm started the API server. */
const API_RETRIES = 30;
const API_RETRY_DELAY_SECONDS = 2;
export const INIT_TOKEN_DESCRIPTION = "pulumi-kubeadm bootstrap token";

/** Node labels from the settings, applied on the control plane once the Node exists. */
async function applyLabels(
  session: RemoteSession,
  name: string,
  before: Record<string, string>,
  after: Record<string, string>,
): Promise<void> {
  const args = labelArgs(name, before, after);
  if (args !== undefined) {
    await session.run(retrying(kubectl(args), API_RETRIES, API_RETRY_DELAY_SECONDS), {
      summary: `kubectl label node ${name}`,
    });
  }
}

function outputs(
  inputs: KubeadmInitInputs,
  kubeconfig: string,
  bootstrapToken: string,
): { id: string; outs: KubeadmInitOutputs } {
  const outs: KubeadmInitOutputs = {
    ...inputs,
    apiEndpoint: inputs.cluster.controlPlaneEndpoint,
    kubeconfig,
    caCertHash: caCertHash(inputs.caCertPem),
    bootstrapToken,
  };
  return { id: inputs.node.name, outs: stripUndefined(outs) };
}

/**
 * What `kubeadm init` makes in its last phases, once the control plane is up: the configuration joins read
 * (upload-config), the discovery ConfigMap (bootstrap-token) and the add-ons (addon). An init that was cut off
 * after the API server came up (its SSH connection dropped, the pulumi process killed: kubeadm dies at its next
 * line of output) leaves a control plane that answers but lacks them, where every join would fail.
 */
const INIT_LAST_OBJECTS: { what: string; args: string[] }[] = [
  { what: "ConfigMap kube-system/kubeadm-config", args: ["-n", "kube-system", "get", "configmap", "kubeadm-config"] },
  { what: "ConfigMap kube-public/cluster-info", args: ["-n", "kube-public", "get", "configmap", "cluster-info"] },
  { what: "DaemonSet kube-system/kube-proxy", args: ["-n", "kube-system", "get", "daemonset", "kube-proxy"] },
  { what: "Deployment kube-system/coredns", args: ["-n", "kube-system", "get", "deployment", "coredns"] },
];
/** Attempts at reading one of them when the API answers with something else than "not found" or "forbidden". */
const INIT_CHECK_ATTEMPTS = 5;

/**
 * Why the control plane's `kubeadm init` did not finish, or undefined when it did. "Forbidden" counts as not
 * finished: kubeadm grants the admin kubeconfig its rights (kubeadm:cluster-admins) right after the control plane
 * is up, so an init cut off before that leaves an admin.conf the API server refuses.
 */
async function unfinishedInit(session: RemoteSession): Promise<string | undefined> {
  for (const { what, args } of INIT_LAST_OBJECTS) {
    for (let attempt = 1; ; attempt++) {
      const result = await session.run(kubectl([...args, "-o", "name"]), {
        allowFailure: true,
        streamOutput: false,
        summary: `kubectl get ${what}`,
      });
      if (result.code === 0) break;
      if (/NotFound|not found/.test(result.stderr)) return `no ${what}`;
      if (/forbidden/i.test(result.stderr)) return `the admin kubeconfig may not read ${what} yet`;
      if (attempt >= INIT_CHECK_ATTEMPTS) {
        return `${what} could not be read: ${(result.stderr.trim() || `exit status ${result.code}`).split("\n")[0]}`;
      }
      await new Promise((resolve) => setTimeout(resolve, API_RETRY_DELAY_SECONDS * 1000));
    }
  }
  return undefined;
}

/**
 * An existing control plane with this CA: adopted when its API server answers, its `kubeadm init` finished and
 * this Node exists. Returns undefined otherwise (it is then reset like any partial state).
 */
async function adoptControlPlane(
  session: RemoteSession,
  inputs: KubeadmInitInputs,
  reporter: StepReporter,
): Promise<{ id: string; outs: KubeadmInitOutputs } | undefined> {
  const { node, cluster } = inputs;
  reporter.begin(
    "adopt",
    "this host already runs a control plane with this cluster's CA (an earlier run was interrupted?); checking it answers",
  );
  if (!(await waitForApiServer(session, ADOPT_WAIT_SECONDS))) {
    warn(
      node.name,
      `the control plane on ${session.target} did not answer within ${ADOPT_WAIT_SECONDS}s: resetting it and running kubeadm init again`,
    );
    return undefined;
  }
  const unfinished = await unfinishedInit(session);
  if (unfinished !== undefined) {
    warn(
      node.name,
      `kubeadm init did not finish on ${session.target} (${unfinished}): resetting it and running kubeadm init again`,
    );
    return undefined;
  }
  if (!(await waitForNode(session, node.name, ADOPT_WAIT_SECONDS))) {
    warn(
      node.name,
      `the control plane on ${session.target} has no Node ${node.name} after ${ADOPT_WAIT_SECONDS}s: resetting it and running kubeadm init again`,
    );
    return undefined;
  }
  await refuseJoinedNodeAsFirst(session, node.name);
  const kubeconfig = await readRequiredFile(session, ADMIN_CONF_PATH, "adopt");
  const token = await createBootstrapToken(session, cluster.joinTokenTtl, INIT_TOKEN_DESCRIPTION);
  await session.run(retrying(taintCommand(node.name, cluster.schedulableControlPlane), API_RETRIES, 2), {
    summary: "kubectl taint (control-plane taint as configured)",
  });
  await applyLabels(session, node.name, {}, node.labels);
  reporter.done("adopted the control plane already running on the host");
  return outputs(inputs, kubeconfig, token);
}

/**
 * The first control-plane node of a cluster made for several ("HA-ready": controlPlaneEndpoint is set) uploads
 * the shared certificates at init, as kubeadm's HA set-up does. The key is minted here and forgotten after
 * init: each control-plane join uploads the certificates again under a key of its own (node/certificate-upload.ts),
 * because these expire two hours after init.
 */
function uploadsCertsAtInit(cluster: KubeadmInitInputs["cluster"]): boolean {
  return cluster.controlPlaneEndpointConfigured === true;
}

/**
 * Adoption is for a re-run after an interrupted init, when this node is the cluster's only control plane.
 * Finding other control-plane Nodes means this node joined a running cluster: it became controlPlane[0] because
 * the node that ran `kubeadm init` was taken out of the list. Adopting it would hand the node to this resource
 * while the resource that joined it resets it: refused before anything changes.
 */
async function refuseJoinedNodeAsFirst(session: RemoteSession, name: string): Promise<void> {
  // Best effort: a list that cannot be read is no evidence of other control-plane nodes.
  const nodes = await listControlPlaneNodes(session).catch(() => []);
  const others = nodes.map((m) => m.name).filter((n) => n !== name);
  if (others.length === 0) return;
  throw new KubeadmStepError(
    session.target,
    "adopt",
    `${name} is controlPlane[0], the node that initialises the cluster, but it already is one of several ` +
      `control-plane nodes of a running cluster (with ${others.join(", ")}): the node that ran kubeadm init was ` +
      "removed from the front of controlPlane. Removing the first control-plane node is not supported: put it " +
      "back as controlPlane[0] (remove any other control-plane node instead), then run pulumi up again. Nothing " +
      "was changed.",
  );
}

export function createMasterNode(
  inputs: KubeadmInitInputs,
  open: SessionOpener,
): Promise<{ id: string; outs: KubeadmInitOutputs }> {
  const reporter = new StepReporter(inputs.node.name);
  return reporter.run(() => initSteps(inputs, open, reporter));
}

async function initSteps(
  inputs: KubeadmInitInputs,
  open: SessionOpener,
  reporter: StepReporter,
): Promise<{ id: string; outs: KubeadmInitOutputs }> {
  const { connection, node, cluster } = inputs;
  const bootstrapToken = generateBootstrapToken();
  const uploadCerts = uploadsCertsAtInit(cluster);
  const certificateKey = uploadCerts ? generateCertificateKey() : undefined;
  const secrets = [bootstrapToken, inputs.caKeyPem, ...(certificateKey !== undefined ? [certificateKey] : [])];
  const masker = new SecretMasker([...secrets, ...connectionSecrets(connection)]);
  const target = renderTarget(cluster, node, connection);
  const config = renderInitConfig(target.spec, target.node, {
    bootstrapToken,
    tokenTtl: cluster.joinTokenTtl,
    certificateKey,
    uploadCerts,
  });
  const initCommand = ["kubeadm", "init", "--config", INIT_CONFIG_PATH, ...(uploadCerts ? ["--upload-certs"] : [])];

  reporter.begin("connect", describeTarget(connection));
  return open(
    connection,
    async (session) => {
      reporter.begin("inspect", "looking for an existing or partial control plane");
      const state = await inspectHost(session);
      requireKubeadm(state, session.target, "kubeadm init");
      const owner = hostCluster(state, { caCertPem: inputs.caCertPem });
      if (owner === "ours" && state.adminConf && state.apiserverManifest) {
        const adopted = await adoptControlPlane(session, inputs, reporter);
        if (adopted !== undefined) return adopted;
      }
      if (state.footprint) {
        if (owner === "foreign") warnResettingForeign(node.name, session.target);
        await resetNode(
          session,
          inputs.resetScript,
          reporter,
          `clearing leftovers of an earlier attempt (${state.footprintItems.join(", ")})`,
        );
      }

      reporter.begin("upload", `cluster CA and ${INIT_CONFIG_PATH}`);
      await uploadClusterCa(session, inputs.caCertPem, inputs.caKeyPem);
      await uploadKubeadmConfig(session, INIT_CONFIG_PATH, config);
      if (cluster.kubeVip !== undefined) {
        // The endpoint must answer during init, so kube-vip runs first, with the credentials that work then.
        reporter.begin("kube-vip", `static Pod holding ${cluster.kubeVip.address} on ${cluster.kubeVip.interface}`);
        await placeKubeVip(session, cluster, SUPER_ADMIN_KUBECONFIG);
      }

      reporter.begin(
        "kubeadm init",
        `Kubernetes ${cluster.kubernetesVersion}, endpoint ${cluster.controlPlaneEndpoint}` +
          (uploadCerts ? ", certificates uploaded for control-plane joins" : ""),
      );
      await runKubeadmStep(session, shellCommand(initCommand), {
        step: "kubeadm init",
        reporter,
        resetScript: inputs.resetScript,
        masker,
        summary: initCommand.join(" "),
      });

      reporter.begin("finish", "reading the admin kubeconfig, removing the config with the token");
      await removeRemoteFile(session, INIT_CONFIG_PATH);
      const kubeconfig = await readRequiredFile(session, ADMIN_CONF_PATH, "kubeadm init");
      if (cluster.kubeVip !== undefined) {
        // admin.conf works now; super-admin.conf (which bypasses RBAC) is kept for emergencies only.
        await placeKubeVip(session, cluster, ADMIN_KUBECONFIG);
      }
      await applyLabels(session, node.name, {}, node.labels);
      reporter.done(`control plane ready at ${cluster.controlPlaneEndpoint}`);
      return outputs(inputs, kubeconfig, bootstrapToken);
    },
    { label: node.name, secrets, onOutput: reporter.onOutput },
  );
}
