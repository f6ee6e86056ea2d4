import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  ADDON_NAMES,
  ADDONS_DIR,
  loadManifest,
  loadManifestFrom,
  parseKubeObjects,
  readVendorLock,
  sha256Hex,
  vendoredFilePath,
  vendoredFiles,
  vendoredVersion,
  type AddonName,
  type KubeObject,
} from "../../components/addons/manifest";
import { imagesOf } from "../../components/addons/image-mirror";

const lock = readVendorLock();
const isManifest = (file: string) => /\.ya?ml$/.test(file);

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  assert.ok(found, `${kind} ${name} is missing`);
  return found;
}

function podSpec(object: KubeObject): Record<string, unknown> {
  return ((object.spec as Record<string, unknown>).template as { spec: Record<string, unknown> }).spec;
}

function withCopiedAddon(addon: AddonName, file: string, body: (root: string) => void): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "addons-"));
  try {
    fs.copyFileSync(path.join(ADDONS_DIR, "vendor.json"), path.join(root, "vendor.json"));
    fs.mkdirSync(path.join(root, "vendored", addon), { recursive: true });
    fs.copyFileSync(vendoredFilePath(ADDONS_DIR, addon, file), vendoredFilePath(root, addon, file));
    body(root);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

describe("vendored add-on manifests", () => {
  it("lists exactly the files under vendored/, each with the sha256 it has", () => {
    for (const addon of ADDON_NAMES) {
      const listed = vendoredFiles(addon);
      assert.ok(listed.length > 0, addon);
      assert.deepEqual(fs.readdirSync(path.join(ADDONS_DIR, "vendored", addon)).sort(), [...listed].sort(), addon);
      for (const file of listed) {
        const recorded = lock.addons[addon].files[file].sha256;
        assert.match(recorded, /^[0-9a-f]{64}$/, `${addon}/${file}`);
        assert.equal(
          sha256Hex(fs.readFileSync(vendoredFilePath(ADDONS_DIR, addon, file))),
          recorded,
          `${addon}/${file}`,
        );
      }
    }
  });

  it("pins each addon to one upstream release, with the module's go.sum hash where the proxy has it", () => {
    assert.equal(vendoredVersion("flannel"), "v0.28.10");
    assert.equal(vendoredVersion("headlamp"), "v0.44.0");
    assert.equal(vendoredVersion("rook-ceph"), "v1.20.6");
    assert.equal(vendoredVersion("dashboard"), "v2.7.0");
    for (const addon of ["flannel", "headlamp", "rook-ceph"] as const) {
      assert.match(lock.addons[addon].module ?? "", /^github\.com\//, addon);
      assert.match(lock.addons[addon].moduleSum ?? "", /^h1:[A-Za-z0-9+/]{43}=$/, addon);
    }
    assert.equal(lock.addons.dashboard.module, undefined);
  });

  it("parses every vendored manifest into Kubernetes objects", () => {
    for (const addon of ADDON_NAMES) {
      for (const file of vendoredFiles(addon).filter(isManifest)) {
        const objects = loadManifest(addon, file);
        assert.ok(objects.length > 0, `${addon}/${file}`);
        for (const object of objects) assert.ok(object.apiVersion && object.kind && object.metadata.name);
      }
    }
  });

  it("hands out fresh copies, so a caller's change does not reach the next caller", () => {
    const first = loadManifest("flannel", "kube-flannel.yml");
    first[0].metadata.name = "changed";
    (podSpec(find(first, "DaemonSet", "kube-flannel-ds")).containers as { image: string }[])[0].image = "x";
    const second = loadManifest("flannel", "kube-flannel.yml");
    assert.notEqual(second[0].metadata.name, "changed");
    assert.notEqual(imagesOf(find(second, "DaemonSet", "kube-flannel-ds"))[1], "x");
  });

  it("refuses a vendored file edited by hand, naming it and tools/vendor-addons", () => {
    withCopiedAddon("flannel", "kube-flannel.yml", (root) => {
      assert.equal(loadManifestFrom(root, "flannel", "kube-flannel.yml").length, 6);
      const file = vendoredFilePath(root, "flannel", "kube-flannel.yml");
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("10.244.0.0/16", "10.245.0.0/16"));
      assert.throws(
        () => loadManifestFrom(root, "flannel", "kube-flannel.yml"),
        /components\/addons\/vendored\/flannel\/kube-flannel\.yml is not the vendored file: its sha256 is [0-9a-f]{64}.*tools\/vendor-addons/,
      );
    });
  });

  it("refuses a file that vendor.json does not list", () => {
    withCopiedAddon("rook-ceph", "cluster.yaml", (root) => {
      fs.copyFileSync(
        vendoredFilePath(root, "rook-ceph", "cluster.yaml"),
        vendoredFilePath(root, "rook-ceph", "x.yaml"),
      );
      assert.throws(() => loadManifestFrom(root, "rook-ceph", "x.yaml"), /x\.yaml is not listed in .*vendor\.json/);
    });
  });

  it("flattens List wrappers and skips empty documents", () => {
    const text = [
      "---",
      "# only a comment",
      "---",
      "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n" +
        "  - {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Secret, metadata: {name: b}}]}",
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}",
      "",
    ].join("\n---\n");
    assert.deepEqual(
      parseKubeObjects(text, "t.yaml").map((object) => `${object.kind}/${object.metadata.name}`),
      ["ConfigMap/a", "Secret/b", "ConfigMap/c"],
    );
    assert.throws(() => parseKubeObjects("kind: ConfigMap\n", "t.yaml"), /t\.yaml: document 1 is not a Kubernetes/);
    assert.throws(() => parseKubeObjects("a: [\n", "t.yaml"), /t\.yaml: document 1 is not valid YAML/);
  });

  it("reads YAML as kubectl does: 0644 is octal, times and dates stay strings", () => {
    const [object] = parseKubeObjects(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nmode: 0644\nat: 1:30\ndate: 2024-01-01\n",
      "t.yaml",
    );
    assert.equal(object.mode, 420);
    assert.equal(object.at, "1:30");
    assert.equal(object.date, "2024-01-01");
  });

  it("has Flannel's network configuration in kube-flannel-cfg", () => {
    const objects = loadManifest("flannel", "kube-flannel.yml");
    const config = find(objects, "ConfigMap", "kube-flannel-cfg").data as Record<string, string>;
    const netConf = JSON.parse(config["net-conf.json"]);
    assert.equal(netConf.Network, "10.244.0.0/16");
    assert.equal(netConf.Backend.Type, "vxlan");
    assert.ok(
      JSON.parse(config["cni-conf.json"]).plugins.some((plugin: { type: string }) => plugin.type === "flannel"),
    );
    const daemonSet = find(objects, "DaemonSet", "kube-flannel-ds");
    assert.equal(daemonSet.metadata.namespace, "kube-flannel");
    assert.ok(imagesOf(daemonSet).includes(`ghcr.io/flannel-io/flannel:${vendoredVersion("flannel")}`));
  });

  it("pins Headlamp's image to the release instead of :latest", () => {
    const text = fs.readFileSync(vendoredFilePath(ADDONS_DIR, "headlamp", "kubernetes-headlamp.yaml"), "utf8");
    assert.doesNotMatch(text, /:latest\b/);
    const objects = loadManifest("headlamp", "kubernetes-headlamp.yaml");
    assert.deepEqual(imagesOf(find(objects, "Deployment", "headlamp")), [
      `ghcr.io/headlamp-k8s/headlamp:${vendoredVersion("headlamp")}`,
    ]);
    assert.equal(find(objects, "Secret", "headlamp-admin").type, "kubernetes.io/service-account-token");
  });

  it("has Kubernetes Dashboard v2.7.0's recommended.yaml, traceable to the copy it came from", () => {
    const objects = loadManifest("dashboard", "recommended.yaml");
    assert.deepEqual(
      objects.map((object) => `${object.kind}/${object.metadata.name}`),
      [
        "Namespace/kubernetes-dashboard",
        "ServiceAccount/kubernetes-dashboard",
        "Service/kubernetes-dashboard",
        "Secret/kubernetes-dashboard-certs",
        "Secret/kubernetes-dashboard-csrf",
        "Secret/kubernetes-dashboard-key-holder",
        "ConfigMap/kubernetes-dashboard-settings",
        "Role/kubernetes-dashboard",
        "ClusterRole/kubernetes-dashboard",
        "RoleBinding/kubernetes-dashboard",
        "ClusterRoleBinding/kubernetes-dashboard",
        "Deployment/kubernetes-dashboard",
        "Service/dashboard-metrics-scraper",
        "Deployment/dashboard-metrics-scraper",
      ],
    );
    const service = find(objects, "Service", "kubernetes-dashboard").spec as { ports: unknown[] };
    assert.deepEqual(service.ports, [{ port: 443, targetPort: 8443 }]);
    const dashboard = podSpec(find(objects, "Deployment", "kubernetes-dashboard"));
    assert.deepEqual((dashboard.containers as { args: string[] }[])[0].args, [
      "--auto-generate-certificates",
      "--namespace=kubernetes-dashboard",
    ]);
    assert.deepEqual(dashboard.securityContext, { seccompProfile: { type: "RuntimeDefault" } });
    assert.deepEqual(objects.flatMap(imagesOf), [
      "kubernetesui/dashboard:v2.7.0",
      "kubernetesui/metrics-scraper:v1.0.8",
    ]);

    // vendor.json says which copy this is and how it was changed: undoing that change gives the copy's bytes.
    const { copiedFrom } = lock.addons.dashboard.files["recommended.yaml"];
    assert.ok(copiedFrom);
    assert.match(copiedFrom.commit, /^[0-9a-f]{40}$/);
    let copy = fs.readFileSync(vendoredFilePath(ADDONS_DIR, "dashboard", "recommended.yaml"), "utf8");
    for (const edit of copiedFrom.edits) copy = copy.replace(edit.to, edit.from);
    assert.equal(sha256Hex(copy), copiedFrom.sha256);
  });

  it("has what the Rook component deploys: CRDs, operator, CSI drivers, cluster and block storage class", () => {
    const crds = loadManifest("rook-ceph", "crds.yaml").map((object) => object.metadata.name);
    for (const crd of ["cephclusters.ceph.rook.io", "cephblockpools.ceph.rook.io"]) assert.ok(crds.includes(crd), crd);
    const operator = loadManifest("rook-ceph", "operator.yaml");
    find(operator, "ConfigMap", "rook-ceph-operator-config");
    find(operator, "ConfigMap", "rook-csi-operator-image-set-configmap");
    find(operator, "Driver", "rook-ceph.rbd.csi.ceph.com");
    assert.deepEqual(imagesOf(find(operator, "Deployment", "rook-ceph-operator")), [
      `docker.io/rook/ceph:${vendoredVersion("rook-ceph")}`,
    ]);
    find(loadManifest("rook-ceph", "csi-operator.yaml"), "Deployment", "ceph-csi-controller-manager");
    const cephImage = (file: string) => imagesOf(find(loadManifest("rook-ceph", file), "CephCluster", "rook-ceph"));
    assert.deepEqual(cephImage("cluster.yaml"), ["quay.io/ceph/ceph:v20.2.4"]);
    // The test cluster upstream follows a floating tag; vendoring pins it to the same release.
    const testCluster = find(loadManifest("rook-ceph", "cluster-test.yaml"), "CephCluster", "my-cluster");
    assert.deepEqual(imagesOf(testCluster), cephImage("cluster.yaml"));
    for (const file of ["storageclass-rbd.yaml", "storageclass-rbd-test.yaml"]) {
      const objects = loadManifest("rook-ceph", file);
      find(objects, "CephBlockPool", "replicapool");
      assert.equal(find(objects, "StorageClass", "rook-ceph-block").provisioner, "rook-ceph.rbd.csi.ceph.com");
    }
  });
});
