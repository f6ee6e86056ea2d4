// The control-plane-join provider against a fake three-node control plane: fresh token and certificate key per
// join, certificates re-uploaded right before the join (so a node added long after init still joins), nothing
// secret in outputs or progress, and removal guarded by the etcd quorum before anything is touched.
import { strict as assert } from "assert";
import { parse } from "yaml";
import { createControlPlaneJoin } from "../../providers/control-plane-join/create";
import { deleteControlPlaneJoin } from "../../providers/control-plane-join/delete";
import { controlPlaneJoinDiff } from "../../providers/control-plane-join/diff";
import { readControlPlaneJoin } from "../../providers/control-plane-join/read";
import { updateControlPlaneJoin } from "../../providers/control-plane-join/update";
import { kubeadmControlPlaneJoinProvider } from "../../providers/control-plane-join";
import { captureConsole, fakeOpener } from "./kubeadm-fakes";
import { CP2, CP3, cpJoinInputs, cpJoinOutputs, ETCD_WARNING, FakeHaCluster, HA_SPEC } from "./control-plane-fakes";
import { OTHER_CA } from "./kubeadm-fixtures";

const JOIN_CONFIG = "/etc/kubernetes/pulumi-kubeadm/join.yaml";
const UPLOAD_CERTS_CONFIG = "/etc/kubernetes/pulumi-kubeadm/upload-certs.yaml";
const KUBE_VIP = "/etc/kubernetes/manifests/kube-vip.yaml";

describe("control-plane-join provider: create", () => {
  it("mints a token and a certificate key, re-uploads the certificates with it on cp1, joins, then cleans up", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1");
    const { result, error, lines } = await captureConsole(() =>
      createControlPlaneJoin(cpJoinInputs(), fakeOpener(cluster.hosts)),
    );
    assert.equal(error, undefined, error?.message);
    const cp1 = cluster.host("cp1");
    const cp2 = cluster.host("cp2");
    const [token] = cluster.minted;
    const [key] = cluster.uploads;
    assert.match(key, /^[0-9a-f]{64}$/);

    const upload = cp1.actions.findIndex((c) => c.includes("'upload-certs' '--upload-certs' '--config'"));
    assert.ok(upload > cp1.actions.findIndex((c) => c.includes("'token' 'create'")), "token first, then certs");
    assert.equal(cp1.uploads.find((u) => u.path === UPLOAD_CERTS_CONFIG)?.mode, 0o600);
    assert.equal(cp1.files.has(UPLOAD_CERTS_CONFIG), false, "the config with the key is removed");
    assert.ok(!cp1.commands.some((c) => c.includes(key)), "the key never goes on a command line");

    const join = parse(cp2.uploads.find((u) => u.path === JOIN_CONFIG)!.content);
    assert.deepEqual(join.controlPlane, {
      localAPIEndpoint: { advertiseAddress: CP2.advertiseAddress, bindPort: 6443 },
      certificateKey: key,
    });
    assert.equal(join.discovery.bootstrapToken.apiServerEndpoint, "192.0.2.100:6443");
    assert.equal(join.discovery.bootstrapToken.token, token);
    assert.equal(cp2.files.has(JOIN_CONFIG), false);

    assert.equal(cluster.tokens.size, 0, "the token is deleted");
    assert.equal(cluster.secretKey, undefined, "the kubeadm-certs Secret is deleted");
    assert.ok(cluster.nodes.has("cp2"));
    assert.equal(result!.outs.nodeName, "cp2");
    const outputs = JSON.stringify(result!.outs);
    for (const secret of [key, token.split(".")[1]]) {
      assert.ok(!outputs.includes(secret), "no key or token in the outputs");
      for (const line of lines) assert.ok(!line.includes(secret), `leaked: ${line}`);
    }
    assert.ok(lines.some((l) => l.startsWith("[cp2] upload-certs: on cp1")));
    assert.ok(lines.includes("[cp2] upload-certs: [secret]"), "the key kubeadm prints is masked");
  });

  it("a node joined a week after init gets certificates uploaded under its own fresh key", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1");
    cluster.secretKey = "0".repeat(64); // what init uploaded, long expired in reality: never reused
    await captureConsole(() => createControlPlaneJoin(cpJoinInputs(), fakeOpener(cluster.hosts)));
    const { error } = await captureConsole(() => createControlPlaneJoin(cpJoinInputs(CP3), fakeOpener(cluster.hosts)));
    assert.equal(error, undefined, error?.message);
    assert.equal(cluster.uploads.length, 2);
    assert.notEqual(cluster.uploads[0], cluster.uploads[1], "each join has its own key");
    assert.ok(cluster.nodes.has("cp3"));
  });

  it("uses the next control-plane node when the first one is down", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1").controlPlane("cp2");
    cluster.host("cp1").unreachable = true;
    const { error } = await captureConsole(() => createControlPlaneJoin(cpJoinInputs(CP3), fakeOpener(cluster.hosts)));
    assert.equal(error, undefined, error?.message);
    assert.ok(cluster.host("cp2").commands.some((c) => c.includes("'upload-certs'")));
  });

  it("says which control-plane nodes it tried when none answers", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1");
    cluster.apiDown = true;
    const { error } = await captureConsole(() => createControlPlaneJoin(cpJoinInputs(), fakeOpener(cluster.hosts)));
    assert.match(error!.message, /needs another control-plane node whose API answers, and none does/);
    assert.match(error!.message, /cp1: reachable, but its API does not answer/);
    assert.match(error!.message, /cp3: reachable, but its API does not answer/);
    assert.equal(cluster.host("cp2").actions.length, 0, "nothing ran on the joining node");
  });

  it("resets the node when the join fails, and still deletes token and certificates", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1");
    cluster.host("cp2").on(/^'kubeadm' 'join'/, () => ({ code: 1, stderr: "error execution phase preflight: boom\n" }));
    const { error } = await captureConsole(() => createControlPlaneJoin(cpJoinInputs(), fakeOpener(cluster.hosts)));
    assert.match(error!.message, /kubeadm join --control-plane failed on cp2/);
    assert.equal(cluster.host("cp2").resetRuns(), 1);
    assert.equal(cluster.tokens.size, 0);
    assert.equal(cluster.secretKey, undefined);
  });

  it("adopts a node that already is a control plane of this cluster", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1").controlPlane("cp2");
    const { error } = await captureConsole(() => createControlPlaneJoin(cpJoinInputs(), fakeOpener(cluster.hosts)));
    assert.equal(error, undefined, error?.message);
    assert.equal(cluster.minted.length, 0);
    assert.equal(cluster.uploads.length, 0);
    assert.equal(cluster.host("cp2").resetRuns(), 0);
  });

  it("resets a node holding another cluster's state before joining it", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1");
    cluster.host("cp2").files.set("/etc/kubernetes/pki/ca.crt", OTHER_CA.certPem);
    const { error, lines } = await captureConsole(() =>
      createControlPlaneJoin(cpJoinInputs(), fakeOpener(cluster.hosts)),
    );
    assert.equal(error, undefined, error?.message);
    assert.equal(cluster.host("cp2").resetRuns(), 1);
    assert.ok(lines.some((l) => /another cluster/.test(l)));
  });

  it("places kube-vip's static Pod after the join when kube-vip is on", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1");
    const kubeVip = { address: "192.0.2.100", interface: "eth0", image: "ghcr.io/kube-vip/kube-vip:v1.2.2" };
    const inputs = cpJoinInputs(CP2, { cluster: { ...cpJoinInputs().cluster, kubeVip } });
    const { error } = await captureConsole(() => createControlPlaneJoin(inputs, fakeOpener(cluster.hosts)));
    assert.equal(error, undefined, error?.message);
    const cp2 = cluster.host("cp2");
    const placed = cp2.runs.findIndex((r) => r.command === `upload ${KUBE_VIP}`);
    assert.ok(placed > cp2.runs.findIndex((r) => r.command.startsWith("'kubeadm' 'join'")), "after kubeadm join");
    assert.match(cp2.files.get(KUBE_VIP)!, /path: \/etc\/kubernetes\/admin\.conf/);
  });
});

describe("control-plane-join provider: delete", () => {
  function threeNodes(): FakeHaCluster {
    return new FakeHaCluster().controlPlane("cp1").controlPlane("cp2").controlPlane("cp3");
  }

  it("checks the quorum, drains, resets (removing its etcd member) and deletes the Node", async () => {
    const cluster = threeNodes();
    const { error, lines } = await captureConsole(() =>
      deleteControlPlaneJoin(cpJoinOutputs(CP3), fakeOpener(cluster.hosts)),
    );
    assert.equal(error, undefined, error?.message);
    const cp1 = cluster.host("cp1").actions;
    const at = (pattern: RegExp) => cp1.findIndex((c) => pattern.test(c));
    assert.ok(at(/'get' 'nodes' '-l'/) >= 0 && at(/'get' 'nodes' '-l'/) < at(/'drain' 'cp3'/), "quorum before drain");
    assert.ok(at(/'drain' 'cp3'/) < at(/'delete' 'node' 'cp3'/));
    assert.equal(cluster.host("cp3").resetRuns(), 1);
    assert.deepEqual([...cluster.nodes].sort(), ["cp1", "cp2"]);
    assert.ok(lines.some((l) => /quorum: ok: 2 of the 2 remaining members answer \(2 needed\)/.test(l)));
  });

  it("refuses to remove a member when the others would lose the quorum, touching nothing", async () => {
    const cluster = threeNodes();
    cluster.silent.add("cp3");
    const { error } = await captureConsole(() => deleteControlPlaneJoin(cpJoinOutputs(CP2), fakeOpener(cluster.hosts)));
    assert.match(error!.message, /refusing to remove control-plane node cp2/);
    assert.match(error!.message, /2 member\(s\) \(cp1, cp3\), of which 1 answer \(cp1\); etcd needs 2/);
    assert.match(error!.message, /Nothing was changed\. Bring cp3 back/);
    assert.ok(!cluster.host("cp1").commands.some((c) => /'drain'|'delete' 'node'/.test(c)));
    assert.equal(cluster.host("cp2").resetRuns(), 0);
    assert.ok(cluster.nodes.has("cp2"));
  });

  it("lets the unhealthy member go first (that keeps the quorum)", async () => {
    const cluster = threeNodes();
    cluster.silent.add("cp3");
    const { error } = await captureConsole(() => deleteControlPlaneJoin(cpJoinOutputs(CP3), fakeOpener(cluster.hosts)));
    assert.equal(error, undefined, error?.message);
    assert.ok(!cluster.nodes.has("cp3"));
  });

  it("turns kubeadm's failed etcd member removal into a warning with the etcdctl way out", async () => {
    const cluster = threeNodes();
    cluster.resetStderr = `${ETCD_WARNING}\n`;
    const { error, lines } = await captureConsole(() =>
      deleteControlPlaneJoin(cpJoinOutputs(CP3), fakeOpener(cluster.hosts)),
    );
    assert.equal(error, undefined, error?.message);
    assert.ok(
      lines.some((l) =>
        /^warning: \[cp3\] kubeadm reset said: Failed to remove etcd member.*etcdctl.*member remove/.test(l),
      ),
      lines.join("\n"),
    );
  });

  it("warns that the etcd member stays when the node is gone, and still deletes the Node", async () => {
    const cluster = threeNodes();
    cluster.host("cp3").unreachable = true;
    cluster.silent.add("cp3");
    const { error, lines } = await captureConsole(() =>
      deleteControlPlaneJoin(cpJoinOutputs(CP3), fakeOpener(cluster.hosts)),
    );
    assert.equal(error, undefined, error?.message);
    assert.ok(lines.some((l) => /could not be reset; remove cp3's etcd member by hand/.test(l)));
    assert.ok(!cluster.nodes.has("cp3"));
  });

  it("refuses when no other control-plane node answers", async () => {
    const cluster = threeNodes();
    cluster.apiDown = true;
    const { error } = await captureConsole(() => deleteControlPlaneJoin(cpJoinOutputs(CP3), fakeOpener(cluster.hosts)));
    assert.match(error!.message, /quorum check, drain and Node removal for cp3 needs another control-plane node/);
    assert.equal(cluster.host("cp3").resetRuns(), 0);
  });
});

describe("control-plane-join provider: diff, update, read, check", () => {
  it("replaces on a new endpoint or CA, updates labels in place, only stores the other nodes' connections", () => {
    const olds = cpJoinOutputs();
    assert.deepEqual(controlPlaneJoinDiff(olds, cpJoinInputs(CP2, { apiEndpoint: "192.0.2.101:6443" })).replaces, [
      "apiEndpoint",
    ]);
    const relabel = controlPlaneJoinDiff(olds, cpJoinInputs(CP2, { node: { ...olds.node, labels: { a: "b" } } }));
    assert.deepEqual(relabel, { changes: true, replaces: [], deleteBeforeReplace: false });
    const fewer = controlPlaneJoinDiff(olds, cpJoinInputs(CP2, { controlPlanes: olds.controlPlanes.slice(0, 1) }));
    assert.deepEqual(fewer, { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(controlPlaneJoinDiff(olds, cpJoinInputs()), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("updates a joined node's API server flags with kubeadm's phase on that node, not the cluster-wide steps", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1").controlPlane("cp2");
    const olds = cpJoinOutputs();
    const cluster2 = {
      ...olds.cluster,
      apiServer: { ...olds.cluster.apiServer, extraArgs: { "audit-log-maxage": "7" } },
    };
    const { error } = await captureConsole(() =>
      updateControlPlaneJoin(olds, cpJoinInputs(CP2, { cluster: cluster2 }), fakeOpener(cluster.hosts)),
    );
    assert.equal(error, undefined, error?.message);
    const commands = cluster.host("cp2").commands;
    assert.ok(commands.some((c) => c.includes("'control-plane' 'apiserver'")));
    assert.ok(!commands.some((c) => c.includes("'upload-config'") || c.includes("'addon'")));
    assert.equal(cluster.host("cp1").commands.length, 0);
  });

  it("runs an update that failed part way again, with the settings it has then", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1").controlPlane("cp2");
    const olds = { ...cpJoinOutputs(), unfinished: ["cluster.apiServer.extraArgs"] };
    assert.deepEqual(controlPlaneJoinDiff(olds, cpJoinInputs()), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const { error, result } = await captureConsole(() =>
      updateControlPlaneJoin(olds, cpJoinInputs(), fakeOpener(cluster.hosts)),
    );
    assert.equal(error, undefined, error?.message);
    assert.ok(cluster.host("cp2").commands.some((c) => c.includes("'control-plane' 'apiserver'")));
    assert.equal(result!.outs.unfinished, undefined, "a finished update still says it is unfinished");
  });

  it("refresh drops a node that was reset behind Pulumi's back", async () => {
    const cluster = new FakeHaCluster().controlPlane("cp1");
    const { result } = await captureConsole(() =>
      readControlPlaneJoin("cp2", cpJoinOutputs(), fakeOpener(cluster.hosts)),
    );
    assert.equal(result!.id, "");
  });

  it("check refuses a cluster without controlPlaneEndpoint and a list that names the node itself", async () => {
    const inputs = cpJoinInputs(CP2, {
      cluster: { ...cpJoinInputs().cluster, controlPlaneEndpointConfigured: false },
    });
    const checked = await kubeadmControlPlaneJoinProvider.check!(inputs, inputs);
    assert.match(JSON.stringify(checked.failures), /controlPlaneEndpoint/);
    const self = cpJoinInputs(CP2, {
      controlPlanes: [{ name: "cp2", advertiseAddress: CP2.advertiseAddress, connection: CP2.connection }],
    });
    assert.match(JSON.stringify((await kubeadmControlPlaneJoinProvider.check!(self, self)).failures), /other/);
    assert.equal(HA_SPEC.controlPlaneEndpointConfigured, true);
  });
});
