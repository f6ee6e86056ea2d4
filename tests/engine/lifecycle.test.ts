// The seed's workflow in Pulumi terms, on real nodes (lab/README.md, "Real nodes": real systemd, containerd,
// kubelet and kubeadm on each host) with the real engine: preview, the first up, a no-change up, removing a
// worker, adding it back, destroy. Each step is checked from the hosts' side as well: who logged in (sshd's
// log), which kubelet runs, what the cluster's API says, and whether a host is as clean as before the first up.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LabStack } from "../support/lab-stack";
import { difference } from "../support/snapshot-difference";
import { pinnedDeployment } from "../support/workloads";
import { labDir } from "../../lab/names";
import { pinnedVersions, toolCache } from "../../tools/paths";

const CONTROL_PLANE = "cp1";
const HOSTS = [
  { name: CONTROL_PLANE, distro: "ubuntu" as const },
  { name: "w1", distro: "rocky" as const },
  { name: "w2", distro: "ubuntu" as const },
  { name: "w3", distro: "rocky" as const },
];
const WORKERS = ["w1", "w2", "w3"];
const POD_SUBNET = "10.244.0.0/16";

describe("cluster lifecycle on real nodes (real engine, real sshd, real kubeadm)", function () {
  this.timeout(1_800_000);
  let lab: LabStack;
  const clean = new Map<string, string>();

  const kubectl = (args: string, input?: string) => lab.kubectl(args, { input, timeoutMs: 180_000 });

  /** The main PID systemd has for a unit on a host (0 when it is not running). */
  async function mainPid(host: string, unit: string): Promise<number> {
    return Number((await lab.lab.run(host, `systemctl show ${unit} -p MainPID --value`)).trim());
  }

  /** Per host: its kubelet's and containerd's PIDs, so a step that restarted them shows. */
  async function runtimePids(hosts: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const host of hosts)
      out[host] = `kubelet ${await mainPid(host, "kubelet")}, containerd ${await mainPid(host, "containerd")}`;
    return out;
  }

  async function readyNodes(): Promise<string[]> {
    const nodes = JSON.parse(await kubectl("get nodes -o json")) as {
      items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
    };
    return nodes.items
      .filter((n) => n.status.conditions.some((c) => c.type === "Ready" && c.status === "True"))
      .map((n) => n.metadata.name)
      .sort();
  }

  before(async () => {
    lab = await LabStack.start({
      lab: "lifecycle",
      hosts: HOSTS,
      // Every host line in the output: kubectl drain's (checked below) and all of them looked through for secrets.
      everyHostLine: true,
      config: { podSubnet: POD_SUBNET, addons: { flannel: { enabled: true, backend: "vxlan" } } },
    });
    for (const host of HOSTS) clean.set(host.name, await lab.snapshot(host.name));
    lab.declareHosts([CONTROL_PLANE], WORKERS);
  });

  // PK_TEST_OUTPUT_DIR=<dir> keeps each case's engine output there, and the kubelets' journals of a failed one.
  let outputFrom = 0;
  beforeEach(() => {
    outputFrom = lab?.output.length ?? 0;
  });
  afterEach(async function () {
    const dir = process.env.PK_TEST_OUTPUT_DIR;
    if (!dir || !lab) return;
    const title = (this.currentTest?.title ?? "case").slice(0, 40);
    let text = lab.output.slice(outputFrom);
    if (this.currentTest?.state === "failed") {
      for (const host of HOSTS) {
        const journal = await lab.lab.exec(host.name, "journalctl -u kubelet -u containerd --no-pager | tail -n 80");
        text += `\n--- ${host.name}: kubelet and containerd ---\n${journal.stdout}`;
      }
    }
    fs.writeFileSync(path.join(dir, `lifecycle-${title}.log`), text);
  });

  after(async () => {
    await lab?.stop();
  });

  it("previews every resource without contacting any host", async () => {
    const result = await lab.preview();
    // Per host: 7 preparation steps (+1 image pull on the control plane); the CA, the init, 3 joins,
    // and the components around them.
    assert.ok((result.changeSummary.create ?? 0) >= 4 * 7 + 1 + 1 + 1 + 3, JSON.stringify(result.changeSummary));
    for (const host of HOSTS) {
      assert.equal(lab.logins(host.name), 0, `${host.name} was contacted during preview`);
      const changed = difference(clean.get(host.name), await lab.snapshot(host.name));
      assert.deepEqual({ host: host.name, ...changed }, { host: host.name, added: [], removed: [] });
    }
  });

  it("builds one control plane and three workers, every node Ready on its real kubelet", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await lab.nodeNames(), [CONTROL_PLANE, ...WORKERS].sort());
    assert.deepEqual(await readyNodes(), [CONTROL_PLANE, ...WORKERS].sort());
    const kubeconfig = (result.outputs.kubeconfig?.value as string) ?? "";
    assert.ok(result.outputs.kubeconfig?.secret, "the kubeconfig output must be a secret");
    assert.match(kubeconfig, new RegExp(`server: https://${lab.lab.host(CONTROL_PLANE).address}:6443`));
    // The output works as it is, from this machine (the lab's addresses are routed from it).
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pk-lifecycle-")), "kubeconfig");
    fs.writeFileSync(file, kubeconfig, { mode: 0o600 });
    try {
      const kubectlBin = path.join(toolCache(), `kubernetes-v${pinnedVersions().KUBERNETES_VERSION}`, "bin", "kubectl");
      const nodes = execFileSync(kubectlBin, ["--kubeconfig", file, "get", "nodes", "-o", "name"], {
        encoding: "utf8",
        env: { ...process.env, HOME: path.dirname(file) },
      });
      assert.deepEqual(nodes.trim().split("\n").sort(), [CONTROL_PLANE, ...WORKERS].map((n) => `node/${n}`).sort());
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
    // Every worker bootstrapped its kubelet with a token of its own, deleted once its join was over.
    const joined = await lab.kubeletBootstraps();
    assert.deepEqual(joined.map((b) => b.node).sort(), [...WORKERS].sort(), JSON.stringify(joined));
    assert.equal(new Set(joined.map((b) => b.tokenId)).size, WORKERS.length, JSON.stringify(joined));
    const left = await lab.bootstrapTokenIds();
    for (const { node, tokenId } of joined) assert.ok(!left.includes(tokenId), `${node}'s join token was kept`);
  });

  it("keeps secrets out of the state, the engine's output and the hosts' logs", async () => {
    const outputs = await lab.stack.outputs();
    const kubeconfig = outputs.kubeconfig.value as string;
    const clientKey = /client-key-data: (\S+)/.exec(kubeconfig)?.[1];
    assert.ok(clientKey, "kubeconfig has a client key");
    const sshKey = fs.readFileSync(lab.lab.inventory.privateKeyPath, "utf8");
    const sshKeyBody = sshKey.split("\n").filter((line) => line && !line.startsWith("-----"));
    // The CLI's own export (the Automation API's exportStack decrypts secrets).
    const state = lab.project.cli(["stack", "export", "--stack", "lab"]);
    const caKey = /"(keyPem|caKeyPem|privateKeyPem|privateKeyPemPkcs8|privateKeyOpenssh)":\s*"([^"]+)"/.exec(
      state,
    )?.[0];
    assert.equal(caKey, undefined, "the CA key must be stored encrypted, not in plain text");
    // The secrets only the decrypted state shows: the CA's key and the token kubeadm init was given.
    const decrypted = JSON.parse(lab.project.cli(["stack", "export", "--show-secrets", "--stack", "lab"])) as {
      deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] };
    };
    const output = (type: RegExp, key: string) => {
      const resource = decrypted.deployment.resources.find((r) => type.test(r.type) && r.outputs?.[key] !== undefined);
      const value = resource?.outputs?.[key] as string | { plaintext: string } | undefined;
      return typeof value === "object" ? (JSON.parse(value.plaintext) as string) : (value ?? "");
    };
    const caKeyPem = output(/:PrivateKey$/, "privateKeyPem");
    const initToken = output(/:KubeadmInit$/, "bootstrapToken");
    assert.ok(caKeyPem.includes("PRIVATE KEY"), "the decrypted state has the CA key");
    assert.ok(initToken, "the decrypted state has the init's bootstrap token");
    // The CA key really is the cluster's, on the control plane only.
    assert.equal(
      (await lab.lab.run(CONTROL_PLANE, "cat /etc/kubernetes/pki/ca.key")).trim(),
      caKeyPem.trim(),
      "the cluster's CA key is not the one in the state",
    );

    // What the hosts logged: sshd's log, the journal (sshd, systemd, containerd, the kubelet...) and /var/log.
    const hostLogs: string[] = [];
    for (const host of HOSTS) {
      const sshdLog = path.join(labDir(lab.lab.name), "hosts", host.name, "sshd.log");
      if (fs.existsSync(sshdLog)) hostLogs.push(fs.readFileSync(sshdLog, "utf8"));
      hostLogs.push(
        await lab.lab.run(
          host.name,
          "journalctl --no-pager -o cat 2>/dev/null; find /var/log -type f ! -path '/var/log/journal/*' -exec cat {} + 2>/dev/null; true",
          { timeoutMs: 120_000 },
        ),
      );
    }
    assert.match(hostLogs.join("\n"), /Started kubelet|kubelet\.service/, "the hosts' journals were read");

    const secrets = {
      "the kubeconfig's client key": clientKey,
      "the SSH private key": sshKeyBody.slice(1, 3).join(""),
      "the CA key": caKeyPem.split("\n")[1],
      "the init's bootstrap token": initToken,
    };
    for (const [where, text] of [
      ["stack export", state],
      ["engine output", lab.output],
      ["host logs", hostLogs.join("\n")],
    ] as const) {
      const flat = text.replace(/\\n|\n/g, "");
      for (const [what, secret] of Object.entries(secrets)) {
        assert.ok(!flat.includes(secret), `${what} appears in the ${where}`);
      }
    }
    // kubeadm prints the tokens it makes (init's join command, token create); whatever the hosts printed, the
    // engine output must not carry any in full.
    assert.doesNotMatch(lab.output, /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/, "a bootstrap token appears in the engine output");
  });

  it("changes nothing on a second up, without logging in to any host", async () => {
    const logins = HOSTS.map((host) => lab.logins(host.name));
    const pids = await runtimePids(HOSTS.map((h) => h.name));
    const result = await lab.up();
    const changes = Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
    assert.deepEqual(changes, []);
    assert.deepEqual(
      HOSTS.map((host) => lab.logins(host.name)),
      logins,
    );
    assert.deepEqual(await runtimePids(HOSTS.map((h) => h.name)), pids);
  });

  it("drains, deletes and resets a removed worker, and only it", async () => {
    // A workload that can only run on w2: the drain must evict it.
    await kubectl("apply -f -", pinnedDeployment("pinned", "w2"));
    await kubectl("rollout status deployment/pinned --timeout=180s");
    const untouched = ["w1", "w3"];
    const logins = untouched.map((name) => lab.logins(name));
    const pids = await runtimePids(untouched);
    lab.declareHosts([CONTROL_PLANE], untouched);
    const from = lab.output.length;
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    // kubectl drain's own lines, as the user saw them: cordoned, the Pod evicted, drained.
    const output = lab.output.slice(from);
    assert.match(output, /\[w2\] drain: .*node\/w2 cordoned/);
    assert.match(output, /\[w2\] drain: .*evicting pod default\/pinned-/);
    assert.match(output, /\[w2\] drain: .*node\/w2 drained/);
    assert.deepEqual(await lab.nodeNames(), [CONTROL_PLANE, ...untouched].sort());
    const pinned = await kubectl("get pods -l app=pinned -o jsonpath={.items[*].status.phase}");
    assert.equal(pinned.trim(), "Pending", "the evicted Pod has nowhere else to run");
    assert.deepEqual(
      untouched.map((name) => lab.logins(name)),
      logins,
    );
    assert.deepEqual(await runtimePids(untouched), pids);
    // Reset and unprepared: nothing of Kubernetes runs on w2, and its files, links and units are as before.
    const running = await lab.lab.exec("w2", "pgrep -l 'kubelet|containerd|flanneld|kube-proxy'");
    assert.equal(running.stdout.trim(), "", "processes left running on w2");
    assert.deepEqual(difference(clean.get("w2"), await lab.snapshot("w2")), { added: [], removed: [] });
  });

  it("joins a worker added back with a token of its own, touching no other worker", async () => {
    const others = ["w1", "w3"];
    const logins = others.map((name) => lab.logins(name));
    const pids = await runtimePids(others);
    const before = await lab.kubeletBootstraps();
    lab.declareHosts([CONTROL_PLANE], WORKERS);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await lab.nodeNames(), [CONTROL_PLANE, ...WORKERS].sort());
    // The pinned workload runs on it again, in a real container.
    await kubectl("rollout status deployment/pinned --timeout=180s");
    const node = await kubectl(
      "get pods -l app=pinned --field-selector status.phase=Running -o jsonpath={.items[*].spec.nodeName}",
    );
    assert.equal(node.trim(), "w2");
    assert.deepEqual(await readyNodes(), [CONTROL_PLANE, ...WORKERS].sort());
    assert.deepEqual(
      others.map((name) => lab.logins(name)),
      logins,
    );
    assert.deepEqual(await runtimePids(others), pids);
    // One more bootstrap, w2's, with a token no earlier join used; that token is gone again.
    const added = (await lab.kubeletBootstraps()).slice(before.length);
    assert.deepEqual(
      added.map((b) => b.node),
      ["w2"],
    );
    assert.ok(!before.some((b) => b.tokenId === added[0].tokenId), "w2 joined with a token used before");
    assert.ok(!(await lab.bootstrapTokenIds()).includes(added[0].tokenId), "w2's join token was kept");
  });

  it("leaves every host as clean as before the first up on destroy", async () => {
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    for (const host of HOSTS) {
      const running = await lab.lab.exec(host.name, "pgrep -l 'kubelet|containerd|etcd|kube-'");
      assert.equal(running.stdout.trim(), "", `processes left running on ${host.name}`);
      const rules = await lab.lab.run(host.name, "iptables-save; ip6tables-save 2>/dev/null || true");
      assert.doesNotMatch(rules, /KUBE-|FLANNEL|CNI-/, `${host.name} keeps rules`);
      const left = difference(clean.get(host.name), await lab.snapshot(host.name));
      assert.deepEqual({ host: host.name, ...left }, { host: host.name, added: [], removed: [] });
    }
  });
});
