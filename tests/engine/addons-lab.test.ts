// The add-ons on real nodes (lab/README.md, "Real nodes"): `pulumi up` deploys Flannel, the Dashboard and
// Rook-Ceph through @pulumi/kubernetes, reaching the lab's API server on its lab address. Flannel runs for real.
// The Dashboard's, Headlamp's and Rook's images cannot be built here (their Go modules are not on the module
// proxy, and Ceph cannot run), so the stack sets addons.waitForRollout: false and the test checks those add-ons as
// API objects, their tokens against the real API server, and that containerd asked the lab's mirror for their
// images. Removing a worker drains and deletes its Node; destroy removes the add-ons and resets the hosts.
import { strict as assert } from "assert";
import { registryPulls } from "../../lab/registry";
import { LabStack } from "../support/lab-stack";
import { difference } from "../support/snapshot-difference";
import { sleep } from "../support/engine";

const CONTROL_PLANE = "cp1";
const HOSTS = [
  { name: CONTROL_PLANE, distro: "ubuntu" as const },
  { name: "w1", distro: "rocky" as const },
  { name: "w2", distro: "ubuntu" as const },
];
const WORKERS = ["w1", "w2"];
const POD_SUBNET = "10.32.0.0/16";
const DATA_DIR = "/var/lib/rook-lab";
const KUBECONFIG = "/tmp/stack.kubeconfig";
// The host's kubectl (the real one the packages installed), its discovery cache in /tmp, out of the listings.
const KUBECTL = `kubectl --cache-dir /tmp/kubectl-cache --kubeconfig ${KUBECONFIG}`;

describe("add-ons on real nodes (real engine, real API server, real kubelets)", function () {
  this.timeout(900_000);
  let lab: LabStack;
  const clean = new Map<string, string>();

  /** The real kubectl on the control-plane host, with the stack's kubeconfig output. */
  const kubectl = (args: string) => lab.lab.run(CONTROL_PLANE, `${KUBECTL} ${args}`, { timeoutMs: 120_000 });

  /** The cluster's processes on a host: kubelet, containerd's shims (every container), the control plane. */
  async function clusterProcesses(host: string): Promise<string[]> {
    const out = await lab.lab.run(host, "ps -eo comm= || true");
    return out.split("\n").filter((p) => /^(kubelet|containerd-shim|kube-|etcd|flanneld|coredns)/.test(p));
  }

  async function waitFor(what: string, seconds: number, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!(await probe())) {
      assert.ok(Date.now() < deadline, `${what} within ${seconds}s`);
      await sleep(2000);
    }
  }

  /** Image references containerd asked the lab's mirror for (any answer), as "<registry>/<repository>:<tag>". */
  function askedMirrorFor(): string[] {
    return registryPulls(lab.lab.name)
      .filter((p) => /\/manifests\//.test(p.path))
      .map((p) => `${p.ns}/${p.path.replace(/^\/v2\//, "").replace("/manifests/", ":")}`);
  }

  before(async function () {
    lab = await LabStack.start({
      lab: "addons",
      hosts: HOSTS,
      config: {
        podSubnet: POD_SUBNET,
        schedulableControlPlane: true,
        addons: {
          waitForRollout: false,
          flannel: { enabled: true, backend: "vxlan" },
          dashboard: { enabled: true },
          rookCeph: { enabled: true, devices: ["vdb"], dataDirHostPath: DATA_DIR },
        },
      },
    });
    for (const host of HOSTS) clean.set(host.name, await lab.snapshot(host.name));
    lab.declareHosts([CONTROL_PLANE], WORKERS);
  });

  after(async () => {
    await lab?.stop();
  });

  it("builds the cluster and rolls out every add-on on it", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded");
    const kubeconfig = result.outputs.kubeconfig.value as string;
    await lab.lab.run(CONTROL_PLANE, `cat >${KUBECONFIG}`, { input: kubeconfig });
    // Every @pulumi/kubernetes object was created (workloads not awaited: waitForRollout is off).
    assert.ok((result.summary.resourceChanges?.create ?? 0) > 50, JSON.stringify(result.summary.resourceChanges));
  });

  it("has every node Ready through the real API", async () => {
    const nodes = JSON.parse(await kubectl("get nodes -o json")) as {
      items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
    };
    assert.deepEqual(nodes.items.map((n) => n.metadata.name).sort(), [CONTROL_PLANE, ...WORKERS].sort());
    for (const node of nodes.items) {
      const ready = node.status.conditions.find((c) => c.type === "Ready");
      assert.equal(ready?.status, "True", `${node.metadata.name}: ${JSON.stringify(node.status.conditions)}`);
    }
    // Workers got their credentials by the kubelet's TLS bootstrap: CSRs approved and signed by the real
    // controller-manager.
    const csrs = JSON.parse(await kubectl("get csr -o json")) as {
      items: { spec: { username: string; signerName: string }; status: { certificate?: string } }[];
    };
    // (the control plane's kubelet files one of its own, as system:node:cp1, when it rotates its client certificate)
    const bootstrapped = csrs.items.filter(
      (c) =>
        c.spec.signerName === "kubernetes.io/kube-apiserver-client-kubelet" &&
        c.spec.username.startsWith("system:bootstrap:") &&
        c.status.certificate,
    );
    assert.equal(bootstrapped.length, WORKERS.length, JSON.stringify(csrs.items.map((c) => c.spec.username)));
  });

  it("configures Flannel for the stack's pod subnet", async () => {
    const cm = JSON.parse(await kubectl("-n kube-flannel get configmap kube-flannel-cfg -o json"));
    const netConf = JSON.parse(cm.data["net-conf.json"]);
    assert.equal(netConf.Network, POD_SUBNET);
    assert.equal(netConf.Backend.Type, "vxlan");
    // Flannel's image is in the lab's registry: its Pods really run, one per node.
    await waitFor("flannel Ready on every node", 180, async () => {
      const ds = JSON.parse(await kubectl("-n kube-flannel get daemonset kube-flannel-ds -o json"));
      return ds.status.numberReady === HOSTS.length;
    });
  });

  it("gives the dashboard token cluster-admin rights", async () => {
    const outputs = await lab.stack.outputs();
    const token = outputs.dashboardToken.value as string;
    assert.ok(outputs.dashboardToken.secret, "the dashboard token must be a secret output");
    const server = `https://${lab.lab.host(CONTROL_PLANE).address}:6443`;
    // The token alone (no client certificate): what the Dashboard's log-in page sends.
    const asToken = `kubectl --kubeconfig /dev/null --server ${server} --certificate-authority /etc/kubernetes/pki/ca.crt --token "$(cat)"`;
    const can = await lab.lab.run(CONTROL_PLANE, `${asToken} auth can-i '*' '*'`, { input: token });
    assert.equal(can.trim(), "yes");
    const who = await lab.lab.run(CONTROL_PLANE, `${asToken} auth whoami -o jsonpath='{.status.userInfo.username}'`, {
      input: token,
    });
    assert.equal(who.trim(), "system:serviceaccount:kubernetes-dashboard:admin-user");
    // Its Pod was scheduled and its image asked of the lab's mirror (which has none: it cannot be built here).
    await waitFor("containerd asks the mirror for the Dashboard's image", 120, async () =>
      askedMirrorFor().some((i) => /kubernetesui\/dashboard:v2\.7\.0$/.test(i)),
    );
  });

  it("switches the web UI to Headlamp, whose token logs in as its own admin", async () => {
    await lab.stack.setConfig("pulumi-kubeadm:addons.dashboard.ui", { value: "headlamp" }, true);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded");
    const headlamp = JSON.parse(await kubectl("-n kube-system get deployment headlamp -o json"));
    assert.match(
      JSON.stringify(headlamp.spec.template.spec.containers),
      /registry\.aliyuncs\.com\/google_containers\/headlamp-k8s\/headlamp:v0\.44\.0/,
    );
    // The Dashboard went with the switch, its namespace included.
    const namespaces = await kubectl("get namespaces -o jsonpath='{.items[*].metadata.name}'");
    assert.doesNotMatch(namespaces, /kubernetes-dashboard/);
    const outputs = await lab.stack.outputs();
    assert.ok(outputs.dashboardToken.secret);
    const server = `https://${lab.lab.host(CONTROL_PLANE).address}:6443`;
    const who = await lab.lab.run(
      CONTROL_PLANE,
      `kubectl --kubeconfig /dev/null --server ${server} --certificate-authority /etc/kubernetes/pki/ca.crt ` +
        `--token "$(cat)" auth whoami -o jsonpath='{.status.userInfo.username}'`,
      { input: outputs.dashboardToken.value as string },
    );
    assert.equal(who.trim(), "system:serviceaccount:kube-system:headlamp-admin");
  });

  it("sizes the CephCluster to the nodes that run pods", async () => {
    const clusters = JSON.parse(await kubectl("-n rook-ceph get cephclusters -o json"));
    assert.equal(clusters.items.length, 1);
    const spec = clusters.items[0].spec;
    // Three pod nodes (the control plane is schedulable): cluster.yaml's layout.
    assert.equal(spec.mon.count, 3);
    assert.equal(spec.dataDirHostPath, DATA_DIR);
    assert.match(JSON.stringify(spec.storage), /vdb/);
    const operator = JSON.parse(await kubectl("-n rook-ceph get deployment rook-ceph-operator -o json"));
    assert.match(
      JSON.stringify(operator.spec.template.spec.containers),
      /registry\.aliyuncs\.com\/google_containers\/rook\/ceph:/,
    );
  });

  it("brings a rebooted worker's kubelet back with the host, started by systemd", async () => {
    await lab.lab.hostDown("w1");
    const rebootedAt = Date.now();
    await lab.lab.hostUp("w1");
    await waitFor("w1's kubelet renews its lease and reports Ready", 120, async () => {
      const lease = JSON.parse(await kubectl("-n kube-node-lease get lease w1 -o json"));
      const ready = await kubectl("get node w1 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'");
      return Date.parse(lease.spec.renewTime) > rebootedAt && ready.trim() === "True";
    });
    assert.equal((await lab.lab.run("w1", "systemctl is-active kubelet containerd")).trim(), "active\nactive");
  });

  it("drains and deletes a removed worker through the real API", async () => {
    lab.declareHosts([CONTROL_PLANE], ["w1"]);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded");
    const nodes = await kubectl("get nodes -o jsonpath='{.items[*].metadata.name}'");
    assert.deepEqual(nodes.trim().split(" ").sort(), [CONTROL_PLANE, "w1"]);
    assert.deepEqual(await clusterProcesses("w2"), []);
  });

  it("removes the add-ons and resets every host on destroy", async () => {
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded");
    for (const host of HOSTS) {
      assert.deepEqual({ host: host.name, left: await clusterProcesses(host.name) }, { host: host.name, left: [] });
      const left = difference(clean.get(host.name), await lab.snapshot(host.name));
      assert.deepEqual({ host: host.name, ...left }, { host: host.name, added: [], removed: [] });
    }
  });
});
