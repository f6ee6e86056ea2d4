// Rook-Ceph: the pinned release's CRDs, common resources, CSI operator and operator, then a CephCluster sized to
// the nodes, a replicated block pool and its StorageClass. Every step waits for the one it needs: custom
// resources for their CRDs, the CephCluster for a running operator, the pool for the cluster; `pulumi destroy`
// walks the same chain backwards, so the operator is still there to finalise the CephCluster.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../../config/spec";
import { applyObjects, type ApplyOptions } from "./apply";
import { cephLayout, sizedBlockPool, sizedCephCluster } from "./ceph-cluster-spec";
import { loadManifest, type KubeObject } from "./manifest";

export const ROOK_NAMESPACE = "rook-ceph";
/**
 * cluster.yaml's name, kept for the test layout too: growing from two nodes to three then changes the
 * CephCluster in place (Rook adds the monitors) instead of deleting it, with its data, for another one.
 */
export const CEPH_CLUSTER_NAME = "rook-ceph";
export const DEFAULT_STORAGE_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

export interface RookCephArgs {
  /** The nodes (how many run pods) and spec.addons.rookCeph. */
  spec: ClusterSpec;
  imageMirror: string | undefined;
  waitForRollout?: boolean;
  provider: pulumi.ProviderResource;
  /** The workers' joins (and the pod network): OSDs and monitors need nodes. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

function withDefaultClassAnnotation(object: KubeObject, isDefault: boolean): KubeObject {
  const annotations = { ...((object.metadata.annotations ?? {}) as Record<string, string>) };
  // Explicit "false" rather than no annotation: a class that was the default stops being it.
  annotations[DEFAULT_STORAGE_CLASS_ANNOTATION] = String(isDefault);
  return { ...object, metadata: { ...object.metadata, annotations } };
}

export class RookCeph extends pulumi.ComponentResource {
  /** The CephCluster resource, for whatever needs storage. */
  readonly cephCluster: pulumi.CustomResource;
  /** The block StorageClass's name. */
  readonly storageClassName: string;

  constructor(name: string, args: RookCephArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:addons:RookCeph", name, {}, opts);
    const { spec } = args;
    const base = {
      parent: this,
      provider: args.provider,
      imageMirror: args.imageMirror,
      waitForRollout: args.waitForRollout,
    };
    const apply = (objects: KubeObject[], dependsOn: pulumi.Input<pulumi.Resource>[]) =>
      applyObjects(name, objects, { ...base, dependsOn: [...args.dependsOn, ...dependsOn] } satisfies ApplyOptions);
    const manifest = (file: string) => loadManifest("rook-ceph", file);

    const crds = apply(manifest("crds.yaml"), []);
    const common = apply(manifest("common.yaml"), []);
    const csiOperator = apply(manifest("csi-operator.yaml"), [...crds.all, ...common.all]);
    // operator.yaml also holds the CSI drivers (custom resources of csi-operator.yaml's CRDs) and the ImageSet
    // ConfigMap naming every CSI image, which the mirror rewrite covers like any other image.
    const operator = apply(manifest("operator.yaml"), [...crds.all, ...common.all, ...csiOperator.all]);
    const operatorDeployment = operator.find("Deployment", "rook-ceph-operator", ROOK_NAMESPACE);

    const layout = cephLayout(spec);
    const clusterObjects = manifest(layout.testLayout ? "cluster-test.yaml" : "cluster.yaml");
    const vendoredCluster = clusterObjects.find((object) => object.kind === "CephCluster");
    if (!vendoredCluster) throw new Error("the vendored cluster manifest has no CephCluster");
    const cephCluster = sizedCephCluster(
      { ...vendoredCluster, metadata: { ...vendoredCluster.metadata, name: CEPH_CLUSTER_NAME } },
      spec,
    );
    this.cephCluster = apply([cephCluster], [...crds.all, operatorDeployment]).find(
      "CephCluster",
      CEPH_CLUSTER_NAME,
      ROOK_NAMESPACE,
    );
    // The rest of the layout (cluster-test.yaml's .mgr pool) belongs to the cluster, like the block pool below.
    apply(
      clusterObjects.filter((object) => object !== vendoredCluster),
      [...crds.all, this.cephCluster],
    );

    const storageObjects = manifest("storageclass-rbd.yaml").map((object) => {
      if (object.kind === "CephBlockPool") return sizedBlockPool(object, spec);
      if (object.kind === "StorageClass") {
        return withDefaultClassAnnotation(object, spec.addons.rookCeph.defaultStorageClass);
      }
      return object;
    });
    const storageClass = storageObjects.find((object) => object.kind === "StorageClass");
    if (!storageClass) throw new Error("the vendored storageclass-rbd.yaml has no StorageClass");
    this.storageClassName = storageClass.metadata.name;
    // Pools after the cluster, so that a destroy removes them while the cluster and the operator still run.
    apply(storageObjects, [...crds.all, this.cephCluster]);
    this.registerOutputs({ storageClassName: this.storageClassName });
  }
}
