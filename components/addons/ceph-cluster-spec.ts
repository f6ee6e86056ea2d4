// How big a Ceph cluster the nodes can carry, and the CephCluster and CephBlockPool settings that follow.
// Ceph keeps each object on three hosts and wants three monitors for a quorum that survives one loss; with
// fewer nodes that run pods, Rook's single-node example (cluster-test.yaml) is the layout that comes up at all.
import type { ClusterSpec } from "../../config/spec";
import type { KubeObject } from "./manifest";

/** Ceph's default replica and monitor count. */
const FULL_SIZE = 3;

export interface CephLayout {
  /** Nodes Rook can place mons and OSDs on: the workers, plus the control plane when it takes workloads. */
  podNodes: number;
  /** Rook's cluster-test.yaml (several daemons per node) rather than cluster.yaml. */
  testLayout: boolean;
  /** Odd, at most podNodes: 1 below three nodes, else 3. */
  monCount: number;
  allowMultipleMonsPerNode: boolean;
  /** The block pool's replica count. */
  replicaSize: number;
  /** Where replicas must differ: on separate hosts once there are enough of them. */
  failureDomain: "host" | "osd";
}

export function podNodeCount(spec: ClusterSpec): number {
  return spec.workers.length + (spec.schedulableControlPlane ? spec.controlPlane.length : 0);
}

export function cephLayout(spec: ClusterSpec): CephLayout {
  // Validation rejects Rook without a node that runs pods; sizing for one keeps the arithmetic sane anyway.
  const podNodes = Math.max(1, podNodeCount(spec));
  const testLayout = podNodes < FULL_SIZE;
  return {
    podNodes: podNodeCount(spec),
    testLayout,
    monCount: testLayout ? 1 : FULL_SIZE,
    allowMultipleMonsPerNode: testLayout,
    replicaSize: Math.min(FULL_SIZE, podNodes),
    failureDomain: testLayout ? "osd" : "host",
  };
}

/** The storage section: every unused device, or the configured ones on every node. */
export function storageSelection(rook: ClusterSpec["addons"]["rookCeph"]): Record<string, unknown> {
  if (rook.useAllDevices) return { useAllNodes: true, useAllDevices: true };
  return { useAllNodes: true, useAllDevices: false, devices: rook.devices.map((name) => ({ name })) };
}

function specOf(object: KubeObject): Record<string, unknown> {
  const spec = object.spec;
  if (typeof spec !== "object" || spec === null) throw new Error(`${object.kind} ${object.metadata.name} has no spec`);
  return spec as Record<string, unknown>;
}

/** The vendored CephCluster with this cluster's monitors, storage and host directory. */
export function sizedCephCluster(cluster: KubeObject, spec: ClusterSpec): KubeObject {
  const layout = cephLayout(spec);
  const rook = spec.addons.rookCeph;
  const clusterSpec = specOf(cluster);
  const mon = (clusterSpec.mon ?? {}) as Record<string, unknown>;
  const storage = { ...((clusterSpec.storage ?? {}) as Record<string, unknown>) };
  // The examples' own selections (a deviceFilter, per-node lists) would widen or fight the configured one.
  for (const key of ["useAllNodes", "useAllDevices", "deviceFilter", "devicePathFilter", "devices", "nodes"]) {
    delete storage[key];
  }
  return {
    ...cluster,
    spec: {
      ...clusterSpec,
      dataDirHostPath: rook.dataDirHostPath,
      mon: { ...mon, count: layout.monCount, allowMultiplePerNode: layout.allowMultipleMonsPerNode },
      storage: { ...storage, ...storageSelection(rook) },
    },
  };
}

/** The vendored CephBlockPool with as many replicas as there are nodes to hold them (at most three). */
export function sizedBlockPool(pool: KubeObject, spec: ClusterSpec): KubeObject {
  const layout = cephLayout(spec);
  const poolSpec = specOf(pool);
  const replicated = (poolSpec.replicated ?? {}) as Record<string, unknown>;
  return {
    ...pool,
    spec: {
      ...poolSpec,
      failureDomain: layout.failureDomain,
      // Rook refuses a pool of one replica unless told that this is meant.
      replicated: { ...replicated, size: layout.replicaSize, requireSafeReplicaSize: layout.replicaSize > 1 },
    },
  };
}
