// The add-ons against the REAL control plane on the lab (lab/README.md, "Real control plane"): a lab started
// with realControlPlane, so `kubeadm init` there runs the real etcd, kube-apiserver, controller-manager and
// scheduler, workers join through the real bootstrap-token discovery and TLS bootstrap, and kwok plays each
// node's kubelet. `pulumi up` then deploys Flannel, the Dashboard and Rook-Ceph through @pulumi/kubernetes (the
// engine's provider reaches the API server through the lab's CONNECT proxy) and waits for every object to be
// ready; the real kubectl checks what landed; removing a worker drains and deletes its Node for real; destroy
// removes the add-ons and resets the hosts.
import { strict as assert } from "assert";
import * as fs from "fs";
import { KEPT_WITH_REAL_CONTROL_PLANE, LabStack } from "../support/lab-stack";
import { controlPlaneTools, kubeadmBinary } from "../../tools/paths";

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
// The test's own kubectl keeps its discovery cache in /tmp (tmpfs), out of the hosts' listings.
const KUBECTL = `/lab/tools/kubectl --cache-dir /tmp/kubectl-cache --kubeconfig ${KUBECONFIG}`;
/**
 * Lines only in `after` and lines only in `before`. Links are compared by name: a rebooted host's veth gets a new
 * peer index (eth0@if3 becomes eth0@if6).
 */
function difference(before: string | undefined, after: string): { added: string[]; removed: string[] } {
  const lines = (text: string) => text.split("\n").map((line) => line.replace(/@if\d+$/, ""));
  const was = new Set(lines(before ?? ""));
  const is = new Set(lines(after));
  return { added: [...is].filter((line) => !was.has(line)), removed: [...was].filter((line) => !is.has(line)) };
}

describe("add-ons on the lab's real control plane (real engine, real API server)", function () {
  this.timeout(900_000);
  let lab: LabStack;
  const clean = new Map<string, string>();

  /** The real kubectl on the control-plane host, with the stack's kubeconfig output. */
  const kubectl = (args: string) => lab.lab.run(CONTROL_PLANE, `${KUBECTL} ${args}`, { timeoutMs: 120_000 });

  /** Processes of the real control plane and of kwok on a host. */
  async function clusterProcesses(host: string): Promise<string[]> {
    const out = await lab.lab.run(host, 'for p in /proc/[0-9]*; do tr "\\0" " " <"$p/cmdline" 2>/dev/null; echo; done');
    return out.split("\n").filter((p) => /\/lab\/tools\/|supervise\.sh|kubelet-agent/.test(p));
  }

  before(async function () {
    for (const binary of [kubeadmBinary(), ...controlPlaneTools().map((t) => t.source)]) {
      if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run tools/setup`);
    }
    lab = await LabStack.start({
      lab: "addons",
      hosts: HOSTS,
      realControlPlane: true,
      config: {
        podSubnet: POD_SUBNET,
        schedulableControlPlane: true,
        addons: {
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
    // Every @pulumi/kubernetes object was created and awaited (Deployments and DaemonSets rolled out on kwok).
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
    const bootstrapped = csrs.items.filter(
      (c) => c.spec.signerName === "kubernetes.io/kube-apiserver-client-kubelet" && c.status.certificate,
    );
    assert.equal(bootstrapped.length, WORKERS.length, JSON.stringify(csrs.items.map((c) => c.spec.username)));
  });

  it("configures Flannel for the stack's pod subnet", async () => {
    const cm = JSON.parse(await kubectl("-n kube-flannel get configmap kube-flannel-cfg -o json"));
    const netConf = JSON.parse(cm.data["net-conf.json"]);
    assert.equal(netConf.Network, POD_SUBNET);
    assert.equal(netConf.Backend.Type, "vxlan");
    const ds = JSON.parse(await kubectl("-n kube-flannel get daemonset kube-flannel-ds -o json"));
    assert.equal(ds.status.numberReady, HOSTS.length);
  });

  it("gives the dashboard token cluster-admin rights", async () => {
    const outputs = await lab.stack.outputs();
    const token = outputs.dashboardToken.value as string;
    assert.ok(outputs.dashboardToken.secret, "the dashboard token must be a secret output");
    const server = `https://${lab.lab.host(CONTROL_PLANE).address}:6443`;
    // The token alone (no client certificate): what the Dashboard's log-in page sends.
    const asToken = `/lab/tools/kubectl --kubeconfig /dev/null --server ${server} --certificate-authority /etc/kubernetes/pki/ca.crt --token "$(cat)"`;
    const can = await lab.lab.run(CONTROL_PLANE, `${asToken} auth can-i '*' '*'`, { input: token });
    assert.equal(can.trim(), "yes");
    const who = await lab.lab.run(CONTROL_PLANE, `${asToken} auth whoami -o jsonpath='{.status.userInfo.username}'`, {
      input: token,
    });
    assert.equal(who.trim(), "system:serviceaccount:kubernetes-dashboard:admin-user");
  });

  it("switches the web UI to Headlamp, whose token logs in as its own admin", async () => {
    await lab.stack.setConfig("pulumi-kubeadm:addons.dashboard.ui", { value: "headlamp" }, true);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded");
    const headlamp = JSON.parse(await kubectl("-n kube-system get deployment headlamp -o json"));
    assert.equal(headlamp.status.readyReplicas, 1);
    assert.match(JSON.stringify(headlamp.spec.template.spec.containers), /headlamp:v0\.44\.0/);
    // The Dashboard went with the switch, its namespace included.
    const namespaces = await kubectl("get namespaces -o jsonpath='{.items[*].metadata.name}'");
    assert.doesNotMatch(namespaces, /kubernetes-dashboard/);
    const outputs = await lab.stack.outputs();
    assert.ok(outputs.dashboardToken.secret);
    const server = `https://${lab.lab.host(CONTROL_PLANE).address}:6443`;
    const who = await lab.lab.run(
      CONTROL_PLANE,
      `/lab/tools/kubectl --kubeconfig /dev/null --server ${server} --certificate-authority /etc/kubernetes/pki/ca.crt ` +
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
    assert.equal(operator.status.readyReplicas, 1);
  });

  it("brings a rebooted worker's kubelet (kwok) back with the host", async () => {
    await lab.lab.hostDown("w1");
    const rebootedAt = Date.now();
    await lab.lab.hostUp("w1");
    const deadline = Date.now() + 90_000;
    for (;;) {
      const lease = JSON.parse(await kubectl("-n kube-node-lease get lease w1 -o json"));
      const ready = await kubectl("get node w1 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'");
      if (Date.parse(lease.spec.renewTime) > rebootedAt && ready.trim() === "True") break;
      if (Date.now() > deadline) assert.fail(`w1: lease ${lease.spec.renewTime}, Ready ${ready}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const kwok = await lab.lab.run("w1", "node /lab/doubles/lib/kube/kwok.js status");
    assert.match(kwok, /kwok: running .*--manage-single-node=w1/);
  });

  it("drains and deletes a removed worker through the real API", async () => {
    lab.declareHosts([CONTROL_PLANE], ["w1"]);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded");
    const log = lab.commands(CONTROL_PLANE).join("\n");
    assert.match(log, /kubectl .*drain w2/);
    assert.match(log, /kubectl .*delete node w2/);
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
      // the product's own kubectl calls keep their discovery cache in its working directory, which the reset
      // removes: nothing under $HOME/.kube
      const kept = host.name === CONTROL_PLANE ? KEPT_WITH_REAL_CONTROL_PLANE : [];
      left.added = left.added.filter((f) => !kept.includes(f));
      assert.deepEqual({ host: host.name, ...left }, { host: host.name, added: [], removed: [] });
    }
  });
});
