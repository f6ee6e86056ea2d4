import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { masterNodeChanges, masterNodeDiff } from "../../providers/master-node/diff";
import type { KubeadmInitInputs, KubeadmInitOutputs } from "../../providers/master-node/inputs";
import { masterNodeUpdateTarget, updateMasterNode } from "../../providers/master-node/update";
import {
  apiserverCertificateScript,
  hasRemoteWork,
  replacingApiServer,
  updateSteps,
} from "../../providers/node/control-plane-update";
import { workerJoinDiff } from "../../providers/worker-join/diff";
import type { KubeadmJoinInputs, KubeadmJoinOutputs } from "../../providers/worker-join/inputs";
import { updateWorkerJoin } from "../../providers/worker-join/update";
import { rewriteKubeletFlags } from "../../providers/node/kubelet-flags";
import { waitForHealthyKubelet } from "../../providers/node/kubelet-health";
import { UNKNOWN_DURING_PREVIEW } from "../../providers/shared/plain-data";
import { recordingUnfinished, UnfinishedUpdateError } from "../../providers/shared/unfinished-update";
import { captureConsole, fakeOpener, FakeHost } from "./kubeadm-fakes";
import { connection, initInputs, initOutputs, joinInputs, joinOutputs, OTHER_CA } from "./kubeadm-fixtures";

type Edit<T> = (inputs: T) => void;

function initWith(edit: Edit<KubeadmInitInputs>): KubeadmInitInputs {
  const inputs = structuredClone(initInputs());
  edit(inputs);
  return inputs;
}

function joinWith(edit: Edit<KubeadmJoinInputs>): KubeadmJoinInputs {
  const inputs = structuredClone(joinInputs());
  edit(inputs);
  return inputs;
}

describe("kubeadm-init diff", () => {
  it("reports no change for the same inputs, nor for settings this resource does not use", () => {
    assert.deepEqual(masterNodeDiff(initOutputs(), initInputs()), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const unrelated = initWith((i) => {
      i.cluster.addons.flannel.backend = "host-gw";
      i.cluster.drain.force = true;
      i.cluster.joinTokenTtl = "1h";
      i.cluster.packages.kubernetesPackageVersion = "1.35.4-1.1";
    });
    assert.equal(masterNodeDiff(initOutputs(), unrelated).changes, false);
  });

  const replacing: [string, Edit<KubeadmInitInputs>][] = [
    ["cluster.podSubnet", (i) => (i.cluster.podSubnet = "10.100.0.0/16")],
    ["cluster.serviceSubnet", (i) => (i.cluster.serviceSubnet = "10.97.0.0/16")],
    ["cluster.dnsDomain", (i) => (i.cluster.dnsDomain = "cluster.local")],
    ["cluster.controlPlaneEndpoint", (i) => (i.cluster.controlPlaneEndpoint = "k8s.example.org:6443")],
    ["node.name", (i) => (i.node.name = "master02")],
    ["node.advertiseAddress", (i) => (i.node.advertiseAddress = "10.0.0.9")],
  ];
  for (const [path, edit] of replacing) {
    it(`replaces the control plane (delete first) when ${path} changes`, () => {
      const diff = masterNodeDiff(initOutputs(), initWith(edit));
      assert.deepEqual(diff, { changes: true, replaces: [path], deleteBeforeReplace: true });
    });
  }

  it("upgrades in place when cluster.kubernetesVersion changes: an update, never a new cluster", () => {
    const news = initWith((i) => (i.cluster.kubernetesVersion = "v1.36.1"));
    assert.deepEqual(masterNodeDiff(initOutputs(), news), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const changes = masterNodeChanges(initOutputs(), news);
    assert.deepEqual(changes.updates, ["cluster.kubernetesVersion"]);
    assert.equal(hasRemoteWork(changes.plan), false, "the upgrade runs no kubeadm phase of its own plan");
  });

  it("replaces when a replacing input is unknown during preview", () => {
    const diff = masterNodeDiff(
      initOutputs(),
      initWith((i) => (i.cluster.podSubnet = UNKNOWN_DURING_PREVIEW)),
    );
    assert.deepEqual(diff.replaces, ["cluster.podSubnet"]);
  });

  it("refuses another CA rather than replacing the cluster, naming the node, migrate-ca and destroy", () => {
    assert.throws(
      () =>
        masterNodeDiff(
          initOutputs(),
          initWith((i) => ((i.caCertPem = OTHER_CA.certPem), (i.caKeyPem = OTHER_CA.keyPem))),
        ),
      (error: Error) =>
        /^master01: the cluster was initialised with its CA and this would give it another CA/.test(error.message) &&
        error.message.includes("npm run migrate-ca -- <stack>") &&
        error.message.includes("`pulumi destroy`, then `pulumi up`"),
    );
  });

  it("refuses a CA still to be made (the tls resources of a program whose CA moved) already at preview", () => {
    assert.throws(
      () =>
        masterNodeDiff(
          initOutputs(),
          initWith((i) => (i.caCertPem = UNKNOWN_DURING_PREVIEW)),
        ),
      /would give it a CA that is still to be made/,
    );
  });

  const inPlace: [string, Edit<KubeadmInitInputs>, Partial<ReturnType<typeof masterNodeChanges>["plan"]>][] = [
    ["cluster.apiServer.extraArgs", (i) => (i.cluster.apiServer.extraArgs.v = "4"), { components: ["apiserver"] }],
    [
      "cluster.controllerManager.extraArgs",
      (i) => (i.cluster.controllerManager.extraArgs = {}),
      { components: ["controller-manager"] },
    ],
    ["cluster.scheduler.extraArgs", (i) => (i.cluster.scheduler.extraArgs.v = "2"), { components: ["scheduler"] }],
    [
      "cluster.apiServer.certSANs",
      (i) => i.cluster.apiServer.certSANs.push("10.9.9.9"),
      { apiserverCertificate: true },
    ],
    [
      "cluster.imageRepository",
      (i) => (i.cluster.imageRepository = "registry.aliyuncs.com/google_containers"),
      { etcdAndAddons: true, components: ["apiserver", "controller-manager", "scheduler"] },
    ],
    ["cluster.kubelet.extraArgs", (i) => (i.cluster.kubelet.extraArgs["max-pods"] = "50"), { kubelet: true }],
    ["cluster.schedulableControlPlane", (i) => (i.cluster.schedulableControlPlane = true), { taint: true }],
    ["node.labels", (i) => (i.node.labels = { zone: "a" }), { labels: true }],
  ];
  for (const [path, edit, plan] of inPlace) {
    it(`updates in place when ${path} changes`, () => {
      const news = initWith(edit);
      assert.deepEqual(masterNodeDiff(initOutputs(), news), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
      const changes = masterNodeChanges(initOutputs(), news);
      assert.deepEqual(changes.updates, [path]);
      for (const [key, value] of Object.entries(plan)) {
        assert.deepEqual(changes.plan[key as keyof typeof changes.plan], value, key);
      }
    });
  }

  it("does not depend on the order of extra args", () => {
    const olds = initOutputs();
    const news = initWith((i) => {
      i.cluster.apiServer.extraArgs = Object.fromEntries(Object.entries(i.cluster.apiServer.extraArgs).reverse());
    });
    assert.equal(masterNodeDiff(olds, news).changes, false);
  });

  for (const [what, edit] of [
    ["a rotated key", (i: KubeadmInitInputs) => (i.connection.privateKey = "another key")],
    ["another port", (i: KubeadmInitInputs) => (i.connection.port = 2222)],
    ["another user with sudo", (i: KubeadmInitInputs) => Object.assign(i.connection, { user: "kube", sudo: true })],
    ["another reset script", (i: KubeadmInitInputs) => (i.resetScript += "\n# v2\n")],
  ] as const) {
    it(`stores ${what} with an update, never a replacement`, () => {
      const news = initWith(edit);
      assert.deepEqual(masterNodeDiff(initOutputs(), news), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
      assert.deepEqual(masterNodeChanges(initOutputs(), news).updates, []);
    });
  }
});

describe("kubeadm-init update", () => {
  const steps = (edit: Edit<KubeadmInitInputs>) => {
    const news = initWith(edit);
    return updateSteps(masterNodeChanges(initOutputs(), news).plan, masterNodeUpdateTarget(initOutputs(), news));
  };
  const phase = (...args: string[]) =>
    `'kubeadm' 'init' 'phase' ${args.map((a) => `'${a}'`).join(" ")} '--config' '/etc/kubernetes/pulumi-kubeadm/init.yaml'`;

  it("re-renders only the changed component, waits for the API server, then uploads the ClusterConfiguration", () => {
    // The manifest first: putting back a flag that broke the API server must not need the API server.
    const result = steps((i) => (i.cluster.scheduler.extraArgs.v = "2"));
    assert.deepEqual(
      result.map((s) => s.step),
      ["control-plane scheduler", "wait for the API server", "upload-config kubeadm"],
    );
    assert.equal(result[0].command, phase("control-plane", "scheduler"));
    assert.ok(result[1].command.includes("'get' '--raw=/readyz'"));
    assert.ok(result[2].command.includes(phase("upload-config", "kubeadm")));
  });

  it("after rewriting the API server's manifest, waits until the kubelet has stopped the API server it replaces", async () => {
    // Otherwise the readiness wait could be answered by the old API server for a moment: an update with a flag that
    // makes the new one crash would succeed.
    assert.ok(
      steps((i) => (i.cluster.apiServer.extraArgs.v = "2"))[0].command.includes(
        replacingApiServer(phase("control-plane", "apiserver")),
      ),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-apiserver-"));
    const manifest = path.join(dir, "kube-apiserver.yaml");
    fs.writeFileSync(manifest, "old flags\n");
    const running = spawn("sleep", ["60"]);
    const exited = new Promise((resolve) => running.once("exit", resolve));
    fs.writeFileSync(path.join(dir, "pgrep"), `#!/bin/sh\n[ "$*" = "-x kube-apiserver" ] && echo ${running.pid}\n`, {
      mode: 0o755,
    });
    const run = (phaseCommand: string) =>
      new Promise<{ code: number | null; ms: number }>((resolve) => {
        const started = Date.now();
        const sh = spawn("sh", ["-c", replacingApiServer(phaseCommand, manifest)], {
          env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
        });
        sh.once("exit", (code) => resolve({ code, ms: Date.now() - started }));
      });
    try {
      const unchanged = await run(`echo 'old flags' > '${manifest}'`);
      assert.deepEqual({ code: unchanged.code, waited: unchanged.ms >= 1000 }, { code: 0, waited: false });
      const failed = await run("false");
      assert.deepEqual({ code: failed.code, waited: failed.ms >= 1000 }, { code: 1, waited: false });
      setTimeout(() => running.kill(), 1500);
      const rewritten = await run(`echo 'new flags' > '${manifest}'`);
      assert.equal(rewritten.code, 0);
      assert.ok(rewritten.ms >= 1400, `returned after ${rewritten.ms} ms, while the old API server still ran`);
    } finally {
      running.kill();
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the old settings of an update that failed part way, and runs it again whether they are put back or not", async () => {
    const flagged = initWith((i) => (i.cluster.apiServer.extraArgs["not-a-real-flag"] = "1"));
    const { updates } = masterNodeChanges(initOutputs(), flagged);
    const cause = new Error("wait for the API server failed on master01");
    const error = await recordingUnfinished("master01", initOutputs(), updates, () => Promise.reject(cause)).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The dynamic-provider host turns an error with an id and properties into a partial failure: the engine stores
    // the properties, and shows the reasons.
    assert.ok(error instanceof UnfinishedUpdateError, String(error));
    assert.equal(error.id, "master01");
    assert.deepEqual(error.reasons, [cause.message]);
    assert.deepEqual(error.properties, { ...initOutputs(), unfinished: ["cluster.apiServer.extraArgs"] });
    const stored = error.properties as unknown as KubeadmInitOutputs;
    for (const news of [initInputs(), flagged]) {
      assert.deepEqual(masterNodeDiff(stored, news), { changes: true, replaces: [], deleteBeforeReplace: false });
      assert.deepEqual(
        updateSteps(masterNodeChanges(stored, news).plan, masterNodeUpdateTarget(stored, news)).map((s) => s.step),
        ["control-plane apiserver", "wait for the API server", "upload-config kubeadm"],
      );
    }
    // With nothing to do on the host but a connection to prove, a failure stores nothing at all.
    const refused = await recordingUnfinished("master01", initOutputs(), [], () => Promise.reject(cause)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(refused, cause);
  });

  it("re-issues the API server certificate for new SANs, keeping the old pair until the phase succeeds", () => {
    const result = steps((i) => i.cluster.apiServer.certSANs.push("10.9.9.9"));
    assert.deepEqual(
      result.map((s) => s.step),
      ["certs apiserver", "upload-config kubeadm"],
    );
    const script = apiserverCertificateScript();
    assert.ok(
      script.indexOf("mv -f '/etc/kubernetes/pki/apiserver.crt'") < script.indexOf(phase("certs", "apiserver")),
    );
    assert.match(
      script,
      /else\n {2}status=\$\?\n.*mv -f '\/etc\/kubernetes\/pki\/apiserver\.crt\.pulumi-kubeadm-old'/s,
    );
  });

  it("moves every control-plane component, etcd and the add-ons to a new image repository", () => {
    const result = steps((i) => (i.cluster.imageRepository = "registry.aliyuncs.com/google_containers"));
    assert.deepEqual(
      result.map((s) => s.step),
      ["control-plane all", "etcd local", "wait for the API server", "upload-config kubeadm", "addon all"],
    );
  });

  it("uses kubeadm's kubelet-start phase for kubelet extra args", () => {
    const result = steps((i) => (i.cluster.kubelet.extraArgs["max-pods"] = "50"));
    assert.deepEqual(
      result.map((s) => s.step),
      ["kubelet-start", "wait for the kubelet", "wait for the API server"],
    );
    assert.equal(result[0].command, phase("kubelet-start"));
    assert.equal(result[1].command, waitForHealthyKubelet({ "max-pods": "50", "node-ip": "10.0.0.3" }));
  });

  it("adds or removes the control-plane taint with kubectl", () => {
    const untaint = steps((i) => (i.cluster.schedulableControlPlane = true));
    assert.deepEqual(
      untaint.map((s) => s.step),
      ["control-plane taint"],
    );
    assert.ok(
      untaint[0].command.includes("'taint' 'node' 'master01' 'node-role.kubernetes.io/control-plane:NoSchedule-'"),
    );
    const olds = initOutputs();
    olds.cluster = { ...olds.cluster, schedulableControlPlane: true };
    const news = initInputs();
    const taint = updateSteps(masterNodeChanges(olds, news).plan, masterNodeUpdateTarget(olds, news));
    assert.ok(taint[0].command.includes("'node-role.kubernetes.io/control-plane:NoSchedule' '--overwrite'"));
  });

  it("relabels: removed keys with key-, changed ones with --overwrite", () => {
    const olds = initOutputs();
    olds.node = { ...olds.node, labels: { a: "1", b: "2" } };
    const news = initWith((i) => (i.node.labels = { b: "3", c: "4" }));
    const result = updateSteps(masterNodeChanges(olds, news).plan, masterNodeUpdateTarget(olds, news));
    assert.ok(result[0].command.includes("'label' 'node' 'master01' '--overwrite' 'b=3' 'c=4' 'a-'"));
  });

  it("logs in with a new connection before storing it (so delete uses a key that works)", async () => {
    const host = new FakeHost("master01", "10.0.0.3");
    const news = initWith((i) => (i.connection = connection("10.0.0.3", { privateKey: "new key", port: 2222 })));
    const { result } = await captureConsole(() => updateMasterNode(initOutputs(), news, fakeOpener([host])));
    assert.deepEqual(
      host.runs.map((run) => run.command),
      ["true"],
    );
    assert.equal(result!.outs.connection.privateKey, "new key");
    const moved = initWith((i) => (i.connection = connection("10.0.0.99")));
    const failed = await captureConsole(() => updateMasterNode(initOutputs(), moved, fakeOpener([host])));
    assert.match(failed.error!.message, /10\.0\.0\.99.*connection refused/);
    assert.equal(result!.outs.kubeconfig, initOutputs().kubeconfig);
    assert.equal(result!.outs.bootstrapToken, initOutputs().bootstrapToken);
  });

  it("uploads the config, runs the phases, removes the config; a failed phase names host and step", async () => {
    const host = new FakeHost("master01", "10.0.0.3");
    host.files.set("/etc/kubernetes/admin.conf", "kubeconfig");
    const news = initWith((i) => (i.cluster.scheduler.extraArgs.v = "2"));
    const { error } = await captureConsole(() => updateMasterNode(initOutputs(), news, fakeOpener([host])));
    assert.equal(error, undefined, error?.message);
    // The scheduler restarts: an etcd snapshot first (tests/providers/etcd-snapshot.test.ts), then the phases.
    assert.match(host.actions[0], /snapshot save/);
    assert.equal(host.actions[1], "upload /etc/kubernetes/pulumi-kubeadm/init.yaml");
    assert.equal(host.actions.at(-1), "'rm' '-f' '--' '/etc/kubernetes/pulumi-kubeadm/init.yaml'");

    const failing = new FakeHost("master01", "10.0.0.3");
    failing.on(/'control-plane' 'scheduler'/, () => ({
      code: 1,
      stderr: "error execution phase control-plane: boom\n",
    }));
    const failed = await captureConsole(() => updateMasterNode(initOutputs(), news, fakeOpener([failing])));
    assert.match(
      failed.error!.message,
      /^control-plane scheduler failed on master01 \(root@10\.0\.0\.3:22\) \(exit status 1\):/,
    );
    assert.match(failed.error!.message, /error execution phase control-plane: boom/);
    assert.ok(failing.actions.at(-1)!.startsWith("'rm' '-f'"), "the config with the token is removed on failure too");
  });
});

describe("kubeadm-join diff", () => {
  it("reports no change for the same inputs, nor for cluster settings a worker does not use", () => {
    assert.equal(workerJoinDiff(joinOutputs(), joinInputs()).changes, false);
    assert.equal(
      workerJoinDiff(
        joinOutputs(),
        joinWith((i) => (i.cluster.podSubnet = "10.1.0.0/16")),
      ).changes,
      false,
    );
  });

  const replacing: [string, Edit<KubeadmJoinInputs>][] = [
    ["node.name", (i) => (i.node.name = "worker09")],
    ["node.advertiseAddress", (i) => (i.node.advertiseAddress = "10.0.0.44")],
    ["apiEndpoint", (i) => (i.apiEndpoint = "k8s.example.org:6443")],
    ["caCertHash", (i) => (i.caCertHash = `sha256:${"1".repeat(64)}`)],
  ];
  for (const [path, edit] of replacing) {
    it(`replaces the worker (delete first) when ${path} changes`, () => {
      assert.deepEqual(workerJoinDiff(joinOutputs(), joinWith(edit)), {
        changes: true,
        replaces: [path],
        deleteBeforeReplace: true,
      });
    });
  }

  it("replaces the workers when the control plane is replaced (its outputs are unknown in the preview)", () => {
    const news = joinWith((i) => {
      i.caCertHash = UNKNOWN_DURING_PREVIEW;
      i.apiEndpoint = UNKNOWN_DURING_PREVIEW;
    });
    assert.deepEqual(workerJoinDiff(joinOutputs(), news).replaces, ["apiEndpoint", "caCertHash"]);
  });

  for (const [what, edit] of [
    ["labels", (i: KubeadmJoinInputs) => (i.node.labels = { tier: "db" })],
    ["kubelet extra args", (i: KubeadmJoinInputs) => (i.cluster.kubelet.extraArgs = {})],
    ["the worker's key", (i: KubeadmJoinInputs) => (i.connection.privateKey = "rotated")],
    ["the control plane's connection", (i: KubeadmJoinInputs) => (i.controlPlane.connection.port = 2200)],
    ["drain settings", (i: KubeadmJoinInputs) => (i.cluster.drain = { force: true, timeoutSeconds: 10 })],
    ["the reset script", (i: KubeadmJoinInputs) => (i.resetScript = "#!/bin/sh\n")],
    ["another Kubernetes version (an upgrade)", (i: KubeadmJoinInputs) => (i.cluster.kubernetesVersion = "v1.36.1")],
  ] as const) {
    it(`updates without replacing for ${what}`, () => {
      assert.deepEqual(workerJoinDiff(joinOutputs(), joinWith(edit)), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
    });
  }
});

describe("kubeadm-join update", () => {
  it("relabels through the control plane, rewrites the kubelet flags on the worker, stores the rest", async () => {
    const master = new FakeHost("master01", "10.0.0.3");
    const worker = new FakeHost("worker01", "10.0.0.4");
    worker.files.set(
      "/var/lib/kubelet/kubeadm-flags.env",
      'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --max-pods=200 --node-ip=10.0.0.4 --v=2"\n',
    );
    const news = joinWith((i) => {
      i.node.labels = { tier: "db" };
      i.cluster.kubelet.extraArgs = { "max-pods": "50" };
      i.cluster.drain.force = true;
    });
    const { result, error } = await captureConsole(() =>
      updateWorkerJoin("worker01", joinOutputs(), news, fakeOpener([master, worker])),
    );
    assert.equal(error, undefined, error?.message);
    assert.ok(master.commands[0].includes("'label' 'node' 'worker01' '--overwrite' 'tier=db'"));
    assert.equal(
      worker.files.get("/var/lib/kubelet/kubeadm-flags.env"),
      'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --max-pods=50 --node-ip=10.0.0.4"\n',
    );
    assert.ok(worker.actions.at(-1)?.startsWith("'systemctl' 'restart' 'kubelet' || exit $?\n"));
    assert.ok(worker.actions.at(-1)?.endsWith(waitForHealthyKubelet({ "max-pods": "50", "node-ip": "10.0.0.4" })));
    assert.equal(result!.outs.cluster.drain.force, true);
    assert.equal(result!.outs.joinedAt, joinOutputs().joinedAt);
  });

  it("after a kubelet that fails on its new flags, stores the old settings and runs the update again, flags taken out", async () => {
    const flagsFile = "/var/lib/kubelet/kubeadm-flags.env";
    const original =
      'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --max-pods=200 --node-ip=10.0.0.4 --v=2"\n';
    const worker = new FakeHost("worker01", "10.0.0.4");
    worker.files.set(flagsFile, original);
    worker.on(/^'systemctl' 'restart' 'kubelet'/, {
      code: 1,
      stderr:
        'error: the kubelet did not become healthy after its restart (systemd restarted it 2 times); its last messages:\nE1206 10:00:00.000000 1 run.go:72] "command failed" err="failed to parse kubelet flag: unknown flag: --not-a-flag"\n',
    });
    const bad = joinWith((i) => (i.cluster.kubelet.extraArgs = { "not-a-flag": "1" }));
    const failed = await captureConsole(() =>
      updateWorkerJoin("worker01", joinOutputs(), bad, fakeOpener([new FakeHost("master01", "10.0.0.3"), worker])),
    );
    assert.ok(failed.error instanceof UnfinishedUpdateError, String(failed.error));
    assert.match(
      failed.error.message,
      /kubelet restart failed on worker01 .*\(exit status 1\):\n {2}error: the kubelet did not become healthy[^\n]*\n {2}E1206 .*unknown flag: --not-a-flag/,
    );
    assert.match(failed.error.message, /kubeadm-flags\.env has the new flags; `pulumi up` writes them again/);
    assert.match(worker.files.get(flagsFile) ?? "", /--not-a-flag=1/);
    // The old settings are kept (so putting the config back is still a change), the path is unfinished, and the flags
    // it wrote are remembered: they are not in the old settings, so the next rewrite could not know to take them out.
    const stored = failed.error.properties as unknown as KubeadmJoinOutputs;
    assert.deepEqual(stored.cluster, joinOutputs().cluster);
    assert.deepEqual(stored.unfinished, ["cluster.kubelet.extraArgs"]);
    assert.deepEqual(stored.kubeletFlagsTried, ["node-ip", "not-a-flag"]);
    assert.doesNotMatch(worker.files.get(flagsFile) ?? "", /--max-pods|--v=/, "the old extra args were kept");
    assert.deepEqual(workerJoinDiff(stored, joinInputs()), { changes: true, replaces: [], deleteBeforeReplace: false });

    const repaired = new FakeHost("worker01", "10.0.0.4");
    repaired.files.set(flagsFile, worker.files.get(flagsFile) as string);
    const { result, error } = await captureConsole(() =>
      updateWorkerJoin("worker01", stored, joinInputs(), fakeOpener([new FakeHost("master01", "10.0.0.3"), repaired])),
    );
    assert.equal(error, undefined, error?.message);
    assert.equal(repaired.files.get(flagsFile), original);
    assert.equal(result!.outs.unfinished, undefined);
    assert.equal(result!.outs.kubeletFlagsTried, undefined);
  });

  it("keeps kubeadm's own flags and other lines when rewriting kubeadm-flags.env", () => {
    const env = "# written by kubeadm\nKUBELET_KUBEADM_ARGS=--a=1 --b=2 --c=3\n";
    assert.equal(
      rewriteKubeletFlags(env, { b: "2" }, { c: "9", d: "4" }),
      '# written by kubeadm\nKUBELET_KUBEADM_ARGS="--a=1 --c=9 --d=4"\n',
    );
    assert.throws(() => rewriteKubeletFlags("OTHER=1\n", {}, {}), /no KUBELET_KUBEADM_ARGS/);
  });
});
