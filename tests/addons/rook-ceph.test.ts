import { strict as assert } from "assert";
import type { ClusterSpec } from "../../config/spec";
import { cephLayout } from "../../components/addons/ceph-cluster-spec";
import { kubernetesProvider } from "../../components/addons/kubernetes-provider";
import { loadManifest } from "../../components/addons/manifest";
import {
  CEPH_CLUSTER_NAME,
  DEFAULT_STORAGE_CLASS_ANNOTATION,
  ROOK_NAMESPACE,
  RookCeph,
} from "../../components/addons/rook-ceph";
import {
  findObject,
  imagesOfObject,
  installMocks,
  kubernetesObjects,
  rookCephSettings,
  specWith,
  stepResource,
  type MockCluster,
  type Registered,
} from "./mocks";

const MIRROR = "harbor.example.com/proxy";

interface Case {
  /** Component name, also the prefix of its resources. */
  name: string;
  spec: ClusterSpec;
  podNodes: number;
  mirror?: string;
}

const CASES: Case[] = [
  {
    name: "rook-1",
    podNodes: 1,
    spec: specWith(1, {
      rookCeph: rookCephSettings({ devices: ["sdb", "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4"], useAllDevices: false }),
    }),
  },
  {
    // One worker and a control plane that takes workloads.
    name: "rook-2",
    podNodes: 2,
    spec: specWith(
      1,
      { rookCeph: rookCephSettings({ dataDirHostPath: "/data/rook", defaultStorageClass: false }) },
      {
        schedulableControlPlane: true,
      },
    ),
  },
  { name: "rook-3", podNodes: 3, spec: specWith(3, { rookCeph: rookCephSettings() }) },
  {
    name: "rook-5",
    podNodes: 5,
    mirror: MIRROR,
    spec: specWith(5, {
      imageMirror: MIRROR,
      rookCeph: rookCephSettings({ devices: ["nvme1n1"], useAllDevices: false }),
    }),
  },
];

function spec(resource: Registered): Record<string, unknown> {
  return resource.inputs.spec as Record<string, unknown>;
}

function crdName(resource: Registered): string {
  const [group] = (resource.inputs.apiVersion as string).split("/");
  const kind = resource.inputs.kind as string;
  return `${kind.toLowerCase()}${kind.endsWith("s") ? "es" : "s"}.${group}`;
}

describe("Rook-Ceph component (Pulumi mocks)", () => {
  let cluster: MockCluster;
  const created = new Map<string, Registered[]>();

  before(async () => {
    cluster = await installMocks({ preview: false });
    const provider = kubernetesProvider("rook-test-k8s", "kubeconfig", {});
    const joins = [stepResource("rook-test-join")];
    for (const c of CASES) {
      new RookCeph(c.name, { spec: c.spec, imageMirror: c.spec.addons.imageMirror, provider, dependsOn: joins });
    }
    await cluster.settle();
    for (const c of CASES) created.set(c.name, kubernetesObjects(cluster.resources, c.name));
  });

  it("sizes the layout by the nodes that run pods: 1, 2, 3 and 5 nodes", () => {
    const layouts = CASES.map((c) => cephLayout(c.spec));
    assert.deepEqual(
      layouts.map((l) => l.podNodes),
      CASES.map((c) => c.podNodes),
    );
    assert.deepEqual(
      layouts.map((l) => [l.testLayout, l.monCount, l.allowMultipleMonsPerNode, l.replicaSize, l.failureDomain]),
      [
        [true, 1, true, 1, "osd"],
        [true, 1, true, 2, "osd"],
        [false, 3, false, 3, "host"],
        [false, 3, false, 3, "host"],
      ],
    );
    for (const layout of layouts) {
      assert.ok(layout.monCount % 2 === 1 && layout.monCount <= layout.podNodes, "odd, at most one per node");
    }
  });

  it("creates the CRDs, common resources, CSI operator and operator of the pinned release", () => {
    const objects = created.get("rook-3") as Registered[];
    for (const file of ["crds.yaml", "common.yaml", "csi-operator.yaml", "operator.yaml", "storageclass-rbd.yaml"]) {
      for (const object of loadManifest("rook-ceph", file)) {
        findObject(objects, object.kind, object.metadata.name, object.metadata.namespace);
      }
    }
    const operator = findObject(objects, "Deployment", "rook-ceph-operator", ROOK_NAMESPACE);
    assert.equal(operator.type, "kubernetes:apps/v1:Deployment");
    const cephCluster = findObject(objects, "CephCluster", CEPH_CLUSTER_NAME, ROOK_NAMESPACE);
    assert.equal(cephCluster.type, "kubernetes:ceph.rook.io/v1:CephCluster");
    for (const resource of objects) {
      const { namespace } = resource.inputs.metadata as { namespace?: string };
      assert.ok(namespace === undefined || namespace === ROOK_NAMESPACE, resource.name);
    }
  });

  it("uses cluster-test.yaml below three nodes and cluster.yaml from three, under one CephCluster name", () => {
    for (const c of CASES) {
      const cephClusters = (created.get(c.name) as Registered[]).filter((r) => r.inputs.kind === "CephCluster");
      assert.equal(cephClusters.length, 1);
      const cephCluster = spec(cephClusters[0]);
      const testLayout = c.podNodes < 3;
      const vendored = loadManifest("rook-ceph", testLayout ? "cluster-test.yaml" : "cluster.yaml").find(
        (o) => o.kind === "CephCluster",
      );
      assert.deepEqual(
        cephCluster.mgr,
        (vendored?.spec as Record<string, unknown>).mgr,
        `${c.name}: the layout's manager settings`,
      );
      const mon = cephCluster.mon as { count: number; allowMultiplePerNode: boolean };
      assert.equal(mon.count, testLayout ? 1 : 3, c.name);
      assert.equal(mon.allowMultiplePerNode, testLayout, c.name);
      const builtinMgrPool = (created.get(c.name) as Registered[]).some(
        (r) => r.inputs.kind === "CephBlockPool" && (r.inputs.metadata as { name: string }).name === "builtin-mgr",
      );
      assert.equal(builtinMgrPool, testLayout, `${c.name}: cluster-test.yaml's single-replica .mgr pool`);
      if (testLayout) {
        const mgrPool = findObject(created.get(c.name) as Registered[], "CephBlockPool", "builtin-mgr", ROOK_NAMESPACE);
        assert.ok(mgrPool.dependencies.includes(cephClusters[0].name), "the .mgr pool waits for the CephCluster");
      }
    }
  });

  it("selects devices from the config and sets dataDirHostPath", () => {
    const storage = (name: string) => {
      const objects = created.get(name) as Registered[];
      return spec(findObject(objects, "CephCluster", CEPH_CLUSTER_NAME, ROOK_NAMESPACE)).storage as Record<
        string,
        unknown
      >;
    };
    const listed = storage("rook-1");
    assert.equal(listed.useAllDevices, false);
    assert.equal(listed.useAllNodes, true);
    assert.deepEqual(listed.devices, [{ name: "sdb" }, { name: "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4" }]);
    assert.equal(listed.deviceFilter, undefined);
    assert.deepEqual(storage("rook-5").devices, [{ name: "nvme1n1" }]);
    const all = storage("rook-3");
    assert.equal(all.useAllDevices, true);
    assert.equal(all.devices, undefined);
    const vendoredStorage = (file: string) => {
      const object = loadManifest("rook-ceph", file).find((o) => o.kind === "CephCluster");
      return (object?.spec as { storage: Record<string, unknown> }).storage;
    };
    for (const [name, file] of [
      ["rook-3", "cluster.yaml"],
      ["rook-2", "cluster-test.yaml"],
    ]) {
      const selection = new Set(["useAllNodes", "useAllDevices", "devices", "deviceFilter", "nodes"]);
      const others = Object.entries(vendoredStorage(file)).filter(([key]) => !selection.has(key));
      assert.ok(others.length > 0, file);
      for (const [key, value] of others) {
        assert.deepEqual(storage(name)[key], value, `${file}'s storage.${key} is kept`);
      }
    }
    const dataDir = (name: string) =>
      spec(findObject(created.get(name) as Registered[], "CephCluster", CEPH_CLUSTER_NAME, ROOK_NAMESPACE))
        .dataDirHostPath;
    assert.equal(dataDir("rook-2"), "/data/rook");
    assert.equal(dataDir("rook-3"), "/var/lib/rook");
  });

  it("sizes the block pool and marks the StorageClass default as configured", () => {
    for (const c of CASES) {
      const objects = created.get(c.name) as Registered[];
      const pool = spec(findObject(objects, "CephBlockPool", "replicapool", ROOK_NAMESPACE));
      const replicated = pool.replicated as { size: number; requireSafeReplicaSize: boolean };
      assert.equal(replicated.size, Math.min(3, c.podNodes), c.name);
      assert.equal(replicated.requireSafeReplicaSize, c.podNodes > 1, c.name);
      assert.equal(pool.failureDomain, c.podNodes < 3 ? "osd" : "host", c.name);
      const storageClass = findObject(objects, "StorageClass", "rook-ceph-block");
      const annotations = (storageClass.inputs.metadata as { annotations: Record<string, string> }).annotations;
      assert.equal(annotations[DEFAULT_STORAGE_CLASS_ANNOTATION], String(c.spec.addons.rookCeph.defaultStorageClass));
      assert.equal((storageClass.inputs.parameters as Record<string, string>).pool, "replicapool");
    }
  });

  it("orders CRDs before custom resources, the operator before the cluster, the cluster before the pool", () => {
    const objects = created.get("rook-3") as Registered[];
    const crds = new Map(
      objects
        .filter((r) => r.inputs.kind === "CustomResourceDefinition")
        .map((r) => [(r.inputs.metadata as { name: string }).name, r.name]),
    );
    const crKinds = objects.filter((r) => {
      const apiVersion = r.inputs.apiVersion as string;
      return apiVersion.includes(".") && !apiVersion.split("/")[0].endsWith(".k8s.io");
    });
    assert.ok(crKinds.length >= 5, "CephCluster, pools, OperatorConfig, Drivers");
    for (const resource of crKinds) {
      const crd = crds.get(crdName(resource));
      assert.ok(crd, `the CRD of ${resource.name}`);
      assert.ok(resource.dependencies.includes(crd), `${resource.name} waits for ${crd}`);
    }
    const operator = findObject(objects, "Deployment", "rook-ceph-operator", ROOK_NAMESPACE);
    const namespace = findObject(objects, "Namespace", ROOK_NAMESPACE);
    assert.ok(operator.dependencies.includes(namespace.name));
    for (const crd of crds.values()) assert.ok(operator.dependencies.includes(crd), `operator after ${crd}`);
    const cephCluster = findObject(objects, "CephCluster", CEPH_CLUSTER_NAME, ROOK_NAMESPACE);
    assert.ok(cephCluster.dependencies.includes(operator.name), "the CephCluster waits for the operator");
    const pool = findObject(objects, "CephBlockPool", "replicapool", ROOK_NAMESPACE);
    assert.ok(pool.dependencies.includes(cephCluster.name), "the pool waits for the CephCluster");
    for (const resource of objects) {
      assert.ok(resource.dependencies.includes("rook-test-join"), `${resource.name} waits for the workers`);
    }
  });

  it("moves every image to the mirror, the Ceph image and the CSI image set included", () => {
    const upstream = (created.get("rook-3") as Registered[]).flatMap(imagesOfObject).sort();
    const mirrored = (created.get("rook-5") as Registered[]).flatMap(imagesOfObject).sort();
    for (const expected of ["quay.io/ceph/ceph:", "docker.io/rook/ceph:", "quay.io/cephcsi/cephcsi:"]) {
      assert.ok(
        upstream.some((image) => image.startsWith(expected)),
        `an image ${expected}...`,
      );
    }
    assert.ok(upstream.length >= 10, upstream.join(", "));
    assert.equal(mirrored.length, upstream.length);
    for (const image of mirrored) assert.ok(image.startsWith(`${MIRROR}/`), image);
    for (const image of upstream) assert.ok(!image.startsWith(MIRROR), image);
    const cephImage = spec(
      findObject(created.get("rook-5") as Registered[], "CephCluster", CEPH_CLUSTER_NAME, ROOK_NAMESPACE),
    ).cephVersion as { image: string };
    assert.match(cephImage.image, new RegExp(`^${MIRROR}/ceph/ceph:v`));
  });
});
