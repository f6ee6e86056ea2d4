// What a running control plane says about its own settings, for refresh: kubeadm's record of the
// ClusterConfiguration (the kubeadm-config ConfigMap, which `kubeadm init` writes and the update phases here
// re-upload) and the Node object (taints, labels). Refresh reports these as the resource's current state, so
// the next `pulumi up` shows and undoes a change made behind Pulumi's back.
//
// Conservative by design: a field is only taken from the cluster when it could be read and parsed; anything
// else keeps the value in state, so a refresh never invents a difference.
import type { ExtraArgs } from "../../config/schema";
import type { RemoteSession } from "../../ssh";
import { normalizeKubernetesVersion } from "../../config/version";
import { parseReleaseVersion } from "../../kubeadm/upgrade-path";
import { warn } from "../shared/step-reporter";
import { CONTROL_PLANE_TAINT, kubectl, readNodeObject } from "./kubectl";
import type { ClusterSettings, NodeSettings } from "./settings";

type Document = Record<string, unknown>;

/** The ClusterConfiguration document from kube-system/kubeadm-config, or undefined. */
export async function readClusterConfiguration(session: RemoteSession): Promise<Document | undefined> {
  const result = await session.run(kubectl(["get", "configmap", "kubeadm-config", "-n", "kube-system", "-o", "json"]), {
    allowFailure: true,
    streamOutput: false,
    summary: "kubectl get configmap kubeadm-config",
  });
  if (result.code !== 0) return undefined;
  return parseClusterConfiguration(result.stdout);
}

export function parseClusterConfiguration(configMapJson: string): Document | undefined {
  try {
    const { parse } = require("yaml") as typeof import("yaml");
    const configMap = JSON.parse(configMapJson) as { data?: { ClusterConfiguration?: string } };
    const text = configMap.data?.ClusterConfiguration;
    if (typeof text !== "string") return undefined;
    const doc = parse(text) as unknown;
    return doc !== null && typeof doc === "object" && !Array.isArray(doc) ? (doc as Document) : undefined;
  } catch {
    return undefined;
  }
}

function objectAt(doc: Document | undefined, key: string): Document | undefined {
  const value = doc?.[key];
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Document) : undefined;
}

function stringAt(doc: Document | undefined, key: string): string | undefined {
  const value = doc?.[key];
  return typeof value === "string" ? value : undefined;
}

/** extraArgs as v1beta4 (`[{name, value}]`) or v1beta3 (map) stores them; undefined if neither. */
export function parseExtraArgs(value: unknown): ExtraArgs | undefined {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    const args: ExtraArgs = {};
    for (const item of value) {
      if (item === null || typeof item !== "object") return undefined;
      const { name, value: argValue } = item as { name?: unknown; value?: unknown };
      if (typeof name !== "string") return undefined;
      args[name] = argValue === undefined || argValue === null ? "" : String(argValue);
    }
    return args;
  }
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Document).map(([k, v]) => [k, String(v)]));
  }
  return undefined;
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;
}

/** `stored` with the fields the live ClusterConfiguration states replaced by what it states. */
export function liveClusterSettings(stored: ClusterSettings, doc: Document | undefined): ClusterSettings {
  if (doc === undefined) return stored;
  const networking = objectAt(doc, "networking");
  const apiServer = objectAt(doc, "apiServer");
  const controllerManager = objectAt(doc, "controllerManager");
  const scheduler = objectAt(doc, "scheduler");
  const pick = <T>(live: T | undefined, fallback: T): T => (live === undefined ? fallback : live);
  return {
    ...stored,
    kubernetesVersion: pick(stringAt(doc, "kubernetesVersion"), stored.kubernetesVersion),
    controlPlaneEndpoint: pick(stringAt(doc, "controlPlaneEndpoint"), stored.controlPlaneEndpoint),
    imageRepository: pick(stringAt(doc, "imageRepository"), stored.imageRepository),
    podSubnet: pick(stringAt(networking, "podSubnet"), stored.podSubnet),
    serviceSubnet: pick(stringAt(networking, "serviceSubnet"), stored.serviceSubnet),
    dnsDomain: pick(stringAt(networking, "dnsDomain"), stored.dnsDomain),
    apiServer: {
      extraArgs: pick(apiServer && parseExtraArgs(apiServer.extraArgs), stored.apiServer.extraArgs),
      certSANs: pick(apiServer && stringList(apiServer.certSANs), stored.apiServer.certSANs),
    },
    controllerManager: {
      extraArgs: pick(
        controllerManager && parseExtraArgs(controllerManager.extraArgs),
        stored.controllerManager.extraArgs,
      ),
    },
    scheduler: { extraArgs: pick(scheduler && parseExtraArgs(scheduler.extraArgs), stored.scheduler.extraArgs) },
  };
}

export interface LiveNode {
  labels: Record<string, string>;
  schedulable: boolean;
  /** The kubelet's version as the API server reports it ("v1.35.4"). */
  kubeletVersion?: string;
}

export async function readLiveNode(session: RemoteSession, name: string): Promise<LiveNode | undefined> {
  const node = await readNodeObject(session, name);
  if (node === undefined) return undefined;
  const [key, effect] = CONTROL_PLANE_TAINT.split(":");
  return {
    labels: node.labels,
    schedulable: !node.taints.some((t) => t.key === key && t.effect === effect),
    kubeletVersion: node.kubeletVersion,
  };
}

/**
 * The version a refresh stores for a node: its kubelet's, as the API server reports it, when that is a release other
 * than the stored one (an upgrade interrupted before this node's kubelet, or a node upgraded by hand), with a warning
 * saying what the next `pulumi up` does about it. The stored one otherwise.
 */
export function liveKubernetesVersion(node: string, stored: string, live: LiveNode | undefined): string {
  const kubelet = live?.kubeletVersion;
  if (kubelet === undefined || parseReleaseVersion(kubelet) === undefined) return stored;
  if (normalizeKubernetesVersion(stored) === kubelet) return stored;
  warn(
    node,
    `its kubelet runs ${kubelet}, not the stack's ${normalizeKubernetesVersion(stored)}: the next \`pulumi up\` ` +
      "moves it to the configured kubernetesVersion (or refuses, if kubeadm cannot get there from it)",
  );
  return kubelet;
}

/** The labels this project manages (the keys in state), as the Node has them now. */
export function liveLabels(stored: NodeSettings["labels"], live: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(stored).flatMap((key) => (key in live ? [[key, live[key]]] : [])));
}
