import { strict as assert } from "assert";
import { parse } from "yaml";
import { deleteWorkerJoin } from "../../providers/worker-join/delete";
import { readWorkerJoin } from "../../providers/worker-join/read";
import { createWorkerJoin } from "../../providers/worker-join/create";
import { captureConsole, fakeOpener } from "./kubeadm-fakes";
import { CA_HASH, FakeCluster, joinInputs, joinOutputs, OTHER_CA } from "./kubeadm-fixtures";

const JOIN_CONFIG = "/etc/kubernetes/pulumi-kubeadm/join.yaml";

describe("kubeadm-join provider: create", () => {
  it("mints a fresh token on the control plane, joins with it and the pinned hash, then deletes the token", async () => {
    const cluster = new FakeCluster().initialised();
    const { result, error, lines } = await captureConsole(() =>
      createWorkerJoin(joinInputs(), fakeOpener(cluster.hosts())),
    );
    assert.equal(error, undefined, error?.message);
    assert.equal(cluster.minted.length, 1);
    const token = cluster.minted[0];

    const create = cluster.master.commands.find((c) => c.includes("'token' 'create'"));
    assert.equal(create, "'kubeadm' 'token' 'create' '--ttl' '15m' '--description' 'pulumi-kubeadm join of worker01'");
    assert.ok(cluster.master.commands.includes(`'kubeadm' 'token' 'delete' '${token.split(".")[0]}'`));
    assert.equal(cluster.tokens.size, 0, "the token is gone after the join");

    const upload = cluster.worker.uploads.find((u) => u.path === JOIN_CONFIG)!;
    assert.equal(upload.mode, 0o600);
    const join = parse(upload.content);
    assert.equal(join.kind, "JoinConfiguration");
    assert.deepEqual(join.discovery.bootstrapToken, {
      apiServerEndpoint: "10.0.0.3:6443",
      token,
      caCertHashes: [CA_HASH],
    });
    assert.equal(join.nodeRegistration.name, "worker01");
    assert.ok(cluster.worker.commands.includes(`'kubeadm' 'join' '--config' '${JOIN_CONFIG}'`));
    assert.equal(cluster.worker.files.has(JOIN_CONFIG), false, "the config with the token is removed");
    assert.ok(cluster.master.commands.some((c) => c.includes("'label' 'node' 'worker01' '--overwrite' 'tier=app'")));

    assert.equal(result!.id, "worker01");
    assert.equal(result!.outs.nodeName, "worker01");
    assert.ok(!Number.isNaN(Date.parse(result!.outs.joinedAt)));
    assert.ok(!JSON.stringify(result!.outs).includes(token.split(".")[1]), "the token is not in the outputs");
    for (const line of lines) assert.ok(!line.includes(token.split(".")[1]), `token leaked: ${line}`);
    assert.ok(lines.some((l) => l.startsWith("[worker01] token: minting a join token on master01")));
    assert.ok(lines.some((l) => l.startsWith("[worker01] kubeadm join: This node has joined the cluster")));
  });

  it("a worker added long after init mints its own token (nothing from init is reused)", async () => {
    const cluster = new FakeCluster().initialised();
    // No token exists on the control plane any more (init's expired); the join must still work.
    assert.equal(cluster.tokens.size, 0);
    const { error } = await captureConsole(() => createWorkerJoin(joinInputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
  });

  it("adopts a worker that already joined this cluster", async () => {
    const cluster = new FakeCluster().initialised().joined();
    const { error } = await captureConsole(() => createWorkerJoin(joinInputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.equal(cluster.minted.length, 0, "no token minted");
    assert.ok(!cluster.worker.commands.some((c) => c.includes("'kubeadm' 'join'")));
    assert.equal(cluster.worker.resetRuns(), 0);
  });

  it("resets a worker whose Node is missing on the control plane, then joins it again", async () => {
    const cluster = new FakeCluster().initialised().joined();
    cluster.nodes.delete("worker01");
    const { error } = await captureConsole(() => createWorkerJoin(joinInputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.equal(cluster.worker.resetRuns(), 1);
    const actions = cluster.worker.actions;
    assert.ok(
      actions.findIndex((c) => c.includes("return a host")) < actions.findIndex((c) => c.includes("'kubeadm' 'join'")),
    );
  });

  it("resets a worker that belongs to another cluster before joining, with a warning", async () => {
    const cluster = new FakeCluster().initialised().joined(OTHER_CA.certPem);
    const { error, lines } = await captureConsole(() => createWorkerJoin(joinInputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.equal(cluster.worker.resetRuns(), 1);
    assert.ok(lines.some((l) => l.startsWith("warning: ") && l.includes("another cluster")));
  });

  it("on a failed join, resets the worker, deletes the token and names host, step and kubeadm's lines", async () => {
    const cluster = new FakeCluster().initialised();
    let token = "";
    cluster.worker.on(/^'kubeadm' 'join'/, (_c, host) => {
      host.files.set("/etc/kubernetes/kubelet.conf", "x");
      token = /token: "?([a-z0-9.]{23})/.exec(host.files.get(JOIN_CONFIG) ?? "")?.[1] ?? "";
      return {
        code: 1,
        stderr:
          "[preflight] Running pre-flight checks\n" +
          `error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "${token.split(".")[0]}" (${token})\n`,
      };
    });
    const { error, lines } = await captureConsole(() => createWorkerJoin(joinInputs(), fakeOpener(cluster.hosts())));
    assert.ok(error);
    assert.match(error.message, /^kubeadm join failed on worker01 \(root@10\.0\.0\.4:22\) \(exit status 1\):/);
    assert.match(error.message, /error execution phase preflight: couldn't validate the identity/);
    assert.match(error.message, /The host was reset/);
    assert.equal(cluster.worker.resetRuns(), 1);
    assert.equal(cluster.worker.files.has("/etc/kubernetes/kubelet.conf"), false);
    assert.equal(cluster.tokens.size, 0, "the token was deleted");
    assert.equal(token.length, 23);
    for (const text of [error.message, ...lines])
      assert.ok(!text.includes(token.split(".")[1]), `token leaked: ${text}`);
  });

  it("fails when the Node never registers, saying what the next run does", async () => {
    const cluster = new FakeCluster().initialised();
    cluster.master.on(/^n=1\n.*'get' 'node' 'worker01'/s, () => ({ code: 1 }));
    const { error } = await captureConsole(() => createWorkerJoin(joinInputs(), fakeOpener(cluster.hosts())));
    assert.match(error!.message, /Node worker01 did not appear on the control plane master01/);
    assert.match(error!.message, /next `pulumi up` resets the worker/);
  });

  it("fails before minting a token when the worker is unreachable, naming its address", async () => {
    const cluster = new FakeCluster().initialised();
    cluster.worker.unreachable = true;
    const { error } = await captureConsole(() => createWorkerJoin(joinInputs(), fakeOpener(cluster.hosts())));
    assert.match(error!.message, /worker01 \(root@10\.0\.0\.4:22\)/);
    assert.equal(cluster.minted.length, 0);
  });
});

describe("kubeadm-join provider: delete", () => {
  it("drains, deletes the Node, then resets the worker", async () => {
    const cluster = new FakeCluster().initialised().joined();
    const { error } = await captureConsole(() => deleteWorkerJoin(joinOutputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    const cp = cluster.master.commands;
    const drain = cp.findIndex((c) =>
      c.endsWith("'drain' 'worker01' '--ignore-daemonsets' '--delete-emptydir-data' '--timeout=300s'"),
    );
    const del = cp.findIndex((c) => c.endsWith("'delete' 'node' 'worker01' '--ignore-not-found'"));
    assert.ok(drain >= 0 && del > drain, cp.join("\n"));
    assert.ok(cp[drain].startsWith("'kubectl' '--kubeconfig' '/etc/kubernetes/admin.conf'"));
    assert.equal(cluster.master.runs[drain].opts.timeoutSeconds, 360, "the SSH timeout covers drain's own");
    assert.equal(cluster.worker.resetRuns(), 1);
    assert.equal(cluster.nodes.has("worker01"), false);
    assert.equal(cluster.master.resetRuns(), 0, "only the worker is reset");
  });

  it("stops with a clear error when the drain fails, uncordons, and does not reset", async () => {
    const cluster = new FakeCluster().initialised().joined();
    cluster.master.on(/'drain'/, () => ({
      code: 1,
      stderr:
        'error when evicting pods/"web-0" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod\'s disruption budget.\n' +
        'error: unable to drain node "worker01" due to error: global timeout reached: 300s, continuing command...\n',
    }));
    const { error } = await captureConsole(() => deleteWorkerJoin(joinOutputs(), fakeOpener(cluster.hosts())));
    assert.ok(error);
    assert.match(error.message, /^drain of node worker01 failed on the control plane master01 \(root@10\.0\.0\.3:22\)/);
    assert.match(error.message, /disruption budget/);
    assert.match(error.message, /drain\.force: true/);
    assert.ok(cluster.master.commands.some((c) => c.endsWith("'uncordon' 'worker01'")));
    assert.ok(!cluster.master.commands.some((c) => c.includes("'delete' 'node'")));
    assert.equal(cluster.worker.resetRuns(), 0);
  });

  it("with drain.force, warns about a failed drain and removes the worker anyway", async () => {
    const cluster = new FakeCluster().initialised().joined();
    cluster.master.on(/'drain'/, () => ({ code: 1, stderr: 'error: unable to drain node "worker01"\n' }));
    const props = joinOutputs();
    props.cluster = { ...props.cluster, drain: { force: true, timeoutSeconds: 30 } };
    const { error, lines } = await captureConsole(() => deleteWorkerJoin(props, fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.ok(lines.some((l) => l.startsWith("warning: [worker01] drain of node worker01 failed")));
    assert.equal(cluster.nodes.has("worker01"), false);
    assert.equal(cluster.worker.resetRuns(), 1);
  });

  it("succeeds with a warning when the worker is gone: no drain, the Node is still deleted", async () => {
    const cluster = new FakeCluster().initialised().joined();
    cluster.worker.unreachable = true;
    const { error, lines } = await captureConsole(() => deleteWorkerJoin(joinOutputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.ok(lines.some((l) => l.startsWith("warning: [worker01] ssh worker01 (root@10.0.0.4:22)")));
    assert.ok(!cluster.master.commands.some((c) => c.includes("'drain'")));
    assert.equal(cluster.nodes.has("worker01"), false);
  });

  it("succeeds with a warning when the worker was already reset", async () => {
    const cluster = new FakeCluster().initialised();
    cluster.nodes.add("worker01");
    const { error, lines } = await captureConsole(() => deleteWorkerJoin(joinOutputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.ok(lines.some((l) => l.startsWith("warning: ") && l.includes("already reset")));
    assert.ok(!cluster.master.commands.some((c) => c.includes("'drain'")));
    assert.equal(cluster.nodes.has("worker01"), false);
  });

  it("still resets the worker when the control plane is unreachable, with a warning", async () => {
    const cluster = new FakeCluster().joined();
    cluster.master.unreachable = true;
    const { error, lines } = await captureConsole(() => deleteWorkerJoin(joinOutputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.ok(lines.some((l) => l.startsWith("warning: ") && l.includes("kubectl delete node worker01")));
    assert.equal(cluster.worker.resetRuns(), 1);
  });

  it("does not reset a worker that now belongs to another cluster", async () => {
    const cluster = new FakeCluster().initialised().joined(OTHER_CA.certPem);
    const { error } = await captureConsole(() => deleteWorkerJoin(joinOutputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.equal(cluster.worker.resetRuns(), 0);
    assert.ok(!cluster.master.commands.some((c) => c.includes("'drain'")));
  });
});

describe("kubeadm-join provider: read (refresh)", () => {
  it("reports the worker gone when it was reset, or its Node deleted", async () => {
    const reset = new FakeCluster().initialised();
    const first = await captureConsole(() => readWorkerJoin("worker01", joinOutputs(), fakeOpener(reset.hosts())));
    assert.equal(first.result!.id, "");
    const deleted = new FakeCluster().initialised().joined();
    deleted.nodes.delete("worker01");
    const second = await captureConsole(() => readWorkerJoin("worker01", joinOutputs(), fakeOpener(deleted.hosts())));
    assert.equal(second.result!.id, "");
  });

  it("returns the labels as the Node has them", async () => {
    const cluster = new FakeCluster().initialised().joined();
    cluster.master.on(/'get' 'node' 'worker01' '-o' 'json'/, () => ({
      stdout: JSON.stringify({ metadata: { labels: { tier: "db", "kubernetes.io/os": "linux" } } }),
    }));
    const { result } = await captureConsole(() =>
      readWorkerJoin("worker01", joinOutputs(), fakeOpener(cluster.hosts())),
    );
    assert.equal(result!.id, "worker01");
    assert.deepEqual(result!.props!.node.labels, { tier: "db" });
  });

  it("keeps the state when the worker or the control plane is unreachable", async () => {
    for (const down of ["worker", "master"] as const) {
      const cluster = new FakeCluster().initialised().joined();
      cluster[down].unreachable = true;
      const props = joinOutputs();
      const { result } = await captureConsole(() => readWorkerJoin("worker01", props, fakeOpener(cluster.hosts())));
      assert.deepEqual(result, { id: "worker01", props });
    }
  });
});
