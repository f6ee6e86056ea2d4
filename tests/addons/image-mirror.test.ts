import { strict as assert } from "assert";
import * as fs from "fs";
import fc from "fast-check";
import { imagesOf, rewriteImages } from "../../components/addons/image-mirror";
import { mirrorImage, parseImageReference } from "../../config/image-reference";
import {
  ADDON_NAMES,
  ADDONS_DIR,
  loadManifest,
  vendoredFilePath,
  vendoredFiles,
  type AddonName,
  type KubeObject,
} from "../../components/addons/manifest";

const MIRROR = "registry.example.com:5000/mirror";

function vendoredObjects(addon: AddonName): KubeObject[] {
  return vendoredFiles(addon)
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) => loadManifest(addon, file));
}

const allObjects = ADDON_NAMES.flatMap(vendoredObjects);

/** Paths of the leaves that differ between two JSON-like values. */
function changedLeaves(before: unknown, after: unknown, at = ""): string[] {
  if (typeof before !== "object" || before === null || typeof after !== "object" || after === null) {
    return before === after ? [] : [at];
  }
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].flatMap((key) =>
    changedLeaves((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], `${at}/${key}`),
  );
}

function pod(containers: Record<string, unknown>): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: containers };
}

describe("image mirror", () => {
  it("moves references to the mirror, keeping path, tag and digest", () => {
    const digest = "sha256:" + "ab".repeat(32);
    const expectations: [string, string][] = [
      ["docker.io/flannel/flannel:v0.28.10", `${MIRROR}/flannel/flannel:v0.28.10`],
      [
        "ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3",
        `${MIRROR}/flannel-io/flannel-cni-plugin:v1.9.1-flannel3`,
      ],
      ["quay.io/ceph/ceph:v19.2.3", `${MIRROR}/ceph/ceph:v19.2.3`],
      ["registry.k8s.io/sig-storage/csi-provisioner:v6.2.0", `${MIRROR}/sig-storage/csi-provisioner:v6.2.0`],
      ["kubernetesui/dashboard:v2.7.0", `${MIRROR}/kubernetesui/dashboard:v2.7.0`],
      ["busybox", `${MIRROR}/library/busybox`],
      ["busybox:1.36", `${MIRROR}/library/busybox:1.36`],
      ["docker.io/busybox", `${MIRROR}/library/busybox`],
      ["index.docker.io/library/nginx:1.27", `${MIRROR}/library/nginx:1.27`],
      [`quay.io/cephcsi/cephcsi@${digest}`, `${MIRROR}/cephcsi/cephcsi@${digest}`],
      [`quay.io/cephcsi/cephcsi:v3.17.0@${digest}`, `${MIRROR}/cephcsi/cephcsi:v3.17.0@${digest}`],
      ["localhost:5000/x:y", `${MIRROR}/x:y`],
      ["localhost/x", `${MIRROR}/x`],
      ["registry.internal:443/team/app/api:2024.1", `${MIRROR}/team/app/api:2024.1`],
    ];
    for (const [ref, expected] of expectations) assert.equal(mirrorImage(ref, MIRROR), expected, ref);
    assert.equal(mirrorImage("busybox", "mirror.local/"), "mirror.local/library/busybox");
    assert.equal(mirrorImage("quay.io/ceph/ceph:v20", "localhost:5000"), "localhost:5000/ceph/ceph:v20");
  });

  it("rejects a mirror that a container runtime would not read as a registry", () => {
    for (const mirror of [
      "",
      "https://registry.example.com",
      "mirror",
      "mirror/path",
      "registry.example.com/Path",
      " a.b",
    ]) {
      assert.throws(() => mirrorImage("busybox", mirror), /is not a registry mirror/, JSON.stringify(mirror));
    }
  });

  it("rejects what is not an image reference", () => {
    for (const ref of [
      "",
      "Busybox",
      "quay.io/ceph/ceph:",
      "quay.io//ceph",
      "ceph@sha256",
      "a b",
      "quay.io/ceph/ceph:v1 ",
    ]) {
      assert.throws(() => mirrorImage(ref, MIRROR), /is not an image reference/, JSON.stringify(ref));
    }
  });

  it("mirrors every image of every vendored manifest, keeping its path, tag and digest", () => {
    for (const image of new Set(allObjects.flatMap(imagesOf))) {
      const { path, tagAndDigest } = parseImageReference(image);
      assert.equal(mirrorImage(image, MIRROR), `${MIRROR}/${path}${tagAndDigest}`, image);
      assert.match(tagAndDigest, /^:[\w.-]+(@sha256:[0-9a-f]{64})?$/, `${image} is pinned to a tag`);
    }
  });

  it("finds these images in the vendored manifests", () => {
    const images = (addon: AddonName) => [...new Set(vendoredObjects(addon).flatMap(imagesOf))].sort();
    assert.deepEqual(images("flannel"), [
      "ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3",
      "ghcr.io/flannel-io/flannel:v0.28.10",
    ]);
    assert.deepEqual(images("dashboard"), ["kubernetesui/dashboard:v2.7.0", "kubernetesui/metrics-scraper:v1.0.8"]);
    assert.deepEqual(images("headlamp"), ["ghcr.io/headlamp-k8s/headlamp:v0.44.0"]);
    assert.deepEqual(images("rook-ceph"), [
      "docker.io/rook/ceph:v1.20.6",
      "quay.io/ceph/ceph:v20.2.4",
      "quay.io/cephcsi/ceph-csi-operator:v1.0.4",
      "quay.io/cephcsi/cephcsi:v3.17.0",
      "quay.io/csiaddons/k8s-sidecar:v0.14.0",
      "registry.k8s.io/sig-storage/csi-attacher:v4.12.0",
      "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.17.0",
      "registry.k8s.io/sig-storage/csi-provisioner:v6.2.0",
      "registry.k8s.io/sig-storage/csi-resizer:v2.1.0",
      "registry.k8s.io/sig-storage/csi-snapshotter:v8.5.0",
    ]);
  });

  it("covers every image Rook's release lists, except those of features the component leaves off", () => {
    // The COSI driver's images are compiled into the operator and used only when a CephCOSIDriver is created.
    const onlyForCosi = ["gcr.io/k8s-staging-sig-storage/objectstorage-sidecar:v0.2.2", "quay.io/ceph/cosi:v0.1.4"];
    const listed = fs
      .readFileSync(vendoredFilePath(ADDONS_DIR, "rook-ceph", "images.txt"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "");
    const found = new Set(vendoredObjects("rook-ceph").flatMap(imagesOf));
    assert.deepEqual(
      listed.filter((image) => !found.has(image)),
      onlyForCosi,
    );
  });

  it("leaves no upstream registry in any image field and changes nothing else", () => {
    const rewritten = rewriteImages(allObjects, MIRROR);
    assert.equal(rewritten.length, allObjects.length);
    rewritten.forEach((object, index) => {
      const original = allObjects[index];
      const images = imagesOf(object);
      assert.equal(images.length, imagesOf(original).length);
      for (const image of images)
        assert.ok(image.startsWith(`${MIRROR}/`), `${object.kind}/${object.metadata.name}: ${image}`);
      assert.deepEqual(
        images,
        imagesOf(original).map((image) => mirrorImage(image, MIRROR)),
      );
      assert.equal(changedLeaves(original, object).length, images.length, `${object.kind}/${object.metadata.name}`);
    });
    const text = JSON.stringify(rewritten.flatMap(imagesOf));
    for (const registry of ["docker.io/", "ghcr.io/", "quay.io/", "registry.k8s.io/", '"kubernetesui/']) {
      assert.ok(!text.includes(registry), registry);
    }
  });

  it("returns equal copies without a mirror and never changes its input", () => {
    const before = structuredClone(allObjects);
    const unchanged = rewriteImages(allObjects, undefined);
    assert.deepEqual(unchanged, allObjects);
    assert.notEqual(unchanged[0], allObjects[0]);
    rewriteImages(allObjects, MIRROR);
    assert.deepEqual(allObjects, before);
  });

  it("copies plain data and shares values it cannot copy, such as a pulumi.Output", () => {
    class Opaque {
      constructor(readonly value: string) {}
    }
    const opaque = new Opaque("x");
    const object = { ...pod({ containers: [{ name: "a", image: "a:1" }] }), extra: { opaque } };
    const [copy] = rewriteImages([object], MIRROR);
    assert.equal(copy.extra.opaque, opaque);
    assert.notEqual(copy.extra, object.extra);
    assert.deepEqual(imagesOf(copy), [`${MIRROR}/library/a:1`]);
    assert.deepEqual(imagesOf(object), ["a:1"]);
  });

  it("changes nothing the second time", () => {
    const once = rewriteImages(allObjects, MIRROR);
    assert.deepEqual(rewriteImages(once, MIRROR), once);
    assert.deepEqual(rewriteImages(once, undefined), once);
  });

  it("finds images in every pod template, in *_IMAGE settings, CephClusters and ImageSets", () => {
    const containers = { containers: [{ name: "a", image: "a:1", env: [{ name: "CSI_IMAGE", value: "e:1" }] }] };
    const spec = {
      initContainers: [{ name: "i", image: "i:1" }],
      ephemeralContainers: [{ name: "d", image: "d:1" }],
      ...containers,
    };
    assert.deepEqual(imagesOf(pod(spec)), ["i:1", "a:1", "e:1", "d:1"]);
    const template = { template: { spec: containers } };
    for (const kind of ["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"]) {
      assert.deepEqual(
        imagesOf({ apiVersion: "apps/v1", kind, metadata: { name: "w" }, spec: template }),
        ["a:1", "e:1"],
        kind,
      );
    }
    const cronJob = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "c" },
      spec: { jobTemplate: { spec: template } },
    };
    assert.deepEqual(imagesOf(cronJob), ["a:1", "e:1"]);
    const operatorConfig: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "rook-ceph-operator-config" },
      data: {
        ROOK_LOG_LEVEL: "INFO",
        ROOK_CSI_CEPH_IMAGE: "quay.io/cephcsi/cephcsi:v3.17.0",
        ROOK_CSI_RESIZER_IMAGE: "",
      },
    };
    assert.deepEqual(imagesOf(operatorConfig), ["quay.io/cephcsi/cephcsi:v3.17.0"]);
    assert.deepEqual(rewriteImages([operatorConfig], MIRROR)[0].data, {
      ROOK_LOG_LEVEL: "INFO",
      ROOK_CSI_CEPH_IMAGE: `${MIRROR}/cephcsi/cephcsi:v3.17.0`,
      ROOK_CSI_RESIZER_IMAGE: "",
    });
    const imageSet = {
      ...operatorConfig,
      metadata: { name: "rook-csi-operator-image-set-configmap" },
      data: { plugin: "p:1" },
    };
    assert.deepEqual(imagesOf(imageSet), ["p:1"]);
    const flannelConfig = loadManifest("flannel", "kube-flannel.yml").find((object) => object.kind === "ConfigMap")!;
    assert.deepEqual(imagesOf(flannelConfig), []);
    const cephCluster = {
      apiVersion: "ceph.rook.io/v1",
      kind: "CephCluster",
      metadata: { name: "c" },
      spec: { cephVersion: { image: "quay.io/ceph/ceph:v20" } },
    };
    assert.deepEqual(imagesOf(cephCluster), ["quay.io/ceph/ceph:v20"]);
    assert.deepEqual(imagesOf({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: template }), []);
  });

  describe("on generated references", () => {
    const component = fc.stringMatching(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/).filter((text) => text.length <= 30);
    const host = fc
      .tuple(
        fc.array(fc.stringMatching(/^[a-z0-9]+(?:-[a-z0-9]+)*$/), { minLength: 2, maxLength: 4 }),
        fc.option(fc.integer({ min: 1, max: 65535 })),
      )
      .map(([labels, port]) => labels.join(".") + (port === null ? "" : `:${port}`));
    const tag = fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined });
    const digest = fc.option(
      fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`),
      { nil: undefined },
    );
    const reference = fc.record({
      registry: fc.option(host, { nil: undefined }),
      path: fc.array(component, { minLength: 1, maxLength: 4 }),
      tag,
      digest,
    });
    const mirror = fc
      .tuple(host, fc.array(component, { maxLength: 2 }))
      .map(([registry, prefix]) => [registry, ...prefix].join("/"));

    it("keeps path, tag and digest under the mirror, and is stable when applied again", () => {
      fc.assert(
        fc.property(reference, mirror, ({ registry, path, tag, digest }, target) => {
          const suffix = (tag === undefined ? "" : `:${tag}`) + (digest === undefined ? "" : `@${digest}`);
          const ref = (registry === undefined ? "" : `${registry}/`) + path.join("/") + suffix;
          const fromDockerHub = registry === undefined || registry === "docker.io";
          // Without a registry a first component with a dot reads as a registry, as Docker reads it.
          fc.pre(registry !== undefined || path.length === 1 || !/[.:]/.test(path[0]));
          const expectedPath = fromDockerHub && path.length === 1 ? `library/${path[0]}` : path.join("/");
          const mirrored = mirrorImage(ref, target);
          if (ref.startsWith(`${target}/`)) assert.equal(mirrored, ref);
          else assert.equal(mirrored, `${target}/${expectedPath}${suffix}`);
          assert.equal(mirrorImage(mirrored, target), mirrored);
          assert.equal(parseImageReference(mirrored).tagAndDigest, suffix);
        }),
        { numRuns: 500 },
      );
    });
  });
});
