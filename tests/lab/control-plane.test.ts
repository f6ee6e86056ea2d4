// The real Kubernetes control plane on a lab host (lab/README.md, "Real control plane"): the real kubeadm writes
// certificates, kubeconfigs and static Pod manifests on cp1; lab/doubles/lib/kube/static-pods.js runs etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler from those manifests inside cp1; the real kubeadm's
// API phases then run against that API server, and kwok, with each node's own kubelet credentials and from each
// node's own host, plays the kubelets: the real kubectl sees Ready Nodes, rolled-out Deployments and DaemonSets,
// drains a node. Stopping leaves no process behind.
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startLab, type Lab } from "../../lab";
import { controlPlaneTools, kubeadmBinary } from "../../tools/paths";
import { leftovers, snapshot, type MachineSnapshot } from "./leftovers";

const LAB = "ctlplane";
const VERSION = "v1.35.4";
const PODS = "node /lab/doubles/lib/kube/static-pods.js";
const KWOK = "node /lab/doubles/lib/kube/kwok.js";
const KUBEADM = "/lab/tools/kubeadm";
const KUBECTL = "/lab/tools/kubectl --kubeconfig /etc/kubernetes/admin.conf";
const CONTROL_PLANE = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

/** What a kubelet registers about its node (kubelet's initial node status): kwok then keeps it Ready. */
function nodeObject(name: string, address: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" },
    },
    status: {
      addresses: [
        { type: "InternalIP", address },
        { type: "Hostname", address: name },
      ],
      capacity: { cpu: "2", memory: "4012Mi", pods: "110" },
      allocatable: { cpu: "2", memory: "3910Mi", pods: "110" },
      nodeInfo: {
        kubeletVersion: VERSION,
        containerRuntimeVersion: "containerd://1.7.28",
        operatingSystem: "linux",
        architecture: "amd64",
        kernelVersion: "6.8.0-lab",
        osImage: "lab",
        machineID: "",
        systemUUID: "",
        bootID: "",
        kubeProxyVersion: "",
      },
    },
  });
}

describe("lab: the real control plane on a lab host", function () {
  this.timeout(240_000);
  let lab: Lab | undefined;
  let machineBefore: MachineSnapshot;
  let cp1 = "";
  let w1 = "";

  const run = (host: string, command: string, input?: string): Promise<string> =>
    lab!.run(host, command, { input, timeoutMs: 120_000 });

  /** Polls `check` (true, or what it saw instead) until it holds; fails with the last thing seen. */
  async function until(what: string, check: () => Promise<true | string>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = await check();
      if (seen === true) return;
      if (Date.now() > deadline) assert.fail(`${what}: not after ${timeoutMs / 1000}s; last seen: ${seen}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** An anonymous HTTPS GET from a host, as kubeadm join's discovery does it (the host's curl is a double). */
  async function anonymousGet(host: string, url: string): Promise<unknown> {
    const script = `require("https").get(${JSON.stringify(url)}, { rejectUnauthorized: false }, (r) => { let b = ""; r.on("data", (d) => (b += d)).on("end", () => process.stdout.write(b)); }).on("error", (e) => { console.error(e.message); process.exit(1); });`;
    return JSON.parse(await run(host, `node -e '${script}'`));
  }

  /** Commands of the host's processes (its own PID namespace: only what runs on that host). */
  async function processes(host: string): Promise<string[]> {
    const out = await run(host, 'for p in /proc/[0-9]*; do tr "\\0" " " <"$p/cmdline" 2>/dev/null; echo; done');
    return out.split("\n").filter(Boolean);
  }

  before(async function () {
    for (const binary of [kubeadmBinary(), ...controlPlaneTools().map((t) => t.source)]) {
      if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run tools/setup`);
    }
    machineBefore = snapshot();
    lab = await startLab({
      name: LAB,
      hosts: [
        { name: "cp1", distro: "ubuntu" },
        { name: "w1", distro: "rocky" },
      ],
    });
    cp1 = lab.inventory.hosts.find((h) => h.name === "cp1")!.address;
    w1 = lab.inventory.hosts.find((h) => h.name === "w1")!.address;
  });

  after(async function () {
    await lab?.stop();
    assert.deepEqual(leftovers(LAB, machineBefore), []);
  });

  it("runs the real kubeadm's offline phases, then etcd and the control plane from its manifests", async function () {
    const config = [
      "apiVersion: kubeadm.k8s.io/v1beta4",
      "kind: InitConfiguration",
      "localAPIEndpoint:",
      `  advertiseAddress: ${cp1}`,
      "  bindPort: 6443",
      "nodeRegistration:",
      "  name: cp1",
      "  criSocket: unix:///var/run/containerd/containerd.sock",
      "---",
      "apiVersion: kubeadm.k8s.io/v1beta4",
      "kind: ClusterConfiguration",
      `kubernetesVersion: ${VERSION}`,
      "networking:",
      "  podSubnet: 10.244.0.0/16",
      "",
    ].join("\n");
    await run("cp1", "mkdir -p /root && cat >/root/kubeadm.yaml", config);
    for (const phase of ["certs all", "kubeconfig all", "etcd local", "control-plane all"]) {
      await run("cp1", `${KUBEADM} init phase ${phase} --config /root/kubeadm.yaml`);
    }

    const started = await run("cp1", `${PODS} start`);
    for (const name of CONTROL_PLANE) assert.match(started, new RegExp(`^${name}: started \\(pid \\d+\\)$`, "m"));
    await run("cp1", `${PODS} wait --timeout 90`);
    // The same manifests again: nothing restarts.
    const again = await run("cp1", `${PODS} start`);
    for (const name of CONTROL_PLANE) assert.match(again, new RegExp(`^${name}: running`, "m"));

    // A container that dies is started again, as the kubelet does (the supervisor's back-off starts at 1 s).
    const scheduler = async (): Promise<string | undefined> =>
      (await processes("cp1")).find((p) => p.startsWith("/lab/tools/kube-scheduler "));
    const pidOf = async (binary: string): Promise<number> =>
      Number(
        (
          await run(
            "cp1",
            `for p in /proc/[0-9]*; do if [ "$(readlink $p/exe)" = ${binary} ]; then echo \${p#/proc/}; fi; done`,
          )
        ).trim(),
      );
    const before = await pidOf("/lab/tools/kube-scheduler");
    assert.ok(before > 0, String(await scheduler()));
    await run("cp1", `kill -KILL ${before}`);
    await until("kube-scheduler is restarted", async () => {
      const now = await pidOf("/lab/tools/kube-scheduler");
      return now > 0 && now !== before ? true : `pid ${now}`;
    });
    assert.match(
      await run("cp1", "cat /var/log/lab/static-pods/kube-scheduler.log"),
      /kube-scheduler exited with status 137; restarting in 1s/,
    );
    await run("cp1", `${PODS} wait --timeout 60 kube-scheduler`);

    // The processes are the manifests' command lines, run from the lab's tools, inside cp1 only.
    const procs = await processes("cp1");
    const apiserver = procs.find((p) => p.startsWith("/lab/tools/kube-apiserver "));
    assert.ok(apiserver, procs.join("\n"));
    assert.match(apiserver, new RegExp(`--advertise-address=${cp1.replace(/\./g, "\\.")} `));
    assert.match(apiserver, /--client-ca-file=\/etc\/kubernetes\/pki\/ca\.crt /);
    assert.ok(procs.some((p) => p.startsWith("/lab/tools/etcd --advertise-client-urls=")));
    assert.equal((await processes("w1")).filter((p) => p.includes("/lab/tools/")).length, 0);

    // Listening where the manifests say: the API on the lab address (reached from the other host), etcd on both.
    const version = (await anonymousGet("w1", `https://${cp1}:6443/version`)) as { gitVersion: string };
    assert.equal(version.gitVersion, VERSION);
    const listening = await run("cp1", "cat /proc/net/tcp");
    // 2379 = 0x094B: 127.0.0.1 (0100007F) and the lab address, both LISTEN (0A).
    assert.match(listening, /: 0100007F:094B 00000000:0000 0A /);
    const hexAddress = cp1
      .split(".")
      .map((o) => Number(o).toString(16).padStart(2, "0").toUpperCase())
      .reverse()
      .join("");
    assert.match(listening, new RegExp(`: ${hexAddress}:094B 00000000:0000 0A `));
  });

  it("runs the real kubeadm's phases that need the API server", async function () {
    // kwok's reads beyond a kubelet's rights, granted with the credentials kubeadm itself uses before
    // admin.conf's binding exists.
    await run("cp1", `${KWOK} grant --kubeconfig /etc/kubernetes/super-admin.conf`);
    // The kubelet registers its Node with kubelet.conf (system:node:cp1) while kubeadm waits for the control
    // plane; mark-control-plane needs it.
    await run(
      "cp1",
      "/lab/tools/kubectl --kubeconfig /etc/kubernetes/kubelet.conf create -f -",
      nodeObject("cp1", cp1),
    );
    await run("cp1", `${KWOK} start --kubeconfig /etc/kubernetes/kubelet.conf --node cp1 --node-ip ${cp1}`);

    await run("cp1", `${KUBEADM} init phase upload-config all --config /root/kubeadm.yaml`);
    const certs = await run("cp1", `${KUBEADM} init phase upload-certs --upload-certs --config /root/kubeadm.yaml`);
    assert.match(certs, /\[upload-certs\] Using certificate key:\n[0-9a-f]{64}/);
    await run("cp1", `${KUBEADM} init phase mark-control-plane --config /root/kubeadm.yaml`);
    await run("cp1", `${KUBEADM} init phase bootstrap-token --config /root/kubeadm.yaml`);
    await run("cp1", `${KUBEADM} init phase addon all --config /root/kubeadm.yaml`);

    const cm = JSON.parse(await run("cp1", `${KUBECTL} -n kube-system get configmap kubeadm-config -o json`));
    assert.match(cm.data.ClusterConfiguration, /kubernetesVersion: v1\.35\.4/);
    assert.ok(JSON.parse(await run("cp1", `${KUBECTL} -n kube-system get secret kubeadm-certs -o json`)).data);
    const node = JSON.parse(await run("cp1", `${KUBECTL} get node cp1 -o json`));
    assert.ok("node-role.kubernetes.io/control-plane" in node.metadata.labels);
    assert.ok(
      node.spec.taints.some(
        (t: { key: string; effect: string }) =>
          t.key === "node-role.kubernetes.io/control-plane" && t.effect === "NoSchedule",
      ),
      JSON.stringify(node.spec.taints),
    );
    // Bootstrap-token discovery data: the real controller-manager's bootstrap signer signs cluster-info per token.
    // upload-certs' token (no usages) owns the kubeadm-certs Secret; bootstrap-token's is the one for joins.
    const tokens = (await run("cp1", `${KUBEADM} token list -o jsonpath='{.token} {.usages}{"\\n"}'`))
      .trim()
      .split("\n");
    assert.equal(tokens.length, 2, tokens.join("\n"));
    const joinToken = tokens.find((t) => t.includes("signing"));
    assert.ok(joinToken, tokens.join("\n"));
    const tokenId = joinToken.split(".")[0];
    let info: { data?: Record<string, string> } = {};
    await until(`cluster-info signed for token ${tokenId}`, async () => {
      // As kubeadm join's discovery reads it: anonymously, from the other host.
      const url = `https://${cp1}:6443/api/v1/namespaces/kube-public/configmaps/cluster-info`;
      info = (await anonymousGet("w1", url)) as typeof info;
      return info.data?.[`jws-kubeconfig-${tokenId}`] ? true : JSON.stringify(info);
    });
    assert.match(info.data!.kubeconfig, new RegExp(`server: https://${cp1.replace(/\./g, "\\.")}:6443`));
  });

  it("keeps nodes Ready and runs Pods on them through kwok, from each node's host with its own credentials", async function () {
    // w1's kubelet credentials, as its TLS bootstrap would leave them (a client certificate for system:node:w1).
    const kubeconfig = await run(
      "cp1",
      `${KUBEADM} kubeconfig user --client-name system:node:w1 --org system:nodes --config /root/kubeadm.yaml`,
    );
    await run("w1", "mkdir -p /etc/kubernetes && cat >/etc/kubernetes/kubelet.conf", kubeconfig);
    await run("w1", "/lab/tools/kubectl --kubeconfig /etc/kubernetes/kubelet.conf create -f -", nodeObject("w1", w1));
    await run("w1", `${KWOK} start --kubeconfig /etc/kubernetes/kubelet.conf --node w1 --node-ip ${w1}`);

    await run("cp1", `${KUBECTL} wait --for=condition=Ready node/cp1 node/w1 --timeout=60s`);
    // Heartbeats on the nodes' Leases, which the node lifecycle controller reads; it has lifted the not-ready
    // taint it put on cp1 while cp1 was not Ready.
    const lease = JSON.parse(await run("cp1", `${KUBECTL} -n kube-node-lease get lease w1 -o json`));
    assert.ok(Date.now() - Date.parse(lease.spec.renewTime) < 60_000, lease.spec.renewTime);
    await until("cp1 has only the control-plane taint", async () => {
      const taints = JSON.parse(await run("cp1", `${KUBECTL} get node cp1 -o jsonpath='{.spec.taints}'`));
      const keys = taints.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`).join(",");
      return keys === "node-role.kubernetes.io/control-plane:NoSchedule" ? true : keys;
    });

    // kubeadm's add-ons roll out: CoreDNS (a Deployment) and kube-proxy (a DaemonSet, one Pod per node).
    await run("cp1", `${KUBECTL} -n kube-system rollout status deployment/coredns --timeout=60s`);
    await run("cp1", `${KUBECTL} -n kube-system rollout status daemonset/kube-proxy --timeout=60s`);
    const proxies = JSON.parse(await run("cp1", `${KUBECTL} -n kube-system get pods -l k8s-app=kube-proxy -o json`));
    assert.deepEqual(proxies.items.map((p: { spec: { nodeName: string } }) => p.spec.nodeName).sort(), ["cp1", "w1"]);

    // A workload lands on the only untainted node, with a Pod IP from the node's Pod CIDR (controller-manager).
    await run("cp1", `${KUBECTL} create deployment web --image=registry.k8s.io/pause:3.10.1 --replicas=2`);
    await run("cp1", `${KUBECTL} rollout status deployment/web --timeout=60s`);
    const web = JSON.parse(await run("cp1", `${KUBECTL} get pods -l app=web -o json`));
    const podCidr = JSON.parse(await run("cp1", `${KUBECTL} get node w1 -o json`)).spec.podCIDR as string;
    assert.match(podCidr, /^10\.244\.\d+\.0\/24$/);
    const prefix = podCidr.split(".").slice(0, 3).join(".") + ".";
    assert.equal(web.items.length, 2);
    for (const pod of web.items) {
      assert.equal(pod.spec.nodeName, "w1");
      assert.equal(pod.status.phase, "Running");
      assert.ok(pod.status.podIP.startsWith(prefix), `${pod.status.podIP} not in ${podCidr}`);
    }

    // kubectl drain evicts through the real API (the Pods' deletion is finished by w1's kwok); nowhere else to go.
    await run("cp1", `${KUBECTL} drain w1 --ignore-daemonsets --delete-emptydir-data --timeout=60s`);
    // The ReplicaSet replaces them; with cp1 tainted and w1 cordoned they stay unscheduled.
    await until("the web Pods are replaced and Pending", async () => {
      const pods = JSON.parse(await run("cp1", `${KUBECTL} get pods -l app=web -o json`));
      const phases = pods.items.map((p: { status: { phase: string } }) => p.status.phase);
      return phases.length === 2 && phases.every((phase: string) => phase === "Pending") ? true : phases.join(",");
    });
  });

  it("stops every process of the control plane and of kwok", async function () {
    // The "kubelets" first, as kubeadm reset stops the kubelet before it removes the control plane's containers.
    assert.equal((await run("w1", `${KWOK} stop`)).trim(), "kwok: stopped");
    assert.equal((await run("cp1", `${KWOK} stop`)).trim(), "kwok: stopped");
    // Gracefully (SIGTERM), etcd last: kube-apiserver's shutdown still writes to it.
    const stopped = await run("cp1", `${PODS} stop kube-apiserver kube-controller-manager kube-scheduler`);
    assert.equal(stopped, "kube-apiserver: stopped\nkube-controller-manager: stopped\nkube-scheduler: stopped\n");
    assert.equal(await run("cp1", `${PODS} stop`), "etcd: stopped\n");
    assert.equal(await run("cp1", `${PODS} stop`), "");
    const killed = await lab!.exec("cp1", "grep -l SIGKILL /var/log/lab/static-pods/*.log");
    assert.equal(killed.stdout, "", "a component did not stop on SIGTERM within its grace period");
    for (const host of ["cp1", "w1"]) {
      const left = (await processes(host)).filter((p) => /\/lab\/tools\/|supervise\.sh/.test(p));
      assert.deepEqual(left, [], `${host}: ${left.join("\n")}`);
    }
    const status = await run("cp1", `${PODS} status`);
    for (const name of CONTROL_PLANE) assert.match(status, new RegExp(`^${name}\\tstopped$`, "m"));
    const refused = await lab!.exec("cp1", `${KUBECTL} get nodes`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /connection to the server .*:6443 was refused/);
  });
});

// What the runner reads of a manifest, and what it refuses to run rather than run differently (no lab needed).
describe("lab: static Pod manifests for the real control plane", function () {
  const pods = require("../../lab/doubles/lib/kube/static-pods.js");
  let tmp = "";
  const saved: Record<string, string | undefined> = {};
  for (const key of ["LAB_ROOT", "LAB_MANIFESTS", "LAB_RUN", "LAB_LOG"]) saved[key] = process.env[key];

  const manifest = (extra: { image?: string; mountPath?: string } = {}): string =>
    [
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      "  annotations:",
      '    note: "a \\"quoted\\" value\\twith a tab"',
      "  name: kube-scheduler",
      "  namespace: kube-system",
      "spec:",
      "  containers:",
      "  - command:",
      "    - kube-scheduler",
      "    - '--kubeconfig=/etc/kubernetes/scheduler.conf'",
      "    - --leader-elect=true",
      "    - a long plain value that the emitter",
      "      folded onto a second line",
      `    image: ${extra.image ?? `registry.k8s.io/kube-scheduler:${VERSION}`}`,
      "    name: kube-scheduler",
      "    ports:",
      "    - containerPort: 10259",
      "      name: probe-port",
      "      protocol: TCP",
      "    readinessProbe:",
      "      httpGet:",
      "        host: 127.0.0.1",
      "        path: /readyz",
      "        port: probe-port",
      "        scheme: HTTPS",
      "    resources: {}",
      "    volumeMounts:",
      `    - mountPath: ${extra.mountPath ?? "/etc/kubernetes/scheduler.conf"}`,
      "      name: kubeconfig",
      "      readOnly: true",
      "  hostNetwork: true",
      "  volumes:",
      "  - hostPath:",
      "      path: /etc/kubernetes/scheduler.conf",
      "      type: FileOrCreate",
      "    name: kubeconfig",
      "status: {}",
      "",
    ].join("\n");

  before(function () {
    const scheduler = controlPlaneTools().find((t) => t.name === "kube-scheduler")!.source;
    if (!fs.existsSync(scheduler)) throw new Error(`${scheduler} is missing: run tools/setup`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "static-pods-"));
    fs.mkdirSync(path.join(tmp, "tools"));
    fs.mkdirSync(path.join(tmp, "manifests"));
    fs.symlinkSync(scheduler, path.join(tmp, "tools", "kube-scheduler"));
    process.env.LAB_ROOT = tmp;
    process.env.LAB_MANIFESTS = path.join(tmp, "manifests");
    process.env.LAB_RUN = path.join(tmp, "run");
    process.env.LAB_LOG = path.join(tmp, "log");
  });

  after(function () {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("reads kubeadm's YAML: quoted and folded scalars, sequences at their key's indentation, flow empties", function () {
    const pod = pods.parseYaml(manifest());
    assert.equal(pod.metadata.annotations.note, 'a "quoted" value\twith a tab');
    assert.deepEqual(pod.spec.containers[0].command, [
      "kube-scheduler",
      "--kubeconfig=/etc/kubernetes/scheduler.conf",
      "--leader-elect=true",
      "a long plain value that the emitter folded onto a second line",
    ]);
    assert.equal(pod.spec.containers[0].ports[0].containerPort, 10259);
    assert.deepEqual(pod.spec.containers[0].resources, {});
    assert.equal(pod.spec.hostNetwork, true);
    assert.deepEqual(pod.status, {});
  });

  it("runs the image's binary from the lab's tools with the manifest's arguments", function () {
    fs.writeFileSync(path.join(tmp, "manifests", "kube-scheduler.yaml"), manifest());
    const [m] = pods.readManifests();
    const spec = pods.processSpec(m);
    assert.equal(spec.binary, path.join(tmp, "tools", "kube-scheduler"));
    assert.equal(spec.argv[0], "--kubeconfig=/etc/kubernetes/scheduler.conf");
    assert.deepEqual(spec.hostPaths, [
      { volume: "kubeconfig", path: "/etc/kubernetes/scheduler.conf", type: "FileOrCreate" },
    ]);
  });

  it("refuses an image version it has no binary of, and a hostPath mounted elsewhere", function () {
    fs.writeFileSync(
      path.join(tmp, "manifests", "kube-scheduler.yaml"),
      manifest({ image: "registry.k8s.io/kube-scheduler:v1.35.3" }),
    );
    assert.throws(
      () => pods.processSpec(pods.readManifests()[0]),
      /asks for version 1\.35\.3, the lab's .* is 1\.35\.4/,
    );
    fs.writeFileSync(path.join(tmp, "manifests", "kube-scheduler.yaml"), manifest({ mountPath: "/conf" }));
    assert.throws(
      () => pods.processSpec(pods.readManifests()[0]),
      /mounts \/etc\/kubernetes\/scheduler\.conf at \/conf/,
    );
  });

  it("reports each Pod it cannot run, without running anything for it", function () {
    fs.rmSync(path.join(tmp, "manifests", "kube-scheduler.yaml"));
    // kube-vip's manifest, say: arguments for the image's entrypoint, no command.
    const noCommand = manifest({ image: "ghcr.io/kube-vip/kube-vip:v1.0.1" })
      .replace("  name: kube-scheduler\n", "  name: kube-vip\n")
      .replace("  - command:\n", "  - args:\n");
    fs.writeFileSync(path.join(tmp, "manifests", "kube-vip.yaml"), noCommand);
    fs.writeFileSync(path.join(tmp, "manifests", "broken.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: [\n");
    const results = pods.start();
    assert.deepEqual(
      results.map((r: { name: string; action: string }) => `${r.name}: ${r.action}`),
      ["broken: error", "kube-vip: error"],
    );
    assert.match(results[1].error, /container kube-scheduler has no command/);
    assert.deepEqual(pods.supervisedNames(path.join(tmp, "run", "static-pods")), []);
  });

  it("runs a Pod once when two starts race, as the kubelet's loop and kubeadm's wait do", async function () {
    for (const f of fs.readdirSync(path.join(tmp, "manifests"))) fs.rmSync(path.join(tmp, "manifests", f));
    // no hostPath: nothing is prepared on this machine; the container exits at once and is restarted
    const racer = [
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      "  name: racer",
      "  namespace: kube-system",
      "spec:",
      "  containers:",
      "  - command:",
      "    - kube-scheduler",
      "    - --version",
      `    image: registry.k8s.io/kube-scheduler:${VERSION}`,
      "    name: racer",
      "  hostNetwork: true",
      "",
    ].join("\n");
    fs.writeFileSync(path.join(tmp, "manifests", "racer.yaml"), racer);
    const script = `process.stdout.write(require(${JSON.stringify(require.resolve("../../lab/doubles/lib/kube/static-pods.js"))}).start().map((r) => r.action).join())`;
    const startOnce = () =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ["-e", script], { env: process.env }, (error, stdout) =>
          error ? reject(error) : resolve(stdout),
        ),
      );
    try {
      const actions = (await Promise.all([startOnce(), startOnce(), startOnce()])).sort();
      assert.deepEqual(actions, ["running", "running", "started"]);
      assert.deepEqual(pods.supervisedNames(path.join(tmp, "run", "static-pods")), ["racer"]);
    } finally {
      pods.stop([], { graceSeconds: 0 });
    }
    assert.deepEqual(pods.supervisedNames(path.join(tmp, "run", "static-pods")), []);
  });
});
