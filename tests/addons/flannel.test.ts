import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Flannel, FLANNEL_NAMESPACE } from "../../components/addons/flannel";
import { kubernetesProvider } from "../../components/addons/kubernetes-provider";
import { loadManifest } from "../../components/addons/manifest";
import {
  findObject,
  imagesOfObject,
  installMocks,
  kubernetesObjects,
  stepResource,
  type MockCluster,
  type Registered,
} from "./mocks";

const MIRROR = "mirror.example.org:5000/k8s";

function netConf(resources: Registered[]): Record<string, unknown> {
  const configMap = findObject(resources, "ConfigMap", "kube-flannel-cfg", FLANNEL_NAMESPACE);
  return JSON.parse((configMap.inputs.data as Record<string, string>)["net-conf.json"]);
}

describe("Flannel component (Pulumi mocks)", () => {
  let cluster: MockCluster;

  before(async () => {
    cluster = await installMocks({ preview: false });
    const provider = kubernetesProvider("flannel-test-k8s", "kubeconfig", {});
    const init = stepResource("flannel-test-init");
    for (const [name, podSubnet, backend, imageMirror] of [
      ["fl-vxlan", "10.244.0.0/16", "vxlan", undefined],
      ["fl-hostgw", "10.32.0.0/12", "host-gw", MIRROR],
      ["fl-wg", "192.168.128.0/17", "wireguard", undefined],
    ] as const) {
      new Flannel(name, { podSubnet, backend, imageMirror, provider, dependsOn: [init] });
    }
    await cluster.settle();
  });

  it("creates every object of the vendored manifest, in flannel's namespace", () => {
    const created = kubernetesObjects(cluster.resources, "fl-vxlan");
    const vendored = loadManifest("flannel", "kube-flannel.yml");
    const describe = (kind: unknown, name: unknown, ns: unknown) => `${kind} ${ns ?? "-"}/${name}`;
    assert.deepEqual(
      created
        .map((r) => {
          const m = r.inputs.metadata as { name: string; namespace?: string };
          return describe(r.inputs.kind, m.name, m.namespace);
        })
        .sort(),
      vendored.map((o) => describe(o.kind, o.metadata.name, o.metadata.namespace)).sort(),
    );
    for (const kind of ["Namespace", "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "ConfigMap", "DaemonSet"]) {
      assert.ok(
        created.some((r) => r.inputs.kind === kind),
        `no ${kind}`,
      );
    }
    const daemonSet = findObject(created, "DaemonSet", "kube-flannel-ds", FLANNEL_NAMESPACE);
    assert.equal(daemonSet.type, "kubernetes:apps/v1:DaemonSet");
    assert.equal(daemonSet.parent, "fl-vxlan");
  });

  it("sets net-conf.json's Network to the pod subnet and the backend type, keeping the other settings", () => {
    const vxlan = netConf(kubernetesObjects(cluster.resources, "fl-vxlan"));
    assert.equal(vxlan.Network, "10.244.0.0/16");
    assert.deepEqual(vxlan.Backend, { Type: "vxlan" });
    assert.equal(vxlan.EnableNFTables, false, "settings flannel ships are kept");
    const hostGw = netConf(kubernetesObjects(cluster.resources, "fl-hostgw"));
    assert.equal(hostGw.Network, "10.32.0.0/12");
    assert.deepEqual(hostGw.Backend, { Type: "host-gw" });
    const wireguard = netConf(kubernetesObjects(cluster.resources, "fl-wg"));
    assert.equal(wireguard.Network, "192.168.128.0/17");
    assert.deepEqual(wireguard.Backend, { Type: "wireguard" });
  });

  it("creates every object after the control plane, and the rest of the list after the namespace", () => {
    const created = kubernetesObjects(cluster.resources, "fl-vxlan");
    const namespace = findObject(created, "Namespace", FLANNEL_NAMESPACE);
    for (const resource of created) {
      assert.ok(resource.dependencies.includes("flannel-test-init"), `${resource.name} waits for kubeadm init`);
      if (resource !== namespace) {
        assert.ok(resource.dependencies.includes(namespace.name), `${resource.name} waits for the namespace`);
      }
    }
  });

  it("moves every image to the mirror when one is set, and leaves them upstream otherwise", () => {
    const mirrored = kubernetesObjects(cluster.resources, "fl-hostgw").flatMap(imagesOfObject);
    const upstream = kubernetesObjects(cluster.resources, "fl-vxlan").flatMap(imagesOfObject);
    assert.ok(upstream.length >= 3, "the DaemonSet's containers and init containers");
    assert.equal(mirrored.length, upstream.length);
    for (const image of mirrored) assert.ok(image.startsWith(`${MIRROR}/`), image);
    for (const image of upstream) assert.ok(image.startsWith("ghcr.io/flannel-io/"), image);
    assert.deepEqual(
      mirrored,
      upstream.map((image) => image.replace("ghcr.io", MIRROR)),
    );
  });

  it("deploys through the given provider, with the kubeconfig as a secret", () => {
    const provider = cluster.resources.find((r) => r.name === "flannel-test-k8s");
    assert.ok(provider);
    assert.equal(provider.type, "pulumi:providers:kubernetes");
    const kubeconfig = provider.inputs.kubeconfig as Record<string, unknown>;
    assert.equal(kubeconfig[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig);
    assert.equal(provider.inputs.deleteUnreachable, "true");
  });
});
