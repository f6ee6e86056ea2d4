// The settings the kubeadm providers receive as inputs: plain, serializable data cut from the ClusterSpec.
// The host lists are left out (each resource is about one node, and another node's connection must not be
// stored in this node's state), and a node's connection travels separately so the component can wrap it in
// pulumi.secret (it carries keys) without making the rest of the node's settings secret.
import type { ClusterSpec, Connection, NodeSpec } from "../../config/spec";

/** The cluster-wide settings: ClusterSpec without its host lists (and their connections). */
export type ClusterSettings = Omit<ClusterSpec, "controlPlane" | "workers">;

/** One node's settings without its connection. */
export type NodeSettings = Omit<NodeSpec, "connection">;

export function clusterSettings(spec: ClusterSpec): ClusterSettings {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { controlPlane, workers, ...rest } = spec;
  return rest;
}

export function nodeSettings(node: NodeSpec): NodeSettings {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { connection, ...rest } = node;
  return rest;
}

/**
 * The spec and node the kubeadm renderers take. They read only cluster-wide fields and the node itself, so
 * empty host lists are enough; the connection is the node's own (the renderers ignore it).
 */
export function renderTarget(
  cluster: ClusterSettings,
  node: NodeSettings,
  connection: Connection,
): { spec: ClusterSpec; node: NodeSpec } {
  const nodeSpec: NodeSpec = { ...node, connection };
  return { spec: { ...cluster, controlPlane: [], workers: [] }, node: nodeSpec };
}
