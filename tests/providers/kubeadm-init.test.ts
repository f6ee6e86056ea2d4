import { strict as assert } from "assert";
import { parse } from "yaml";
import { RemoteCommandTimeoutError, SshConnectionError } from "../../ssh";
import { deleteMasterNode } from "../../providers/master-node/delete";
import { readMasterNode } from "../../providers/master-node/read";
import { createMasterNode } from "../../providers/master-node/create";
import { captureConsole, fakeOpener } from "./kubeadm-fakes";
import {
  CA,
  CA_HASH,
  FakeCluster,
  initInputs,
  initOutputs,
  KUBECONFIG,
  OTHER_CA,
  PRIVATE_KEY,
} from "./kubeadm-fixtures";

const INIT_CONFIG = "/etc/kubernetes/pulumi-kubeadm/init.yaml";

/** Asserts none of the secrets appears in any of the texts. */
function assertNoSecrets(texts: string[], secrets: string[]): void {
  for (const secret of secrets) {
    const probes = [secret, ...(secret.includes(".") ? [secret.split(".")[1]] : [])];
    for (const text of texts) {
      for (const probe of probes) assert.ok(!text.includes(probe), `secret leaked into: ${text.slice(0, 200)}`);
    }
  }
  for (const text of texts) {
    assert.ok(!text.includes("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"), "SSH key leaked");
    assert.ok(!text.includes(CA.keyPem.split("\n")[1]), "CA key leaked");
  }
}

describe("kubeadm-init provider: create", () => {
  it("uploads the CA and the config, runs kubeadm init, and returns the endpoint, kubeconfig, hash and token", async () => {
    const cluster = new FakeCluster();
    const { result, error, lines } = await captureConsole(() =>
      createMasterNode(initInputs(), fakeOpener(cluster.hosts())),
    );
    assert.equal(error, undefined, error?.message);
    const { id, outs } = result!;
    assert.equal(id, "master01");

    const uploads = cluster.master.uploads.map((u) => [u.path, u.mode.toString(8)]);
    assert.deepEqual(uploads, [
      ["/etc/kubernetes/pki/ca.crt", "644"],
      ["/etc/kubernetes/pki/ca.key", "600"],
      [INIT_CONFIG, "600"],
    ]);
    assert.equal(cluster.master.uploads[0].content, CA.certPem);
    assert.equal(cluster.master.uploads[1].content, CA.keyPem);
    const [init, clusterConfig] = cluster.master.uploads[2].content.split("---\n").map((d) => parse(d));
    assert.equal(init.kind, "InitConfiguration");
    assert.equal(init.nodeRegistration.name, "master01");
    assert.equal(init.bootstrapTokens[0].token, outs.bootstrapToken);
    assert.equal(init.bootstrapTokens[0].ttl, "15m");
    assert.equal(clusterConfig.networking.podSubnet, "10.244.0.0/16");

    assert.deepEqual(cluster.master.actions, [
      "upload /etc/kubernetes/pki/ca.crt",
      "upload /etc/kubernetes/pki/ca.key",
      `upload ${INIT_CONFIG}`,
      `'kubeadm' 'init' '--config' '${INIT_CONFIG}'`,
      `'rm' '-f' '--' '${INIT_CONFIG}'`,
    ]);
    assert.equal(cluster.master.files.has(INIT_CONFIG), false, "the config with the token is removed");

    assert.equal(outs.apiEndpoint, "10.0.0.3:6443");
    assert.equal(outs.kubeconfig, KUBECONFIG);
    assert.equal(outs.caCertHash, CA_HASH);
    assert.match(outs.bootstrapToken, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    assert.equal(outs.caCertPem, CA.certPem, "inputs are echoed for later diffs");
    assert.ok(JSON.stringify(outs).length > 0 && !JSON.stringify(outs).includes("undefined"));

    assert.ok(lines.some((l) => l.startsWith("[master01] kubeadm init: [bootstrap-token] Using token: [secret]")));
    assert.ok(lines.some((l) => l.startsWith("[master01] upload")));
    assertNoSecrets(lines, [outs.bootstrapToken, PRIVATE_KEY]);
  });

  it("renders taints: [] for a schedulable control plane (no later kubectl untaint)", async () => {
    const cluster = new FakeCluster();
    const inputs = initInputs();
    inputs.cluster = { ...inputs.cluster, schedulableControlPlane: true };
    await captureConsole(() => createMasterNode(inputs, fakeOpener(cluster.hosts())));
    const init = parse(cluster.master.uploads[2].content.split("---\n")[0]);
    assert.deepEqual(init.nodeRegistration.taints, []);
    assert.ok(!cluster.master.commands.some((c) => c.includes("taint")));
  });

  it("labels the node after init when labels are configured", async () => {
    const cluster = new FakeCluster();
    const inputs = initInputs();
    inputs.node = { ...inputs.node, labels: { "example.com/zone": "a" } };
    await captureConsole(() => createMasterNode(inputs, fakeOpener(cluster.hosts())));
    assert.ok(
      cluster.master.commands.some((c) => c.includes("'label' 'node' 'master01' '--overwrite' 'example.com/zone=a'")),
    );
  });

  it("resets partial state (a half-done init) before running kubeadm init", async () => {
    const cluster = new FakeCluster();
    cluster.master.files.set("/etc/kubernetes/manifests/etcd.yaml", "x");
    cluster.master.files.set("/etc/kubernetes/pki/ca.crt", CA.certPem);
    const { error, lines } = await captureConsole(() => createMasterNode(initInputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    const actions = cluster.master.actions;
    assert.equal(cluster.master.resetRuns(), 1);
    assert.ok(
      actions.findIndex((c) => c.includes("return a host")) < actions.indexOf("upload /etc/kubernetes/pki/ca.crt"),
    );
    assert.ok(lines.some((l) => /\[master01\] reset: clearing leftovers .*manifests/.test(l)));
  });

  it("adopts a control plane already initialised with this CA (a re-run after an interruption)", async () => {
    const cluster = new FakeCluster().initialised();
    const { result, error } = await captureConsole(() => createMasterNode(initInputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.ok(!cluster.master.commands.some((c) => c.includes("'kubeadm' 'init'")), "no second kubeadm init");
    assert.equal(cluster.master.resetRuns(), 0);
    assert.equal(result!.outs.kubeconfig, KUBECONFIG);
    assert.equal(result!.outs.bootstrapToken, cluster.minted[0], "a fresh token is minted for the output");
    assert.ok(cluster.master.commands.some((c) => c.includes("'taint' 'node' 'master01'")));
  });

  for (const [what, answer, says] of [
    [
      "whose discovery ConfigMap is missing",
      { code: 1, stderr: 'Error from server (NotFound): configmaps "cluster-info" not found' },
      /kubeadm init did not finish on master01 \(root@10\.0\.0\.3:22\) \(no ConfigMap kube-public\/cluster-info\)/,
    ],
    [
      "whose admin kubeconfig is not yet authorised",
      {
        code: 1,
        stderr: 'Error from server (Forbidden): configmaps "cluster-info" is forbidden: User "kubernetes-admin"',
      },
      /kubeadm init did not finish .*the admin kubeconfig may not read ConfigMap kube-public\/cluster-info yet/,
    ],
  ] as const) {
    it(`resets a control plane that answers but ${what} (an init cut off after the API server came up)`, async () => {
      const cluster = new FakeCluster().initialised();
      cluster.master.on(/'kube-public' 'get' 'configmap' 'cluster-info'/, answer);
      const { error, lines } = await captureConsole(() => createMasterNode(initInputs(), fakeOpener(cluster.hosts())));
      assert.equal(error, undefined, error?.message);
      assert.ok(
        lines.some((l) => l.startsWith("warning: [master01] ") && says.test(l)),
        lines.join("\n"),
      );
      assert.equal(cluster.master.resetRuns(), 1);
      assert.ok(
        cluster.master.commands.some((c) => c.includes("'kubeadm' 'init'")),
        "kubeadm init ran again",
      );
      assert.ok(!cluster.master.commands.some((c) => c.includes("'get' 'node' 'master01'")), "no wait for the Node");
    });
  }

  it("resets and re-initialises a control plane of another cluster (different CA), with a warning", async () => {
    const cluster = new FakeCluster().initialised(OTHER_CA.certPem);
    const { error, lines } = await captureConsole(() => createMasterNode(initInputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.equal(cluster.master.resetRuns(), 1);
    assert.ok(cluster.master.commands.some((c) => c.includes("'kubeadm' 'init'")));
    assert.ok(lines.some((l) => l.startsWith("warning: ") && l.includes("another cluster")));
  });

  it("on a failed kubeadm init, resets the host and names host, step and kubeadm's error lines, masking the token", async () => {
    const cluster = new FakeCluster();
    let token = "";
    cluster.master.on(/^'kubeadm' 'init'/, (_c, host) => {
      host.files.set("/etc/kubernetes/manifests/kube-apiserver.yaml", "x");
      token = /token: "?([a-z0-9.]{23})/.exec(host.files.get(INIT_CONFIG) ?? "")?.[1] ?? "";
      return {
        code: 1,
        stdout: `[init] Using Kubernetes version: v1.35.4\n[bootstrap-token] Using token: ${token}\n`,
        stderr: [
          "[preflight] Some fatal errors occurred:",
          "\t[ERROR Port-6443]: Port 6443 is in use",
          `\t[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: token ${token} /proc/sys/net/ipv4/ip_forward contents are not set to 1`,
          "[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`",
          "error: error execution phase preflight: preflight checks failed",
          "To see the stack trace of this error execute with --v=5 or higher",
        ].join("\n"),
      };
    });
    const { error, lines } = await captureConsole(() => createMasterNode(initInputs(), fakeOpener(cluster.hosts())));
    assert.ok(error, "create fails");
    assert.match(error.message, /^kubeadm init failed on master01 \(root@10\.0\.0\.3:22\) \(exit status 1\):/);
    assert.match(error.message, /\[ERROR Port-6443\]: Port 6443 is in use/);
    assert.match(error.message, /error execution phase preflight: preflight checks failed/);
    assert.match(error.message, /The host was reset/);
    assert.ok(!error.message.includes("To see the stack trace"), "only kubeadm's error lines");
    assert.equal(cluster.master.resetRuns(), 1);
    assert.equal(cluster.master.files.has("/etc/kubernetes/manifests/kube-apiserver.yaml"), false);
    assert.ok(token.length === 23);
    assertNoSecrets([error.message, ...lines], [token]);
  });

  it("on a kubeadm init timeout, resets the host and says so", async () => {
    const cluster = new FakeCluster();
    cluster.master.on(/^'kubeadm' 'init'/, () => ({
      error: new RemoteCommandTimeoutError(
        "master01 (root@10.0.0.3:22)",
        "kubeadm init --config x",
        600,
        "[wait-control-plane] Waiting",
      ),
    }));
    const { error } = await captureConsole(() => createMasterNode(initInputs(), fakeOpener(cluster.hosts())));
    assert.match(error!.message, /^kubeadm init failed on master01 \(root@10\.0\.0\.3:22\)/);
    assert.match(error!.message, /did not finish within 600s/);
    assert.match(error!.message, /The host was reset/);
    assert.equal(cluster.master.resetRuns(), 1);
  });

  it("when the connection drops during init, says the host will be reset by the next run", async () => {
    const cluster = new FakeCluster();
    cluster.master.on(/^'kubeadm' 'init'/, () => ({
      error: new SshConnectionError("ssh master01 (root@10.0.0.3:22): connection lost", "master01", "unreachable", 1),
    }));
    const { error } = await captureConsole(() => createMasterNode(initInputs(), fakeOpener(cluster.hosts())));
    assert.match(error!.message, /could not be reset \(the connection is gone\); the next `pulumi up` resets it/);
    assert.equal(cluster.master.resetRuns(), 0);
  });

  it("fails with the host's address when kubeadm is not installed", async () => {
    const cluster = new FakeCluster();
    cluster.master.kubeadmInstalled = false;
    const { error } = await captureConsole(() => createMasterNode(initInputs(), fakeOpener(cluster.hosts())));
    assert.match(
      error!.message,
      /kubeadm init cannot run on master01 \(root@10\.0\.0\.3:22\): kubeadm is not installed/,
    );
  });

  it("fails with the address when the host is unreachable", async () => {
    const cluster = new FakeCluster();
    cluster.master.unreachable = true;
    const { error } = await captureConsole(() => createMasterNode(initInputs(), fakeOpener(cluster.hosts())));
    assert.match(error!.message, /10\.0\.0\.3:22/);
    assert.ok(error instanceof SshConnectionError);
  });
});

describe("kubeadm-init provider: delete", () => {
  it("runs the stored reset script on the control plane", async () => {
    const cluster = new FakeCluster().initialised();
    const props = initOutputs({
      resetScript: "#!/bin/sh\n# pulumi-kubeadm: return a host to the state it had before (v0)\n",
    });
    const { error } = await captureConsole(() => deleteMasterNode(props, fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.deepEqual(cluster.master.actions, [props.resetScript]);
    assert.equal(cluster.master.files.has("/etc/kubernetes/admin.conf"), false);
  });

  it("succeeds with a warning when the host is unreachable", async () => {
    const cluster = new FakeCluster();
    cluster.master.unreachable = true;
    const { error, lines } = await captureConsole(() => deleteMasterNode(initOutputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined);
    assert.ok(
      lines.some(
        (l) => l.startsWith("warning: [master01] ") && l.includes("10.0.0.3:22") && l.includes("without resetting"),
      ),
    );
  });

  it("succeeds with a warning on a host that was already reset (and still runs the cleanup)", async () => {
    const cluster = new FakeCluster();
    const { error, lines } = await captureConsole(() => deleteMasterNode(initOutputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined);
    assert.ok(lines.some((l) => l.startsWith("warning: ") && l.includes("already reset")));
    assert.equal(cluster.master.resetRuns(), 1);
  });

  it("leaves a host that now belongs to another cluster alone", async () => {
    const cluster = new FakeCluster().initialised(OTHER_CA.certPem);
    const { error, lines } = await captureConsole(() => deleteMasterNode(initOutputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined);
    assert.equal(cluster.master.resetRuns(), 0);
    assert.ok(lines.some((l) => l.includes("another cluster") && l.includes("left as it is")));
  });

  it("fails when the reset itself fails (leftovers would break the next cluster)", async () => {
    const cluster = new FakeCluster().initialised();
    cluster.master.on(/reset-node\.sh/, () => ({
      code: 1,
      stdout: "reset: FAILED: still present: /etc/kubernetes/admin.conf\n",
    }));
    const { error } = await captureConsole(() => deleteMasterNode(initOutputs(), fakeOpener(cluster.hosts())));
    assert.match(error!.message, /master01 \(root@10\.0\.0\.3:22\).*reset-node\.sh/s);
    assert.match(error!.message, /still present/);
  });
});

describe("kubeadm-init provider: read (refresh)", () => {
  it("reports the control plane gone (empty id) when the host was reset", async () => {
    const cluster = new FakeCluster();
    const { result, lines } = await captureConsole(() =>
      readMasterNode("master01", initOutputs(), fakeOpener(cluster.hosts())),
    );
    assert.equal(result!.id, "");
    assert.ok(lines.some((l) => l.startsWith("warning: ") && l.includes("admin.conf is missing")));
  });

  it("reports it gone when another cluster's CA is there", async () => {
    const cluster = new FakeCluster().initialised(OTHER_CA.certPem);
    const { result } = await captureConsole(() =>
      readMasterNode("master01", initOutputs(), fakeOpener(cluster.hosts())),
    );
    assert.equal(result!.id, "");
  });

  it("returns live settings: the kubeadm-config ConfigMap, the taint and labels, the kubeconfig", async () => {
    const cluster = new FakeCluster().initialised();
    cluster.master.files.set("/etc/kubernetes/admin.conf", "renewed kubeconfig");
    const clusterConfiguration = [
      "apiVersion: kubeadm.k8s.io/v1beta4",
      "kind: ClusterConfiguration",
      "kubernetesVersion: v1.35.4",
      "controlPlaneEndpoint: 10.0.0.3:6443",
      "imageRepository: registry.example.org/k8s",
      "networking: {podSubnet: 10.244.0.0/16, serviceSubnet: 10.96.0.0/12, dnsDomain: cluster.example}",
      "apiServer:",
      "  extraArgs: [{name: v, value: '4'}]",
      "  certSANs: [k8s.example.org]",
      "scheduler: {}",
    ].join("\n");
    cluster.master.on(/'configmap' 'kubeadm-config'/, () => ({
      stdout: JSON.stringify({ data: { ClusterConfiguration: clusterConfiguration } }),
    }));
    cluster.master.on(/'get' 'node' 'master01' '-o' 'json'/, () => ({
      stdout: JSON.stringify({
        metadata: { labels: { "example.com/zone": "b", other: "x" } },
        spec: { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] },
      }),
    }));
    const stored = initOutputs();
    stored.node = { ...stored.node, labels: { "example.com/zone": "a" } };
    stored.cluster = { ...stored.cluster, schedulableControlPlane: true };
    const { result } = await captureConsole(() => readMasterNode("master01", stored, fakeOpener(cluster.hosts())));
    const props = result!.props!;
    assert.equal(result!.id, "master01");
    assert.equal(props.kubeconfig, "renewed kubeconfig");
    assert.deepEqual(props.cluster.apiServer, { extraArgs: { v: "4" }, certSANs: ["k8s.example.org"] });
    assert.deepEqual(props.cluster.scheduler.extraArgs, {});
    assert.deepEqual(props.cluster.controllerManager, stored.cluster.controllerManager, "unstated: kept");
    assert.equal(props.cluster.schedulableControlPlane, false, "the taint is back");
    assert.deepEqual(props.node.labels, { "example.com/zone": "b" }, "only managed keys");
  });

  it("keeps the state with a warning when the host is unreachable", async () => {
    const cluster = new FakeCluster();
    cluster.master.unreachable = true;
    const stored = initOutputs();
    const { result, lines } = await captureConsole(() =>
      readMasterNode("master01", stored, fakeOpener(cluster.hosts())),
    );
    assert.deepEqual(result, { id: "master01", props: stored });
    assert.ok(lines.some((l) => l.startsWith("warning: ") && l.includes("keeps")));
  });
});
