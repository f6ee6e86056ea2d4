import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Addons } from "../../components/addons";
import type { ClusterSpec } from "../../config/spec";
import {
  findObject,
  imagesOfObject,
  installMocks,
  outputValue,
  kubernetesObjects,
  rookCephSettings,
  specWith,
  stepResource,
  type MockCluster,
  type Registered,
} from "./mocks";

const MIRROR = "mirror.example.org";

function addonsSpec(addons: Partial<ClusterSpec["addons"]>): ClusterSpec {
  const off = specWith(2, {}).addons;
  return specWith(2, {
    flannel: { ...off.flannel, enabled: false },
    dashboard: { ...off.dashboard, enabled: false },
    rookCeph: { ...off.rookCeph, enabled: false },
    ...addons,
  });
}

const ALL: Partial<ClusterSpec["addons"]> = {
  imageMirror: MIRROR,
  flannel: { enabled: true, backend: "host-gw" },
  dashboard: { enabled: true, ui: "dashboard" },
  rookCeph: rookCephSettings(),
};

describe("Addons component (Pulumi mocks)", () => {
  let cluster: MockCluster;
  const built = new Map<string, Addons>();

  /** The objects of one Addons instance, by the component that created them (its parent). */
  function objectsOf(name: string): Registered[] {
    return kubernetesObjects(cluster.resources, name);
  }

  before(async () => {
    cluster = await installMocks({ preview: false });
    const cases: [string, ClusterSpec][] = [
      ["all", addonsSpec(ALL)],
      ["none", addonsSpec({})],
      ["lamp", addonsSpec({ dashboard: { enabled: true, ui: "headlamp" } })],
      ["no-cni", addonsSpec({ dashboard: { enabled: true, ui: "dashboard" } })],
      ["nowait", addonsSpec({ ...ALL, waitForRollout: false })],
    ];
    for (const [name, spec] of cases) {
      const init = stepResource(`${name}-init`);
      const joins = [stepResource(`${name}-join-1`), stepResource(`${name}-join-2`)];
      built.set(
        name,
        new Addons(name, {
          spec,
          kubeconfig: pulumi.secret("admin.conf"),
          controlPlaneReady: [init],
          workersReady: joins,
        }),
      );
    }
    await cluster.settle();
  });

  it("creates one Kubernetes provider from the kubeconfig, kept secret", () => {
    const provider = cluster.resources.find((r) => r.name === "all-kubernetes");
    assert.ok(provider);
    assert.equal(provider.type, "pulumi:providers:kubernetes");
    const kubeconfig = provider.inputs.kubeconfig as Record<string, unknown>;
    assert.equal(kubeconfig[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig);
    assert.equal(kubeconfig.value, "admin.conf");
    assert.equal(provider.parent, "all");
  });

  it("creates the enabled add-ons under it: flannel, the dashboard and Rook-Ceph", () => {
    const components = cluster.resources.filter((r) => r.parent === "all").map((r) => `${r.type} ${r.name}`);
    assert.deepEqual(components.sort(), [
      "pulumi-kubeadm:addons:Dashboard all-dashboard",
      "pulumi-kubeadm:addons:Flannel all-flannel",
      "pulumi-kubeadm:addons:RookCeph all-rook-ceph",
      "pulumi:providers:kubernetes all-kubernetes",
    ]);
    const objects = objectsOf("all");
    findObject(objects, "DaemonSet", "kube-flannel-ds", "kube-flannel");
    findObject(objects, "Deployment", "kubernetes-dashboard", "kubernetes-dashboard");
    findObject(objects, "CephCluster", "rook-ceph", "rook-ceph");
    const configMap = findObject(objects, "ConfigMap", "kube-flannel-cfg", "kube-flannel");
    const netConf = JSON.parse((configMap.inputs.data as Record<string, string>)["net-conf.json"]);
    assert.equal(netConf.Network, addonsSpec(ALL).podSubnet);
    assert.deepEqual(netConf.Backend, { Type: "host-gw" });
  });

  it("creates nothing when every add-on is switched off, not even the provider, and no token", async () => {
    assert.deepEqual(objectsOf("none"), []);
    assert.deepEqual(
      cluster.resources.filter((r) => r.parent === "none"),
      [],
      "not even a provider",
    );
    const none = built.get("none") as Addons;
    assert.equal(none.provider, undefined);
    assert.equal(await outputValue(none.dashboardToken), undefined);
    assert.equal(await pulumi.isSecret(none.dashboardToken), true);
    assert.equal(await outputValue(none.dashboardUrlHint), undefined);
  });

  it("orders flannel after the control plane, the dashboard and Rook after the joins and the pod network", () => {
    const objects = objectsOf("all");
    const daemonSet = findObject(objects, "DaemonSet", "kube-flannel-ds", "kube-flannel");
    const flannel = objects.filter((r) => r.name.startsWith("all-flannel-"));
    const later = objects.filter((r) => r.name.startsWith("all-dashboard-") || r.name.startsWith("all-rook-ceph-"));
    assert.ok(flannel.length > 0 && later.length > 100);
    for (const resource of flannel) {
      assert.ok(resource.dependencies.includes("all-init"), `${resource.name} after kubeadm init`);
      assert.ok(!resource.dependencies.includes("all-join-1"), `${resource.name} does not wait for the joins`);
    }
    for (const resource of later) {
      for (const dependency of ["all-init", "all-join-1", "all-join-2", daemonSet.name]) {
        assert.ok(resource.dependencies.includes(dependency), `${resource.name} after ${dependency}`);
      }
    }
    const dashboard = findObject(objectsOf("no-cni"), "Deployment", "kubernetes-dashboard", "kubernetes-dashboard");
    assert.ok(dashboard.dependencies.includes("no-cni-join-2"));
    assert.equal(objectsOf("no-cni").filter((r) => r.inputs.kind === "DaemonSet").length, 0);
  });

  it("marks only what waits on Pods (workloads, Services, Jobs) pulumi.com/skipAwait when waitForRollout is off", () => {
    const skipped = (r: Registered) =>
      (r.inputs.metadata as { annotations?: Record<string, string> }).annotations?.["pulumi.com/skipAwait"];
    const workloads = new Set(["Deployment", "DaemonSet", "StatefulSet", "Service", "Job"]);
    const kindOf = (r: Registered) => r.inputs.kind as string;
    const nowait = objectsOf("nowait");
    assert.ok(nowait.some((r) => kindOf(r) === "DaemonSet") && nowait.some((r) => kindOf(r) === "Deployment"));
    for (const r of nowait) assert.equal(skipped(r), workloads.has(kindOf(r)) ? "true" : undefined, r.name);
    for (const r of objectsOf("all")) assert.equal(skipped(r), undefined, r.name);
  });

  it("rewrites every image of every add-on to the mirror", () => {
    const objects = objectsOf("all");
    const images = objects.flatMap(imagesOfObject);
    assert.ok(images.length >= 15, images.join(", "));
    for (const image of images) assert.ok(image.startsWith(`${MIRROR}/`), image);
    const upstream = objectsOf("no-cni").flatMap(imagesOfObject);
    assert.ok(upstream.length > 0);
    for (const image of upstream) assert.ok(!image.startsWith(`${MIRROR}/`), image);
  });

  it("exposes the dashboard's token as a secret output, with a hint how to open it", async () => {
    const all = built.get("all") as Addons;
    assert.equal(await pulumi.isSecret(all.dashboardToken), true);
    const read = cluster.resources.find((r) => r.readId !== undefined && r.name.startsWith("all-dashboard-"));
    assert.ok(read);
    assert.equal(await outputValue(all.dashboardToken), cluster.tokenFor(read.readId as string));
    assert.match((await outputValue(all.dashboardUrlHint)) ?? "", /kubernetes-dashboard/);
  });

  it("deploys Headlamp instead of the Dashboard when chosen, with its token", async () => {
    const objects = objectsOf("lamp");
    findObject(objects, "Deployment", "headlamp", "kube-system");
    assert.equal(objects.filter((r) => r.inputs.kind === "Namespace").length, 0, "no dashboard namespace");
    const lamp = built.get("lamp") as Addons;
    assert.equal(await pulumi.isSecret(lamp.dashboardToken), true);
    assert.equal(await outputValue(lamp.dashboardToken), cluster.tokenFor("kube-system/headlamp-admin"));
    assert.match((await outputValue(lamp.dashboardUrlHint)) ?? "", /headlamp/);
  });
});
