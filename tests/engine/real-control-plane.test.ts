// The product against the lab's real control plane (lab/README.md, "Real control plane") with two control-plane
// nodes behind the lab's load balancer: the second one joins through the real kubeadm's join phases (certificates
// downloaded with the certificate key, its etcd member added to the real etcd and promoted, the node marked), and
// leaves through the real kubeadm's remove-etcd-member. Token discovery is the real kubeadm's too, so a wrong,
// unknown or expired token and an unpinned CA fail in kubeadm's own code against the real kube-apiserver,
// bootstrap signer and token cleaner, and leave the host as they found it.
import { strict as assert } from "assert";
import { createHash, createPublicKey } from "crypto";
import * as fs from "fs";
import { controlPlaneTools, kubeadmBinary } from "../../tools/paths";
import { LabStack } from "../support/lab-stack";

const CONTROL_PLANE = ["cp1", "cp2"];
const WORKER = "w1";
const HOSTS = [
  { name: "cp1", distro: "ubuntu" as const },
  { name: "cp2", distro: "rocky" as const },
  { name: WORKER, distro: "ubuntu" as const },
];
const LAB_KUBEADM = "/lab/doubles/packages/kubeadm/usr/bin/kubeadm";
const ADMIN_KUBECTL = "/lab/tools/kubectl --cache-dir /tmp/kubectl-cache --kubeconfig /etc/kubernetes/admin.conf";
const ETCDCTL =
  "/lab/tools/etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt " +
  "--cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key";
/** What a join writes first once discovery has passed: none may exist after a refused one. */
const JOIN_FILES = [
  "/etc/kubernetes/pki/ca.crt",
  "/etc/kubernetes/bootstrap-kubelet.conf",
  "/etc/kubernetes/kubelet.conf",
];
const IDENTITY = /^error: error execution phase preflight: couldn't validate the identity of the API Server: /m;

interface EtcdMember {
  name?: string;
  peerURLs: string[];
  isLearner?: boolean;
}

describe("HA on the lab's real control plane (real engine, real kubeadm join phases and etcd)", function () {
  this.timeout(900_000);
  let lab: LabStack;
  let caHash = "";

  const kubectl = (args: string) => lab.lab.run("cp1", `${ADMIN_KUBECTL} ${args}`, { timeoutMs: 120_000 });

  async function etcdMembers(): Promise<EtcdMember[]> {
    const out = await lab.lab.run("cp1", `${ETCDCTL} member list -w json`, { timeoutMs: 60_000 });
    return (JSON.parse(out) as { members: EtcdMember[] }).members;
  }

  async function processesOf(host: string): Promise<string[]> {
    const out = await lab.lab.run(host, 'for p in /proc/[0-9]*; do tr "\\0" " " <"$p/cmdline" 2>/dev/null; echo; done');
    return out.split("\n").filter((p) => /\/lab\/tools\/|supervise\.sh|kubelet-agent/.test(p));
  }

  /**
   * kubeadm join on the worker host with the lab's kubeadm (hence the real discovery). The host left the stack, so
   * its packages are gone: the lab's kubeadm runs from the lab's doubles, its host checks made warnings.
   */
  async function join(token: string, hash = caHash): Promise<{ code: number; stderr: string }> {
    const r = await lab.lab.exec(
      WORKER,
      `${LAB_KUBEADM} join ${lab.lab.loadBalancerEndpoint()} --token ${token} --discovery-token-ca-cert-hash ${hash} --ignore-preflight-errors=all`,
      { timeoutMs: 120_000 },
    );
    return { code: r.code, stderr: r.stderr };
  }

  async function assertNothingJoined(): Promise<void> {
    for (const file of JOIN_FILES) {
      const r = await lab.lab.exec(WORKER, `test -e ${file}`);
      assert.notEqual(r.code, 0, `${file} exists after a refused join`);
    }
    const nodes = await kubectl("get nodes -o jsonpath='{.items[*].metadata.name}'");
    assert.ok(!nodes.split(" ").includes(WORKER), nodes);
  }

  async function clusterInfoSignatures(): Promise<string[]> {
    const cm = JSON.parse(await kubectl("-n kube-public get configmap cluster-info -o json"));
    return Object.keys(cm.data).filter((k) => k.startsWith("jws-kubeconfig-"));
  }

  before(async function () {
    for (const binary of [kubeadmBinary(), ...controlPlaneTools().map((t) => t.source)]) {
      if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run tools/setup`);
    }
    lab = await LabStack.start({
      lab: "realha",
      hosts: HOSTS,
      loadBalancer: CONTROL_PLANE,
      realControlPlane: true,
      config: (l) => ({ controlPlaneEndpoint: l.loadBalancerEndpoint() }),
    });
    lab.declareHosts(CONTROL_PLANE, [WORKER]);
  });

  after(async () => {
    await lab?.stop();
  });

  it("joins a second control-plane node: its etcd member promoted in the real etcd, its node marked", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded");
    const members = await etcdMembers();
    assert.deepEqual(members.map((m) => m.name).sort(), CONTROL_PLANE);
    assert.ok(
      members.every((m) => !m.isLearner),
      JSON.stringify(members),
    );
    const cp2 = JSON.parse(await kubectl("get node cp2 -o json"));
    assert.ok("node-role.kubernetes.io/control-plane" in cp2.metadata.labels, JSON.stringify(cp2.metadata.labels));
    assert.deepEqual(
      cp2.spec.taints.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`),
      ["node-role.kubernetes.io/control-plane:NoSchedule"],
    );
    // the kubelets keep mirror Pods of the static Pods, which is where kubeadm finds etcd's endpoints
    const mirrors = await kubectl(
      "-n kube-system get pods -l tier=control-plane -o jsonpath='{.items[*].metadata.name}'",
    );
    for (const host of CONTROL_PLANE)
      for (const pod of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"])
        assert.ok(mirrors.split(" ").includes(`${pod}-${host}`), `${pod}-${host} in ${mirrors}`);
    for (const node of [...CONTROL_PLANE, WORKER]) {
      const ready = await kubectl(`get node ${node} -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'`);
      assert.equal(ready.trim(), "True", node);
    }
    // the real kubeadm's join phases did it (the doubles log what they hand to it)
    const cp2Log = lab.commands("cp2").join("\n");
    for (const phase of [
      "preflight",
      "control-plane-prepare all",
      "etcd-join",
      "control-plane-join mark-control-plane",
    ])
      assert.match(cp2Log, new RegExp(`/lab/tools/kubeadm join phase ${phase} --config`), phase);
    // cp2's own API server answers from its own etcd member
    const address = lab.lab.host("cp2").address;
    const readyz = await lab.lab.run(
      "cp2",
      `${ADMIN_KUBECTL} --server https://${address}:6443 get --raw='/readyz?verbose'`,
    );
    assert.match(readyz, /\[\+\]etcd ok/);
    const caPem = await lab.lab.run("cp1", "cat /etc/kubernetes/pki/ca.crt");
    const spki = createPublicKey(caPem).export({ type: "spki", format: "der" });
    caHash = `sha256:${createHash("sha256").update(spki).digest("hex")}`;
  });

  it("brings a rebooted control-plane host's etcd member and API server back with it", async () => {
    await lab.lab.hostDown("cp2");
    const rebootedAt = Date.now();
    await lab.lab.hostUp("cp2");
    // with two members etcd had no quorum while cp2 was off; the kubelet's start at boot runs its static Pods again
    const address = lab.lab.host("cp2").address;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const health = await lab.lab.exec("cp2", `${ETCDCTL} endpoint health --cluster -w json`, { timeoutMs: 60_000 });
      const readyz = await lab.lab.exec("cp2", `${ADMIN_KUBECTL} --server https://${address}:6443 get --raw=/readyz`);
      const lease = await lab.lab.exec("cp1", `${ADMIN_KUBECTL} -n kube-node-lease get lease cp2 -o json`);
      const renewed = lease.code === 0 && Date.parse(JSON.parse(lease.stdout).spec.renewTime) > rebootedAt;
      const healthy =
        health.code === 0 && (JSON.parse(health.stdout) as { health: boolean }[]).filter((e) => e.health).length === 2;
      if (healthy && readyz.stdout === "ok" && renewed) break;
      if (Date.now() > deadline)
        assert.fail(
          `cp2 after reboot: etcd ${health.stdout || health.stderr}; readyz ${readyz.stdout}; lease ${lease.stdout}`,
        );
      await new Promise((r) => setTimeout(r, 2000));
    }
  });

  it("refuses a wrong token secret, an unknown token and an unpinned CA in kubeadm's own discovery", async () => {
    // the worker leaves the stack (drained, deleted, reset, its packages removed), so it can try joins by hand
    lab.declareHosts(CONTROL_PLANE, []);
    assert.equal((await lab.up()).summary.result, "succeeded");
    const token = (await lab.lab.run("cp1", "kubeadm token create --ttl 10m --description lab-test")).trim();
    const [id] = token.split(".");
    assert.ok((await clusterInfoSignatures()).includes(`jws-kubeconfig-${id}`), "the bootstrap signer signed it");

    const discoveries = () => lab.commands(WORKER).filter((l) => l.includes("/lab/tools/kubeadm join phase preflight"));
    const before = discoveries().length;
    const wrongSecret = await join(`${id}.${"0".repeat(16)}`);
    assert.equal(wrongSecret.code, 1, wrongSecret.stderr);
    assert.match(wrongSecret.stderr, IDENTITY);
    assert.match(wrongSecret.stderr, /failed to verify JWS signature of received cluster info object/);

    const unknown = await join("zzzzzz.0123456789abcdef");
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, IDENTITY);
    assert.match(unknown.stderr, /could not find a JWS signature in the cluster-info ConfigMap for token ID "zzzzzz"/);

    const unpinned = await join(token, `sha256:${"ab".repeat(32)}`);
    assert.equal(unpinned.code, 1, unpinned.stderr);
    assert.match(unpinned.stderr, IDENTITY);
    assert.match(unpinned.stderr, /none of the public keys "sha256:[0-9a-f]{64}" are pinned/);
    assert.equal(discoveries().length, before + 3, "each join's discovery was the real kubeadm's");
    await assertNothingJoined();
    await lab.lab.run("cp1", `kubeadm token delete ${id}`);
  });

  it("refuses a token the real token cleaner removed when its TTL passed", async () => {
    const token = (await lab.lab.run("cp1", "kubeadm token create --ttl 20s --description lab-test")).trim();
    const [id] = token.split(".");
    assert.ok((await clusterInfoSignatures()).includes(`jws-kubeconfig-${id}`));
    // kube-controller-manager's tokencleaner deletes the expired Secret; the bootstrap signer then drops its signature
    const deadline = Date.now() + 120_000;
    while ((await clusterInfoSignatures()).includes(`jws-kubeconfig-${id}`)) {
      assert.ok(Date.now() < deadline, `cluster-info still signed for ${id} two minutes after its TTL`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const secret = await lab.lab.exec("cp1", `${ADMIN_KUBECTL} -n kube-system get secret bootstrap-token-${id}`);
    assert.notEqual(secret.code, 0, "the expired token's Secret is gone");
    const expired = await join(token);
    assert.equal(expired.code, 1, expired.stderr);
    assert.match(expired.stderr, IDENTITY);
    assert.match(
      expired.stderr,
      new RegExp(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${id}"`),
    );
    await assertNothingJoined();
  });

  it("removes a control-plane node's etcd member through the real kubeadm reset", async () => {
    lab.declareHosts(["cp1"], []);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded");
    const members = await etcdMembers();
    assert.deepEqual(
      members.map((m) => m.name),
      ["cp1"],
    );
    assert.deepEqual(await processesOf("cp2"), []);
    assert.ok(lab.commands("cp2").some((l) => l.includes("/lab/tools/kubeadm reset phase remove-etcd-member")));
    const nodes = await kubectl("get nodes -o jsonpath='{.items[*].metadata.name}'");
    assert.equal(nodes.trim(), "cp1");
  });

  it("destroys the cluster and leaves no control-plane process", async () => {
    assert.equal((await lab.destroy()).summary.result, "succeeded");
    for (const host of HOSTS.map((h) => h.name))
      assert.deepEqual({ host, left: await processesOf(host) }, { host, left: [] });
  });
});
