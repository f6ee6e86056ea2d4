// Refresh of the first control-plane node.
//
// Gone (the resource leaves the state, and the next `pulumi up` initialises the host again): admin.conf or
// the API server manifest is missing (the host was reset), or ca.crt is not this cluster's CA (another
// cluster was set up there). The dynamic-provider host passes read's id to the engine as is, and an empty id
// is the engine's "does not exist any more".
// Changed: the kubeadm-config ConfigMap and the Node object (labels, taint, the kubelet's version) are read back
// (node/live-cluster.ts), so settings changed behind Pulumi's back show up as a diff on the next `pulumi up`; the
// kubeconfig is re-read.
// Unreachable: a warning, and the state stays as it was (a host that is down for maintenance must not be
// dropped from the stack by a refresh).
import { describeTarget } from "../../ssh";
import { hostCluster, inspectHost } from "../node/host-state";
import type { KubeadmInitOutputs } from "./inputs";
import {
  liveClusterSettings,
  liveKubernetesVersion,
  liveLabels,
  readClusterConfiguration,
  readLiveNode,
} from "../node/live-cluster";
import { stripUndefined } from "../shared/plain-data";
import { ADMIN_CONF_PATH } from "../node/remote-files";
import { goneOutcome, type ReadOutcome } from "../shared/kubeadm-resource";
import { StepReporter, unlessUnreachable, warn, type SessionOpener } from "../shared/step-reporter";

export function readMasterNode(
  id: string,
  props: KubeadmInitOutputs,
  open: SessionOpener,
): Promise<ReadOutcome<KubeadmInitOutputs>> {
  const reporter = new StepReporter(props.node.name);
  return reporter.run(() => readSteps(id, props, open, reporter));
}

async function readSteps(
  id: string,
  props: KubeadmInitOutputs,
  open: SessionOpener,
  reporter: StepReporter,
): Promise<ReadOutcome<KubeadmInitOutputs>> {
  const name = props.node.name;
  reporter.begin("refresh", describeTarget(props.connection));
  const refreshed = await unlessUnreachable(reporter, "Refresh keeps the control plane's state as it was.", () =>
    open(
      props.connection,
      async (session) => {
        const state = await inspectHost(session);
        const owner = hostCluster(state, { caCertPem: props.caCertPem });
        const gone = [
          state.adminConf ? undefined : "admin.conf is missing",
          state.apiserverManifest ? undefined : "the kube-apiserver manifest is missing",
          owner === "none" ? "ca.crt is missing" : owner === "foreign" ? "ca.crt is another cluster's CA" : undefined,
        ].filter((reason): reason is string => reason !== undefined);
        if (gone.length > 0) {
          return goneOutcome<KubeadmInitOutputs>(
            name,
            `the control plane on ${session.target} is gone (${gone.join("; ")})`,
            "initialises the host again",
          );
        }
        const kubeconfig = (await session.readFile(ADMIN_CONF_PATH, {})) ?? props.kubeconfig;
        const cluster = liveClusterSettings(props.cluster, await readClusterConfiguration(session));
        const live = await readLiveNode(session, name);
        if (live === undefined) {
          warn(
            name,
            `the API server on ${session.target} did not return Node ${name}; its taint and labels are not checked`,
          );
        }
        const refreshed: KubeadmInitOutputs = {
          ...props,
          kubeconfig,
          cluster:
            live === undefined
              ? cluster
              : {
                  ...cluster,
                  schedulableControlPlane: live.schedulable,
                  // The kubeadm-config ConfigMap has the new version as soon as `upgrade apply` finished; this node's
                  // own kubelet may still be at the old one (an upgrade interrupted there).
                  kubernetesVersion: liveKubernetesVersion(name, cluster.kubernetesVersion, live),
                },
          node: live === undefined ? props.node : { ...props.node, labels: liveLabels(props.node.labels, live.labels) },
        };
        return { id, props: stripUndefined(refreshed) };
      },
      { label: name, secrets: [props.kubeconfig, props.bootstrapToken, props.caKeyPem], onOutput: reporter.onOutput },
    ),
  );
  return refreshed ?? { id, props };
}
