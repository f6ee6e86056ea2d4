// Flannel, the pod network: the pinned kube-flannel manifest with its net-conf.json set from the cluster.
// Nodes stay NotReady until a CNI runs, so it only waits for the control plane, not for the workers.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../../config/spec";
import { applyObjects } from "./apply";
import { loadManifest, type KubeObject } from "./manifest";

export const FLANNEL_NAMESPACE = "kube-flannel";
const CONFIG_MAP = "kube-flannel-cfg";
const NET_CONF_KEY = "net-conf.json";

export interface FlannelArgs {
  /** spec.podSubnet: flannel hands out node subnets from it, so it must be the range kubeadm gave the nodes. */
  podSubnet: string;
  backend: ClusterSpec["addons"]["flannel"]["backend"];
  imageMirror: string | undefined;
  waitForRollout?: boolean;
  provider: pulumi.ProviderResource;
  /** The control plane (`kubeadm init`). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The manifest's net-conf.json with the cluster's network and backend; other settings are kept. */
export function flannelNetConf(vendored: string, podSubnet: string, backend: FlannelArgs["backend"]): string {
  const netConf = JSON.parse(vendored) as Record<string, unknown>;
  // Backend options (VNI, port, ...) belong to the backend they were written for, so a new type starts clean.
  return JSON.stringify({ ...netConf, Network: podSubnet, Backend: { Type: backend } }, null, 2);
}

function withNetConf(object: KubeObject, args: FlannelArgs): KubeObject {
  if (object.kind !== "ConfigMap" || object.metadata.name !== CONFIG_MAP) return object;
  const data = object.data as Record<string, string>;
  return {
    ...object,
    data: { ...data, [NET_CONF_KEY]: flannelNetConf(data[NET_CONF_KEY], args.podSubnet, args.backend) },
  };
}

export class Flannel extends pulumi.ComponentResource {
  /** Pods other than flannel's own get an address once this has rolled out. */
  readonly daemonSet: pulumi.CustomResource;

  constructor(name: string, args: FlannelArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:addons:Flannel", name, {}, opts);
    const objects = loadManifest("flannel", "kube-flannel.yml").map((object) => withNetConf(object, args));
    if (!objects.some((object) => object.kind === "ConfigMap" && object.metadata.name === CONFIG_MAP)) {
      throw new Error(`the vendored kube-flannel.yml has no ConfigMap ${CONFIG_MAP}`);
    }
    const applied = applyObjects(name, objects, {
      parent: this,
      provider: args.provider,
      imageMirror: args.imageMirror,
      waitForRollout: args.waitForRollout,
      dependsOn: args.dependsOn,
    });
    this.daemonSet = applied.find("DaemonSet", "kube-flannel-ds", FLANNEL_NAMESPACE);
    this.registerOutputs({});
  }
}
