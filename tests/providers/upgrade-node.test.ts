// A node's upgrade: the stages it runs, decided from what the node and the API server show (so an interrupted upgrade
// is resumed, not repeated), the scripts it runs in a real shell against fake kubeadm, kubelet and package managers,
// and the rollout slots that keep the engine from draining every worker at once.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installKubernetesPackages } from "../../providers/node/kubernetes-packages";
import { withRolloutSlot } from "../../providers/node/rollout-slots";
import { nodeSettings } from "../../providers/node/settings";
import { liveKubernetesVersion } from "../../providers/node/live-cluster";
import {
  nodeVersionsScript,
  parseApiNode,
  parseNodeVersions,
  upgradeNode,
  upgradeStages,
  type ApiNode,
  type NodeVersions,
} from "../../providers/node/upgrade-node";
import { controlPlanesBehind, describeUpgradePart } from "../../providers/node/upgrade-rollout";
import { StepReporter } from "../../providers/shared/step-reporter";
import { SecretMasker, type RemoteSession } from "../../ssh";
import { clusterSpec, workerNode } from "../kubeadm/cluster-spec-fixture";
import { captureConsole, fakeOpener, FakeHost } from "./kubeadm-fakes";
import { connection, initInputs, joinInputs } from "./kubeadm-fixtures";
import { CP2, CP3, cpJoinInputs, cpJoinOutputs } from "./control-plane-fakes";
import { updateControlPlaneJoin } from "../../providers/control-plane-join/update";
import { kubeadmInitProvider } from "../../providers/master-node";
import { kubeadmJoinProvider } from "../../providers/worker-join";

const TARGET = "v1.35.4";
const at = (kubeadm: string, kubelet: string, apiServer = ""): NodeVersions => ({ kubeadm, kubelet, apiServer });
const api = (kubeletVersion: string, unschedulable = false, cordonedForUpgrade = false): ApiNode => ({
  kubeletVersion,
  unschedulable,
  cordonedForUpgrade,
});

describe("upgrade of a node: stages from what it shows", () => {
  const all = ["drain", "kubelet and kubectl packages", "kubelet restart", "uncordon"];
  const cases: [string, Parameters<typeof upgradeStages>, string[]][] = [
    [
      "the first control plane, untouched",
      ["first", TARGET, at("v1.34.4", "v1.34.4", "v1.34.4"), api("v1.34.4")],
      ["kubeadm package", "kubeadm upgrade plan", "kubeadm upgrade apply", ...all],
    ],
    [
      "the first control plane after `upgrade apply` (interrupted before its kubelet)",
      ["first", TARGET, at(TARGET, "v1.34.4", TARGET), api("v1.34.4", true, true)],
      all,
    ],
    [
      "a joined control plane with kubeadm moved by the host preparation",
      ["control-plane", TARGET, at(TARGET, "v1.34.4", "v1.34.4"), api("v1.34.4")],
      ["kubeadm upgrade node", ...all],
    ],
    [
      "a worker, untouched",
      ["worker", TARGET, at("v1.34.4", "v1.34.4"), api("v1.34.4")],
      ["kubeadm package", "kubeadm upgrade node", ...all],
    ],
    [
      "a worker whose new kubelet was installed but not restarted",
      ["worker", TARGET, at(TARGET, TARGET), api("v1.34.4", true, true)],
      ["kubeadm upgrade node", ...all],
    ],
    [
      "a worker left cordoned by an interrupted upgrade",
      ["worker", TARGET, at(TARGET, TARGET), api(TARGET, true, true)],
      ["uncordon"],
    ],
    [
      "a worker an administrator cordoned, already upgraded",
      ["worker", TARGET, at(TARGET, TARGET), api(TARGET, true, false)],
      [],
    ],
    ["a control plane at the target", ["first", TARGET, at(TARGET, TARGET, TARGET), api(TARGET)], []],
  ];
  for (const [what, args, stages] of cases) {
    it(what, () => assert.deepEqual(upgradeStages(...args), stages));
  }

  it("reads the API server's view of the node: kubelet, cordon and the upgrade's annotation", () => {
    assert.deepEqual(parseApiNode("v1.34.4\ntrue\nv1.35.4\n"), api("v1.34.4", true, true));
    assert.deepEqual(parseApiNode("v1.35.4\n\n\n"), api(TARGET));
  });
});

describe("upgrade of a node: scripts in a real shell", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "upgrade-node-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function tool(name: string, body: string): void {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  // Only the fakes and what they use: the machine's own apt-get must not answer for a missing one.
  const sh = (script: string) => {
    for (const used of ["dirname", "awk", "sed", "head"]) {
      const link = path.join(dir, used);
      if (!fs.existsSync(link))
        fs.symlinkSync(execFileSync("sh", ["-c", `command -v ${used}`], { encoding: "utf8" }).trim(), link);
    }
    return execFileSync("/bin/sh", ["-c", script], { env: { ...process.env, PATH: dir }, encoding: "utf8" });
  };

  it("reads kubeadm's, the kubelet's and the API server manifest's versions", () => {
    tool("kubeadm", 'echo "v1.35.4"');
    tool("kubelet", 'echo "Kubernetes v1.34.4"');
    const manifest = path.join(dir, "kube-apiserver.yaml");
    fs.writeFileSync(
      manifest,
      [
        "spec:",
        "  containers:",
        "  - command:",
        "    - kube-apiserver",
        "    image: registry.example.org:5000/k8s/kube-apiserver:v1.35.4",
        "    imagePullPolicy: IfNotPresent",
        "",
      ].join("\n"),
    );
    assert.deepEqual(parseNodeVersions(sh(nodeVersionsScript(manifest))), at("v1.35.4", "v1.34.4", "v1.35.4"));
    fs.rmSync(manifest);
    fs.rmSync(path.join(dir, "kubelet"));
    assert.deepEqual(parseNodeVersions(sh(nodeVersionsScript(manifest))), at("v1.35.4", "", ""));
  });

  it("installs the packages at the cluster's version from apt, held there", () => {
    tool("apt-get", 'echo "apt-get $*" >> "$(dirname "$0")/log"');
    tool("apt-mark", 'echo "apt-mark $*" >> "$(dirname "$0")/log"');
    sh(installKubernetesPackages(clusterSpec("v1.35.4"), ["kubelet", "kubectl"]));
    assert.deepEqual(fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n"), [
      "apt-get install -y -q --allow-change-held-packages --allow-downgrades kubelet=1.35.4-1.1 kubectl=1.35.4-1.1",
      "apt-mark hold kubelet kubectl",
    ]);
  });

  it("installs them with dnf on the RHEL family, and fails when the package manager does", () => {
    tool("dnf", 'echo "dnf $*" >> "$(dirname "$0")/log"; [ "$5" != "kubeadm-1.36.0" ]');
    sh(installKubernetesPackages(clusterSpec("1.35.4"), ["kubeadm"]));
    assert.equal(
      fs.readFileSync(path.join(dir, "log"), "utf8").trim(),
      "dnf install -y -q --disableexcludes=kubernetes kubeadm-1.35.4",
    );
    assert.throws(() => sh(installKubernetesPackages(clusterSpec("v1.36.0"), ["kubeadm"])));
  });
});

describe("upgrade: the check refuses what kubeadm cannot upgrade, before any host changes", () => {
  const withVersion = <T extends { cluster: { kubernetesVersion: string } }>(inputs: T, version: string): T => {
    const copy = structuredClone(inputs);
    copy.cluster.kubernetesVersion = version;
    return copy;
  };

  it("refuses a downgrade and a skipped minor on every kind of node, naming the setting", async () => {
    for (const [provider, inputs] of [
      [kubeadmInitProvider, initInputs()],
      [kubeadmJoinProvider, joinInputs()],
    ] as const) {
      const olds = withVersion(inputs, "v1.35.4");
      const down = await provider.check!(olds as never, withVersion(inputs, "v1.34.4") as never);
      assert.deepEqual(
        down.failures?.map((f) => f.property),
        ["cluster.kubernetesVersion"],
      );
      assert.match(down.failures![0].reason, /older than the cluster's 1\.35\.4: kubeadm cannot downgrade/);
      const skip = await provider.check!(
        withVersion(inputs, "v1.34.4") as never,
        withVersion(inputs, "v1.36.3") as never,
      );
      assert.match(skip.failures![0].reason, /skips 1\.35/);
    }
  });

  it("accepts the next minor, a later patch, the same version and a first create", async () => {
    const inputs = initInputs();
    for (const [from, to] of [
      ["v1.34.4", "v1.35.4"],
      ["v1.35.1", "v1.35.4"],
      ["v1.35.4", "v1.35.4"],
    ]) {
      const result = await kubeadmInitProvider.check!(
        withVersion(inputs, from) as never,
        withVersion(inputs, to) as never,
      );
      assert.equal(result.failures, undefined, `${from} → ${to}: ${JSON.stringify(result.failures)}`);
    }
    assert.equal((await kubeadmInitProvider.check!({} as never, inputs as never)).failures, undefined);
  });
});

describe("upgrade: a refresh reads each node's kubelet version", () => {
  it("stores the kubelet's version when it differs from the stack's, with a warning, and keeps the stack's otherwise", async () => {
    const live = (kubeletVersion?: string) => ({ labels: {}, schedulable: true, kubeletVersion });
    const { result, lines } = await captureConsole(async () => liveKubernetesVersion("w1", "1.35.4", live("v1.34.4")));
    assert.equal(result, "v1.34.4");
    assert.match(
      lines.join("\n"),
      /\[w1\] its kubelet runs v1\.34\.4, not the stack's v1\.35\.4: the next `pulumi up` moves it/,
    );
    assert.equal(liveKubernetesVersion("w1", "1.35.4", live("v1.35.4")), "1.35.4");
    assert.equal(liveKubernetesVersion("w1", "v1.35.4", live(undefined)), "v1.35.4");
    assert.equal(liveKubernetesVersion("w1", "v1.35.4", live("v1.35.4-eks-1")), "v1.35.4");
    assert.equal(liveKubernetesVersion("w1", "v1.35.4", undefined), "v1.35.4");
  });
});

describe("upgrade rollout: control planes first, then workers a few at a time", () => {
  it("names the control planes whose kubelet or API server is not at the target yet", () => {
    // A control-plane node as the cluster shows it: its kubelet, and its static Pods at `apiServer` but for those given.
    const controlPlane = (name: string, kubelet: string, apiServer: string, tags: Record<string, string> = {}) => ({
      name,
      controlPlane: true,
      ready: true,
      kubeletVersion: kubelet,
      unschedulable: false,
      staticPods: ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].map((component) => {
        const tag = tags[component] ?? apiServer;
        return { component, image: `registry:5000/k8s/${component}:${tag}`, tag };
      }),
    });
    const worker = {
      name: "w1",
      controlPlane: false,
      ready: true,
      kubeletVersion: "v1.34.4",
      unschedulable: false,
      staticPods: [],
    };
    const cluster = (...nodes: ReturnType<typeof controlPlane>[]) => ({
      apiServerVersion: TARGET,
      nodes: [...nodes, worker],
    });
    assert.deepEqual(
      controlPlanesBehind(
        cluster(controlPlane("master01", TARGET, TARGET), controlPlane("master02", "v1.34.4", TARGET)),
        TARGET,
      ),
      ["master02: kubelet v1.34.4"],
    );
    assert.deepEqual(
      controlPlanesBehind(cluster(controlPlane("master01", TARGET, TARGET, { "kube-apiserver": "v1.34.4" })), TARGET),
      ["master01: kube-apiserver v1.34.4"],
    );
    assert.deepEqual(controlPlanesBehind(cluster(controlPlane("master01", TARGET, TARGET)), TARGET), []);
  });

  it("says each node's part in words for the preview, and nothing for a version the check refuses", () => {
    assert.match(
      describeUpgradePart("first", "1.34.4", "v1.35.4") ?? "",
      /^minor upgrade v1\.34\.4 → v1\.35\.4, first of all nodes: .*etcd snapshot, `kubeadm upgrade apply`/,
    );
    assert.match(
      describeUpgradePart("control-plane", "v1.35.1", "v1.35.4") ?? "",
      /^patch upgrade .*one control plane at a time: `kubeadm upgrade node`/,
    );
    assert.match(
      describeUpgradePart("worker", "v1.34.4", "v1.35.4", 2) ?? "",
      /after every control plane, 2 workers at a time \(upgrade\.workersAtOnce\)/,
    );
    assert.equal(describeUpgradePart("worker", "v1.35.4", "v1.34.4"), undefined);
    assert.equal(describeUpgradePart("worker", "v1.34.4", "v1.36.3"), undefined);
  });

  it("runs at most `size` holders of one key at once, and the others in turn", async () => {
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const work = (n: number) => async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(n);
      running -= 1;
    };
    let waits = 0;
    await Promise.all([1, 2, 3, 4, 5].map((n) => withRolloutSlot("test-cluster workers", 2, work(n), () => waits++)));
    assert.equal(most, 2);
    assert.equal(waits, 3);
    assert.deepEqual(order.sort(), [1, 2, 3, 4, 5]);
    // Another cluster's rollout does not wait for this one's.
    await Promise.all([withRolloutSlot("a", 1, work(6)), withRolloutSlot("b", 1, work(7))]);
    assert.equal(most, 2);
  });

  it("lets the next one in when a holder fails", async () => {
    await assert.rejects(
      withRolloutSlot("failing", 1, () => Promise.reject(new Error("drain failed"))),
      /drain failed/,
    );
    assert.equal(await withRolloutSlot("failing", 1, async () => "next"), "next");
  });
});

interface FakeNodeState {
  kubeadm: string;
  kubelet: string;
  apiKubelet: string;
  /** The API server manifest's tag, "" on a worker. */
  apiServer: string;
  unschedulable: boolean;
  annotated: boolean;
}

/**
 * Wires `node` (the host being upgraded, `name`) and `kubectlOn` (where kubectl runs for it) to answer the upgrade's
 * commands as the real tools would, each command moving the node's versions on; `log` records them in order.
 */
function upgradingNode(
  name: string,
  node: FakeHost,
  kubectlOn: FakeHost,
  log: string[],
  start: Partial<FakeNodeState> = {},
): FakeNodeState {
  const state: FakeNodeState = {
    kubeadm: "v1.34.4",
    kubelet: "v1.34.4",
    apiKubelet: "v1.34.4",
    apiServer: "",
    unschedulable: false,
    annotated: false,
    ...start,
  };
  const on = (host: FakeHost, pattern: string, event: string | undefined, change: () => void = () => undefined) =>
    host.on(new RegExp(pattern), () => {
      if (event) log.push(`${name}: ${event}`);
      change();
      return {};
    });
  node.on(/^echo "kubeadm=/, () => ({
    stdout: `kubeadm=${state.kubeadm}\nkubelet=${state.kubelet}\napiserver=${state.apiServer}\n`,
  }));
  on(node, "'kubeadm=1\\.35\\.4-1\\.1'", "install kubeadm", () => (state.kubeadm = TARGET));
  on(node, "^'kubeadm' 'upgrade' 'node'", "kubeadm upgrade node", () => {
    if (state.apiServer) state.apiServer = TARGET;
  });
  on(node, "'kubelet=1\\.35\\.4-1\\.1' 'kubectl=1\\.35\\.4-1\\.1'", "install kubelet kubectl", () => {
    state.kubelet = TARGET;
  });
  on(node, "^'systemctl' 'daemon-reload'", "restart kubelet", () => (state.apiKubelet = state.kubelet));
  kubectlOn.on(
    new RegExp(`'get' 'node' '${name}' '-o=jsonpath=\\{\\.status\\.nodeInfo\\.kubeletVersion\\}\\{`),
    () => ({
      stdout: `${state.apiKubelet}\n${state.unschedulable ? "true" : ""}\n${state.annotated ? TARGET : ""}\n`,
    }),
  );
  on(kubectlOn, `'annotate' 'node' '${name}' '--overwrite'`, "cordon", () => {
    state.unschedulable = state.annotated = true;
  });
  on(kubectlOn, `'drain' '${name}'`, "drain");
  kubectlOn.on(new RegExp(`'get' 'node' '${name}' '-o=jsonpath=\\{\\.status\\.nodeInfo\\.kubeletVersion\\}'`), () =>
    state.apiKubelet === TARGET ? {} : { code: 1 },
  );
  on(kubectlOn, `'uncordon' '${name}'`, "uncordon", () => {
    state.unschedulable = state.annotated = false;
  });
  return state;
}

/** A worker and the control plane kubectl runs on, their versions changing as the upgrade's commands run. */
function fakeCluster() {
  const log: string[] = [];
  const worker = new FakeHost("worker01", "10.0.0.4");
  const master = new FakeHost("master01", "10.0.0.3");
  const state = upgradingNode("worker01", worker, master, log);
  return { state, log, worker, master };
}

async function upgradeWorkerOnFakes(worker: FakeHost, master: FakeHost) {
  const open = fakeOpener([worker, master]);
  const spec = clusterSpec(TARGET);
  return captureConsole(() =>
    open(connection("10.0.0.3"), (cp: RemoteSession) =>
      open(
        connection("10.0.0.4"),
        (node: RemoteSession) =>
          upgradeNode(
            { node, kubectlOn: cp },
            {
              role: "worker",
              cluster: spec,
              node: nodeSettings(workerNode()),
              reporter: new StepReporter("worker01"),
              masker: new SecretMasker([]),
            },
          ),
        { label: "worker01" },
      ),
    ),
  );
}

describe("upgrade of a worker on fake hosts", () => {
  it("runs kubeadm's sequence: kubeadm, upgrade node, cordon and drain, kubelet and kubectl, restart, uncordon", async () => {
    const { log, worker, master, state } = fakeCluster();
    const { error, lines } = await upgradeWorkerOnFakes(worker, master);
    assert.equal(error, undefined, error?.message);
    assert.deepEqual(log, [
      "worker01: install kubeadm",
      "worker01: kubeadm upgrade node",
      "worker01: cordon",
      "worker01: drain",
      "worker01: install kubelet kubectl",
      "worker01: restart kubelet",
      "worker01: uncordon",
    ]);
    assert.equal(state.unschedulable, false);
    assert.match(lines.join("\n"), /\[worker01\] upgrade: to v1\.35\.4: kubeadm package, kubeadm upgrade node, drain/);
  });

  it("does nothing on a worker that is done, and only uncordons one an interrupted run left cordoned", async () => {
    const done = fakeCluster();
    Object.assign(done.state, { kubeadm: TARGET, kubelet: TARGET, apiKubelet: TARGET });
    assert.equal((await upgradeWorkerOnFakes(done.worker, done.master)).error, undefined);
    assert.deepEqual(done.log, []);

    const cordoned = fakeCluster();
    Object.assign(cordoned.state, {
      kubeadm: TARGET,
      kubelet: TARGET,
      apiKubelet: TARGET,
      unschedulable: true,
      annotated: true,
    });
    assert.equal((await upgradeWorkerOnFakes(cordoned.worker, cordoned.master)).error, undefined);
    assert.deepEqual(cordoned.log, ["worker01: uncordon"]);
  });

  it("stops at a failed stage naming the node, the stage and the package manager's error, before the drain", async () => {
    const { log, worker, master } = fakeCluster();
    worker.on(/'kubeadm=1\.35\.4-1\.1'/, {
      code: 100,
      stderr: "E: Version '1.35.4-1.1' for 'kubeadm' was not found\n",
    });
    const { error } = await upgradeWorkerOnFakes(worker, master);
    assert.ok(error);
    assert.match(error.message, /upgrade: kubeadm package failed on worker01/);
    assert.match(error.message, /Version '1\.35\.4-1\.1' for 'kubeadm' was not found/);
    assert.match(error.message, /stopped at kubeadm package; nodes after it were not touched/);
    assert.deepEqual(log, []);
  });
});

describe("upgrade of joined control planes on fake hosts", () => {
  it("waits for upgrade apply's configuration, then upgrades them one at a time though the engine runs both at once", async () => {
    const log: string[] = [];
    const hosts = [CP2, CP3].map((cp) => new FakeHost(cp.name, cp.advertiseAddress));
    for (const host of hosts) {
      upgradingNode(host.name, host, host, log, { kubeadm: TARGET, apiServer: "v1.34.4" });
      host.on(/'configmap' 'kubeadm-config'/, () => ({ stdout: `kubernetesVersion: ${TARGET}\nnetworking: {}\n` }));
    }
    const from = (cp: typeof CP2) => {
      const olds = cpJoinOutputs(cp);
      olds.cluster = { ...olds.cluster, kubernetesVersion: "v1.34.4" };
      return olds;
    };
    const open = fakeOpener(hosts);
    const { error } = await captureConsole(() =>
      Promise.all([CP2, CP3].map((cp) => updateControlPlaneJoin(from(cp), cpJoinInputs(cp), open))),
    );
    assert.equal(error, undefined, error?.message);
    const stages = [
      "kubeadm upgrade node",
      "cordon",
      "drain",
      "install kubelet kubectl",
      "restart kubelet",
      "uncordon",
    ];
    const first = log[0].split(":")[0];
    const second = first === "cp2" ? "cp3" : "cp2";
    assert.deepEqual(log, [...stages.map((s) => `${first}: ${s}`), ...stages.map((s) => `${second}: ${s}`)]);
  });
});
