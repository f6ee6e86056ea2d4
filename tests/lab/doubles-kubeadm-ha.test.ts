// The kubeadm/kubectl doubles for several control-plane nodes: one shared cluster state (the lab's etcd) served
// by every control plane's API daemon, control-plane joins with uploaded certificates that expire after two hours
// on the lab clock, the etcd member list, quorum, and kubeadm reset's remove-etcd-member phase.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { requireKubeadm } from "../kubeadm/real-kubeadm";
import {
  certificateKeyFrom,
  createLab,
  DOUBLES,
  initConfig,
  joinArgs,
  loopbackEndpoint,
  TestHost,
  TestLab,
  withoutWarnings,
  workerJoin,
  writeExternalCa,
} from "./doubles-kubeadm-support";

const VERSION = "1.35.4";

interface Member {
  id: string;
  name: string;
  peerURLs: string[];
  isLearner: boolean;
}

describe("lab doubles: HA control plane (shared cluster state, etcd members, uploaded certificates)", function () {
  this.timeout(240_000);
  let lab: TestLab;
  const hosts = new Map<string, { host: TestHost; address: string; port: number }>();
  let join: ReturnType<typeof workerJoin>;
  let initKey: string;

  const cp = (name: string) => hosts.get(name)!;
  const kubectl = (name: string, ...args: string[]) =>
    cp(name).host.run("kubectl", ["--kubeconfig", "/etc/kubernetes/admin.conf", ...args]);
  /** kubectl against one control plane's own API daemon rather than the endpoint. */
  const kubectlAt = (name: string, ...args: string[]) =>
    kubectl(name, "--server", `https://${cp(name).address}:${cp(name).port}`, ...args);

  function clusterState(): { etcd: { members: Member[] }; nodes: Record<string, unknown> } {
    const dir = path.join(lab.labRoot, "clusters");
    const [id] = fs.readdirSync(dir);
    return JSON.parse(fs.readFileSync(path.join(dir, id, "state.json"), "utf8"));
  }
  const voting = () =>
    clusterState()
      .etcd.members.filter((m) => !m.isLearner)
      .map((m) => m.name)
      .sort();

  async function addHost(name: string): Promise<TestHost> {
    const endpoint = await loopbackEndpoint();
    const host = lab.host(name);
    hosts.set(name, { host, ...endpoint });
    return host;
  }

  function joinControlPlane(name: string, key: string) {
    const { address, port } = cp(name);
    return cp(name).host.run(
      "kubeadm",
      joinArgs(
        join,
        "--control-plane",
        "--certificate-key",
        key,
        "--node-name",
        name,
        "--apiserver-advertise-address",
        address,
        "--apiserver-bind-port",
        String(port),
      ),
    );
  }

  /** `kubeadm init phase upload-certs` on a control plane, under a certificate key the test chose. */
  function uploadCerts(name: string, key: string) {
    const host = cp(name).host;
    host.write("/root/upload-certs.yaml", initConfig({ ...cp(name), nodeName: name, certificateKey: key }));
    return host.run("kubeadm", [
      "init",
      "phase",
      "upload-certs",
      "--upload-certs",
      "--config",
      "/root/upload-certs.yaml",
    ]);
  }

  function daemon(name: string, action: "stop" | "start"): void {
    const lib = JSON.stringify(path.join(DOUBLES, "lib", "kube", "daemon.js"));
    cp(name).host.node(`require(${lib}).${action === "stop" ? "stopDaemon" : "startDaemon"}()`);
  }

  /** The daemons probe each other every second. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 3500));

  before(async function () {
    const binary = requireKubeadm(this, VERSION);
    lab = createLab(binary);
    const cp1 = await addHost("cp1");
    writeExternalCa(cp1);
    cp1.write("/root/kubeadm.yaml", initConfig({ ...cp("cp1"), nodeName: "cp1" }));
    const r = cp1.run("kubeadm", ["init", "--config", "/root/kubeadm.yaml", "--upload-certs"]);
    assert.equal(r.status, 0, r.stderr);
    join = workerJoin(r.stdout);
    initKey = certificateKeyFrom(r.stdout);
    await addHost("cp2");
    await addHost("cp3");
  });

  after(() => lab?.cleanup());

  it("init starts the cluster's etcd with this host as its only member", () => {
    assert.deepEqual(voting(), ["cp1"]);
    const [member] = clusterState().etcd.members;
    assert.match(member.id, /^[0-9a-f]{16}$/);
    assert.deepEqual(member.peerURLs, [`https://${cp("cp1").address}:2380`]);
  });

  it("a control-plane join with the uploaded key adds a voting member and starts its own API server", async () => {
    const r = joinControlPlane("cp2", initKey);
    assert.equal(r.status, 0, withoutWarnings(r.stderr));
    assert.ok(r.stdout.includes("[etcd] Announced new etcd member joining to the existing etcd cluster\n"));
    assert.deepEqual(voting(), ["cp1", "cp2"], "promoted from learner once its API server answered");
    // cp2's own API server serves the same cluster: the Nodes cp1 registered included
    const nodes = kubectlAt("cp2", "get", "nodes", "-o", "name");
    assert.equal(nodes.status, 0, nodes.stderr);
    assert.equal(nodes.stdout, "node/cp1\nnode/cp2\n");
  });

  it("lists control-plane Nodes by label and answers /readyz", () => {
    const r = kubectl("cp1", "get", "nodes", "-l", "node-role.kubernetes.io/control-plane", "-o", "name");
    assert.equal(r.stdout, "node/cp1\nnode/cp2\n", r.stderr);
    assert.equal(
      kubectl("cp1", "get", "nodes", "-l", "!node-role.kubernetes.io/control-plane", "-o", "name").stdout,
      "",
    );
    const ready = kubectlAt("cp2", "get", "--raw=/readyz");
    assert.equal(ready.status, 0, ready.stderr);
    assert.equal(ready.stdout, "ok");
  });

  it("refuses the uploaded certificates once they expired (2 h on the lab clock), like kubeadm", () => {
    lab.setClock(3 * 3600);
    const r = joinControlPlane("cp3", initKey);
    assert.equal(r.status, 1);
    assert.match(
      withoutWarnings(r.stderr),
      /^error: error execution phase control-plane-prepare\/download-certs: error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace\. This Secret might have expired\. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one\n/,
    );
    cp("cp3").host.run("kubeadm", ["reset", "-f"]);
  });

  it("re-uploads the certificates on a joined control plane with the key from --config, and the join works", () => {
    const key = "ab".repeat(32);
    const up = uploadCerts("cp2", key);
    assert.equal(up.status, 0, up.stderr);
    assert.equal(certificateKeyFrom(up.stdout), key);
    const token = cp("cp1").host.run("kubeadm", ["token", "create"]).stdout.trim();
    join = { ...join, token };
    const r = joinControlPlane("cp3", key);
    assert.equal(r.status, 0, withoutWarnings(r.stderr));
    assert.deepEqual(voting(), ["cp1", "cp2", "cp3"]);
  });

  it("kubectl delete secret removes the uploaded certificates", () => {
    const r = kubectl("cp1", "delete", "secret", "kubeadm-certs", "-n", "kube-system", "--ignore-not-found");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'secret "kubeadm-certs" deleted from kube-system namespace\n');
    assert.equal(
      kubectl("cp1", "delete", "secret", "kubeadm-certs", "-n", "kube-system", "--ignore-not-found").stdout,
      "",
    );
  });

  it("loses quorum with two of three API servers down: /readyz and requests fail, and come back", async () => {
    daemon("cp2", "stop");
    daemon("cp3", "stop");
    await settle();
    const ready = kubectlAt("cp1", "get", "--raw=/readyz");
    assert.equal(ready.status, 1);
    assert.match(ready.stderr, /etcd failed/);
    const nodes = kubectlAt("cp1", "get", "nodes");
    assert.equal(nodes.stderr, "Error from server (InternalError): etcdserver: request timed out\n");
    daemon("cp2", "start");
    daemon("cp3", "start");
    await settle();
    assert.equal(kubectlAt("cp1", "get", "--raw=/readyz").status, 0);
  });

  it("reset on a control plane removes its etcd member, through the cluster", () => {
    const r = cp("cp3").host.run("kubeadm", ["reset", "-f"]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes("[reset] Deleted contents of the etcd data directory: /var/lib/etcd\n"));
    assert.doesNotMatch(r.stderr, /Failed to remove etcd member/);
    assert.deepEqual(voting(), ["cp1", "cp2"]);
  });

  it("a member whose removal would break the quorum stays, with kubeadm's warning", async () => {
    // cp3 back as a member whose API server is down: removing cp2 would leave cp1 alone of two
    const key = "cd".repeat(32);
    uploadCerts("cp1", key);
    join = { ...join, token: cp("cp1").host.run("kubeadm", ["token", "create"]).stdout.trim() };
    kubectl("cp1", "delete", "node", "cp3"); // reset leaves the Node, as kubeadm does
    const rejoin = joinControlPlane("cp3", key);
    assert.equal(rejoin.status, 0, rejoin.stderr);
    daemon("cp3", "stop");
    await settle();
    const r = cp("cp2").host.run("kubeadm", ["reset", "-f"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /^W\d{4} [\d:.]+ +\d+ removeetcdmember\.go:\d+\] \[reset\] Failed to remove etcd member: etcdserver: re-configuration failed due to not enough started members, please manually remove this etcd member using etcdctl$/m,
    );
    assert.deepEqual(voting(), ["cp1", "cp2", "cp3"]);
  });

  it("the last member's reset removes the cluster's state", () => {
    // cp2's member stayed (above); the test drops it and cp3's by hand, as etcdctl would, then resets cp1
    const state = clusterState();
    state.etcd.members = state.etcd.members.filter((m) => m.name === "cp1");
    const dir = path.join(lab.labRoot, "clusters");
    const [id] = fs.readdirSync(dir);
    fs.writeFileSync(path.join(dir, id, "state.json"), JSON.stringify(state));
    const r = cp("cp1").host.run("kubeadm", ["reset", "-f"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});
