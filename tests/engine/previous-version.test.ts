// A cluster of real nodes at the lab's previous Kubernetes version (tools/versions.env KUBERNETES_PREVIOUS_VERSION,
// one minor below the pinned one): the start of an upgrade. The product prepares the hosts from that minor's package
// repositories, the package doubles install that version's real kubeadm, kubelet and kubectl, and kubeadm pulls that
// version's images, with its own etcd and CoreDNS, from the lab's registry. An Ubuntu control plane and a Rocky
// worker, so both package families install the previous version.
import { strict as assert } from "assert";
import { registryPulls } from "../../lab/registry";
import type { HostSpec } from "../../lab/spec";
import { labKubernetesVersions } from "../../lab/stack-config";
import { pinnedVersions } from "../../tools/paths";
import { LabStack } from "../support/lab-stack";

const CONTROL_PLANE = "cp1";
const WORKER = "w1";
const HOSTS: HostSpec[] = [
  { name: CONTROL_PLANE, distro: "ubuntu" },
  { name: WORKER, distro: "rocky" },
];
const { pinned: PINNED, previous: PREVIOUS } = labKubernetesVersions();
const bare = PREVIOUS.replace(/^v/, "");

interface NodeList {
  items: {
    metadata: { name: string };
    status: { conditions: { type: string; status: string }[]; nodeInfo: { kubeletVersion: string } };
  }[];
}

describe(`a cluster at the previous Kubernetes version, ${PREVIOUS} (real engine, real nodes)`, function () {
  this.timeout(1_200_000);
  let lab: LabStack;
  const kubectl = (args: string) => lab.kubectl(args, { timeoutMs: 180_000 });

  before(async () => {
    lab = await LabStack.start({
      lab: "previous",
      hosts: HOSTS,
      kubernetesVersion: PREVIOUS,
      config: { podSubnet: "10.244.0.0/16", addons: { flannel: { enabled: true, backend: "vxlan" } } },
    });
    lab.declareHosts([CONTROL_PLANE], [WORKER]);
  });

  after(async () => {
    await lab?.stop();
  });

  it("the stack names the previous version and the repositories of its minor", async () => {
    const config = await lab.stack.getAllConfig();
    assert.equal(config["pulumi-kubeadm:kubernetesVersion"]?.value, PREVIOUS);
    const packages = JSON.parse(config["pulumi-kubeadm:packages"]?.value ?? "{}") as Record<
      string,
      { kubernetesRepository: string }
    >;
    const minor = bare.split(".").slice(0, 2).join(".");
    assert.match(packages.apt.kubernetesRepository, new RegExp(`/v${minor.replace(".", "\\.")}/deb/$`));
    assert.match(packages.yum.kubernetesRepository, new RegExp(`/v${minor.replace(".", "\\.")}/rpm/$`));
  });

  it(`up: every node Ready, its kubelet ${PREVIOUS}, the control plane and its etcd and CoreDNS of ${PREVIOUS}`, async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    const nodes = JSON.parse(await kubectl("get nodes -o json")) as NodeList;
    assert.deepEqual(nodes.items.map((n) => n.metadata.name).sort(), [CONTROL_PLANE, WORKER]);
    for (const node of nodes.items) {
      const ready = node.status.conditions.find((c) => c.type === "Ready");
      assert.equal(ready?.status, "True", `${node.metadata.name}: ${JSON.stringify(node.status.conditions)}`);
      assert.equal(node.status.nodeInfo.kubeletVersion, PREVIOUS);
    }
    console.log(`      kubectl get nodes:\n${(await kubectl("get nodes -o wide")).replace(/^/gm, "        ")}`);
    const server = JSON.parse(await kubectl("version -o json")) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    assert.equal(server.serverVersion.gitVersion, PREVIOUS);
    assert.equal(server.clientVersion.gitVersion, PREVIOUS, "the node's kubectl is the package's");

    // The packages as each family reports them, and the binaries they put there.
    assert.equal(await lab.lab.run(CONTROL_PLANE, "dpkg-query -W -f='${Version}' kubeadm"), `${bare}-1.1`);
    assert.equal(await lab.lab.run(WORKER, "rpm -q --qf '%{VERSION}-%{RELEASE}' kubelet"), `${bare}-150500.1.1`);
    for (const host of [CONTROL_PLANE, WORKER])
      assert.equal((await lab.lab.run(host, "kubeadm version -o short")).trim(), PREVIOUS);

    // kubeadm of the previous version deploys its own etcd and CoreDNS, not the pinned version's.
    const images = JSON.parse(await kubectl("-n kube-system get pods -o json")) as {
      items: { metadata: { name: string }; spec: { containers: { image: string }[] }; status: { phase: string } }[];
    };
    const imageOf = (prefix: string) => {
      const pod = images.items.find((p) => p.metadata.name.startsWith(prefix) && p.status.phase === "Running");
      assert.ok(pod, `no Running ${prefix} pod`);
      return pod.spec.containers[0].image;
    };
    assert.match(imageOf("kube-apiserver-"), new RegExp(`/kube-apiserver:${PREVIOUS.replace(/\./g, "\\.")}$`));
    assert.match(imageOf("kube-proxy-"), new RegExp(`/kube-proxy:${PREVIOUS.replace(/\./g, "\\.")}$`));
    const versions = pinnedVersions();
    assert.match(imageOf("etcd-"), new RegExp(`/etcd:${versions.ETCD_PREVIOUS_VERSION.replace(/\./g, "\\.")}-0$`));
    assert.match(
      imageOf("coredns-"),
      new RegExp(`/coredns:v${versions.COREDNS_PREVIOUS_VERSION.replace(/\./g, "\\.")}$`),
    );
    // Pulled from the lab's registry, none of them the pinned version's.
    const pulled = registryPulls(lab.lab.name)
      .filter((p) => p.path.includes("/manifests/"))
      .map((p) => p.path.replace("/manifests/", ":"));
    assert.ok(
      pulled.some((p) => p.endsWith(`kube-apiserver:${PREVIOUS}`)),
      pulled.join("\n"),
    );
    assert.ok(!pulled.some((p) => p.endsWith(`:${PINNED}`)), pulled.join("\n"));
  });

  it("moving the stack to the pinned version changes its version and repositories together", async () => {
    await lab.setKubernetesVersion(PINNED);
    const config = await lab.stack.getAllConfig();
    assert.equal(config["pulumi-kubeadm:kubernetesVersion"]?.value, PINNED);
    const minor = PINNED.replace(/^v(\d+\.\d+)\..*$/, "$1");
    assert.ok(config["pulumi-kubeadm:packages"]?.value.includes(`/v${minor}/deb/`));
    assert.ok(config["pulumi-kubeadm:packages"]?.value.includes(`/v${minor}/rpm/`));
    // Back, so that destroy runs with the configuration the cluster was made with.
    await lab.setKubernetesVersion(PREVIOUS);
  });

  it("destroy: drained, reset, the packages removed", async () => {
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    const left = await lab.lab.exec(CONTROL_PLANE, "dpkg-query -W kubeadm");
    assert.equal(left.code, 1, left.stdout);
    assert.equal((await lab.lab.exec(WORKER, "rpm -q kubeadm")).code, 1);
  });
});
