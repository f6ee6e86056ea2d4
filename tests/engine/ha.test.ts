// Several control-plane nodes behind one endpoint, on real nodes of the lab (lab/README.md, "Real nodes") with the
// real engine: the lab's load balancer stands in for the user's own in front of port 6443 of the control-plane
// hosts, and every host runs the real systemd, containerd, kubelet and kubeadm, with etcd and the API servers as
// static Pods. Three control-plane nodes and a worker are built at the previous Kubernetes minor and upgraded in
// place (kubeadm upgrade apply, then upgrade node one control plane at a time) while a client polls the endpoint;
// one control-plane node is removed (the real
// `kubeadm reset` removes its etcd member; two members keep working); kubeadm's token discovery refuses wrong,
// unknown and expired tokens and an unpinned CA on the host that left; a fourth control-plane node is added once
// every token and uploaded certificate of the cluster has expired (the product uploads the certificates again);
// removing a member whose peers could not keep a quorum is refused before anything is touched; a rebooted
// control-plane host brings its etcd member and API server back; destroy resets every host. Secrets (certificate
// keys, tokens) appear nowhere in the engine's output, the stack export, the hosts' logs or any command line.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { createHash, createPublicKey } from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { labDir } from "../../lab/names";
import { labKubernetesVersions } from "../../lab/stack-config";
import { kubeadmBinary, pinnedVersions } from "../../tools/paths";
import { LabStack } from "../support/lab-stack";
import { difference } from "../support/snapshot-difference";
import { sleep } from "../support/engine";
import type { EngineEvent } from "@pulumi/pulumi/automation";

const { previous: FROM, pinned: TO } = labKubernetesVersions();
const CONTROL_PLANE = ["cp1", "cp2", "cp3"];
const WORKERS = ["w1"];
const LATER = "cp4";
const HOSTS = [
  { name: "cp1", distro: "ubuntu" as const },
  { name: "cp2", distro: "rocky" as const },
  { name: "cp3", distro: "ubuntu" as const },
  { name: LATER, distro: "rocky" as const },
  { name: "w1", distro: "ubuntu" as const },
];
const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];
const ETCDCTL =
  "etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt " +
  "--cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key";
/** kubeadm's description of the bootstrap token that owns each upload of the kubeadm-certs Secret (2 h TTL). */
const CERTS_TOKEN = "Proxy for managing TTL for the kubeadm-certs secret";
/** Every command line each host ran, sampled while the test runs (outside what a snapshot compares). */
const COMMAND_LINES = "/var/log/ha-test-command-lines";
/** What a join writes first once discovery has passed: none may exist after a refused one. */
const JOIN_FILES = [
  "/etc/kubernetes/pki/ca.crt",
  "/etc/kubernetes/bootstrap-kubelet.conf",
  "/etc/kubernetes/kubelet.conf",
];
const IDENTITY = /^error: error execution phase preflight: couldn't validate the identity of the API Server: /m;
/** A bootstrap token (id.secret); the placeholder the init provider renders with during preview is no token. */
const TOKEN = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g;
/** 64 hex characters (a certificate key's form) that are not an image digest ("sha256:...") or the checkpoint's "magic". */
const HEX64 = /(?<!sha256:|"magic": ")(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/g;

interface Member {
  name?: string;
  isLearner?: boolean;
}

/** crictl exec with a filter names the container it chose on a line of its own before the command's output. */
const jsonOf = (out: string) => out.slice(out.search(/^[[{]/m));
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const escaped = (text: string) => text.replace(/\./g, "\\.");

interface Answer {
  /** Seconds since the epoch. */
  at: number;
  ready: boolean;
  /** The HTTP status, or why there was none. */
  status: string;
}

/**
 * The longest time a target went without a ready answer, from the first sample to the last: for one API server, its
 * longest restart; for the endpoint, the longest a client saw it down.
 */
function longestOutage(answers: Answer[]): { seconds: number; from: number; to: number } {
  let longest = { seconds: 0, from: 0, to: 0 };
  let lastReady = answers[0]?.at ?? 0;
  const consider = (to: number) => {
    if (to - lastReady > longest.seconds) longest = { seconds: to - lastReady, from: lastReady, to };
  };
  for (const answer of answers) {
    if (!answer.ready) continue;
    consider(answer.at);
    lastReady = answer.at;
  }
  consider(answers[answers.length - 1]?.at ?? lastReady);
  return longest;
}

describe("HA control plane on real nodes (real engine, load balancer as the endpoint)", function () {
  this.timeout(1_200_000);
  let lab: LabStack;
  let caHash = "";
  const clean = new Map<string, string>();

  const kubectl = (args: string, host = "cp1") =>
    lab.lab.run(host, `kubectl --cache-dir /tmp/kubectl-cache --kubeconfig /etc/kubernetes/admin.conf ${args}`, {
      timeoutMs: 120_000,
    });

  /** etcd's members, as the real etcdctl in the etcd container of `host` lists them. */
  async function etcdMembers(host = "cp1"): Promise<Member[]> {
    const out = await lab.lab.run(host, `crictl exec --name '^etcd$' --state running ${ETCDCTL} member list -w json`, {
      timeoutMs: 60_000,
    });
    return (JSON.parse(jsonOf(out)) as { members: Member[] }).members;
  }

  /** The voting members' names, sorted; every member must have started (a learner or an unnamed one fails). */
  async function voters(host = "cp1"): Promise<string[]> {
    const members = await etcdMembers(host);
    assert.ok(
      members.every((m) => m.name && !m.isLearner),
      `every member started and voting: ${JSON.stringify(members)}`,
    );
    return members.map((m) => m.name as string).sort();
  }

  /** Asks one control-plane node's own API server (not the endpoint) whether it is ready, its etcd included. */
  async function readyAt(host: string): Promise<boolean> {
    const address = lab.lab.host(host).address;
    const result = await lab.lab.exec(
      host,
      `kubectl --cache-dir /tmp/kubectl-cache --kubeconfig /etc/kubernetes/admin.conf --server https://${address}:6443 get --raw='/readyz?verbose'`,
      { timeoutMs: 60_000 },
    );
    return result.code === 0 && /\[\+\]etcd ok/.test(result.stdout) && /readyz check passed/.test(result.stdout);
  }

  async function waitUntil(what: string, seconds: number, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!(await probe())) {
      assert.ok(Date.now() < deadline, `${what} within ${seconds}s`);
      await sleep(2000);
    }
  }

  /**
   * A client outside the cluster (this machine, which reaches the lab's addresses) asks /readyz four times a second of
   * the endpoint and of each control-plane node's own API server, each target in a loop of its own so that one that
   * hangs does not slow the others' samples. /readyz includes the API server's etcd; anonymous clients may read it.
   */
  function startPolling(targets: Record<string, string>): () => Promise<Record<string, Answer[]>> {
    let polling = true;
    const answers: Record<string, Answer[]> = {};
    const ask = (address: string) =>
      new Promise<string>((resolve) => {
        const [host, port] = address.split(":");
        const request = https.get(
          { host, port: Number(port), path: "/readyz", rejectUnauthorized: false, agent: false, timeout: 2000 },
          (response) => {
            response.resume();
            resolve(String(response.statusCode));
          },
        );
        request.on("timeout", () => request.destroy(new Error("timeout")));
        request.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      });
    const loops = Object.entries(targets).map(async ([name, address]) => {
      answers[name] = [];
      while (polling) {
        const status = await ask(address);
        answers[name].push({ at: Date.now() / 1000, ready: status === "200", status });
        await sleep(250);
      }
    });
    return async () => {
      polling = false;
      await Promise.all(loops);
      return answers;
    };
  }

  /** The bootstrap tokens of the cluster (id and description), from their Secrets. */
  async function bootstrapTokens(): Promise<{ id: string; description: string }[]> {
    const list = JSON.parse(
      await kubectl("-n kube-system get secrets --field-selector type=bootstrap.kubernetes.io/token -o json"),
    ) as { items: { data: Record<string, string> }[] };
    const decode = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString();
    return list.items.map((s) => ({ id: decode(s.data["token-id"]), description: decode(s.data.description) }));
  }

  async function kubeadmCertsSecret(): Promise<boolean> {
    const r = await lab.lab.exec(
      "cp1",
      "kubectl --cache-dir /tmp/kubectl-cache --kubeconfig /etc/kubernetes/admin.conf -n kube-system get secret kubeadm-certs -o name",
    );
    if (r.code === 0) return true;
    assert.match(r.stderr, /NotFound/);
    return false;
  }

  /** Records every command line the host runs (`ps` four times a second), into a file that survives reboots. */
  async function sampleCommandLines(host: string): Promise<void> {
    const loop = `while :; do ps -e -ww -o args=; sleep 0.25; done | awk '!seen[$0]++ { print; fflush() }' >>${COMMAND_LINES}`;
    await lab.lab.run(host, `setsid sh -c ${quote(loop)} </dev/null >/dev/null 2>&1 &`);
  }

  /** The command lines sampled on a host, without containerd's, its shims' and runc's (they name container IDs). */
  async function commandLines(host: string): Promise<string[]> {
    const out = await lab.lab.run(host, `cat ${COMMAND_LINES} 2>/dev/null || true`);
    return out.split("\n").filter((line) => line && !/^(\S*\/)?(containerd|containerd-shim\S*|runc)( |$)/.test(line));
  }

  /**
   * What a host logged: its journal, /var/log (the sampled command lines included) and its sshd's log. `runtime`
   * is what containerd and the kubelet logged and the containers' logs: they name containers and sandboxes by IDs
   * of 64 hex characters, a certificate key's form, so only tokens are looked for there.
   */
  async function hostLogs(host: string): Promise<{ runtime: string; rest: string }> {
    const runtimeUnits = new Set(["containerd.service", "kubelet.service"]);
    const marker = "#### lab test marker";
    const out = await lab.lab.run(
      host,
      "journalctl --no-pager -o json --output-fields=_SYSTEMD_UNIT,MESSAGE 2>/dev/null; " +
        `echo '${marker}'; ` +
        "find /var/log -type f ! -path '/var/log/journal/*' ! -path '/var/log/pods/*' -exec cat {} + 2>/dev/null; " +
        `echo '${marker}'; find /var/log/pods -type f -exec cat {} + 2>/dev/null; true`,
      { timeoutMs: 120_000 },
    );
    const [journal, files, pods] = out.split(`${marker}\n`);
    const runtime: string[] = [pods ?? ""];
    const rest: string[] = [files ?? ""];
    for (const line of journal.split("\n")) {
      if (line === "") continue;
      const entry = JSON.parse(line) as { _SYSTEMD_UNIT?: string; MESSAGE?: string | number[] | null };
      const message = Array.isArray(entry.MESSAGE) ? Buffer.from(entry.MESSAGE).toString() : (entry.MESSAGE ?? "");
      (runtimeUnits.has(entry._SYSTEMD_UNIT ?? "") ? runtime : rest).push(message);
    }
    const sshd = path.join(labDir(lab.lab.name), "hosts", host, "sshd.log");
    if (fs.existsSync(sshd)) rest.push(fs.readFileSync(sshd, "utf8"));
    return { runtime: runtime.join("\n"), rest: rest.join("\n") };
  }

  /**
   * Containers' and sandboxes' IDs where systemd and others log about them: in unit names, their cgroups
   * ("cri-containerd-<id>.scope") and mounts ("run-containerd-...-sandboxes-<id>-shm.mount"), and in the runtime's
   * task paths ("/run/containerd/io.containerd.runtime.v2.task/k8s.io/<sandbox>/<container>.pid").
   */
  function containerIds(text: string): Set<string> {
    const units = /-([0-9a-f]{64})(?:-[\w\\]+)*\.(?:scope|mount)\b/g;
    const taskPaths = /\/k8s\.io\/([0-9a-f]{64})(?:\/([0-9a-f]{64}))?/g;
    return new Set([
      ...[...text.matchAll(units)].map((m) => m[1]),
      ...[...text.matchAll(taskPaths)].flatMap((m) => [m[1], m[2]]).filter((id): id is string => id !== undefined),
    ]);
  }

  function assertNoTokens(where: string, text: string): void {
    const tokens = [...text.matchAll(TOKEN)].map((m) => m[0]).filter((t) => t !== "abcdef.0123456789abcdef");
    assert.deepEqual(tokens, [], `a bootstrap token appears in the ${where}`);
  }

  function assertNoSecrets(where: string, text: string, ids = new Set<string>()): void {
    assertNoTokens(where, text);
    const keys = [...text.matchAll(HEX64)].filter((m) => !ids.has(m[0]));
    const context = keys.slice(0, 3).map((m) => text.slice(Math.max(0, (m.index ?? 0) - 120), (m.index ?? 0) + 70));
    assert.deepEqual(context, [], `a certificate key appears in the ${where}`);
  }

  /** No container task left on a host; if there is, what runs there and what the product logged for it. */
  async function assertNoContainers(host: string, productLog: string): Promise<void> {
    const tasks = "/run/containerd/io.containerd.runtime.v2.task/k8s.io";
    const left = await lab.lab.run(host, `ls ${tasks} 2>/dev/null || true`);
    if (left.trim() === "") return;
    const processes = await lab.lab.run(host, "ps -eo pid,ppid,lstart,args -ww | grep -v ' ps -eo' || true");
    const states = await lab.lab.run(
      host,
      `for t in ${tasks}/*; do echo "$t"; cat "$t/config.json" 2>/dev/null | head -c 600; echo; done`,
    );
    assert.fail(
      `${host} still runs containers:\n${left}\n${processes}\n${states}\n--- what the product logged for ${host}:\n` +
        productLog.split("\n").slice(-150).join("\n"),
    );
  }

  /** No secret in a host's command lines; `crictl exec <container ID>` (the etcd snapshot's) names an ID, not a key. */
  async function assertNoSecretsInCommandLines(host: string, ids?: Set<string>): Promise<void> {
    ids ??= containerIds((await hostLogs(host)).rest);
    assertNoSecrets(`command lines of ${host}`, (await commandLines(host)).join("\n"), ids);
  }

  /**
   * kubeadm join with the real kubeadm, copied to /tmp on a host that is not in the cluster, as an admin would. The
   * host has no container runtime or kubelet any more: its checks are made warnings. kubeadm waits for a token's
   * signature to appear in cluster-info until its discovery timeout (5 min by default): 20 s here.
   */
  async function join(host: string, token: string, hash = caHash): Promise<{ code: number; stderr: string }> {
    const config = [
      "apiVersion: kubeadm.k8s.io/v1beta4",
      "kind: JoinConfiguration",
      "discovery:",
      "  bootstrapToken:",
      `    apiServerEndpoint: "${lab.lab.loadBalancerEndpoint()}"`,
      `    token: "${token}"`,
      `    caCertHashes: ["${hash}"]`,
      "nodeRegistration:",
      "  ignorePreflightErrors: [all]",
      "timeouts:",
      "  discovery: 20s",
      "",
    ].join("\n");
    await lab.lab.run(host, "umask 077 && cat >/tmp/join.yaml", { input: config });
    const r = await lab.lab.exec(host, "/tmp/kubeadm join --config /tmp/join.yaml --v=1", { timeoutMs: 120_000 });
    await lab.lab.run(host, "rm -f /tmp/join.yaml");
    return { code: r.code, stderr: r.stderr };
  }

  async function clusterInfoSignatures(): Promise<string[]> {
    const cm = JSON.parse(await kubectl("-n kube-public get configmap cluster-info -o json"));
    return Object.keys(cm.data).filter((k) => k.startsWith("jws-kubeconfig-"));
  }

  async function assertNothingJoined(host: string): Promise<void> {
    for (const file of JOIN_FILES) {
      const r = await lab.lab.exec(host, `test -e ${file}`);
      assert.notEqual(r.code, 0, `${file} exists after a refused join`);
    }
    assert.ok(!(await lab.nodeNames()).includes(host));
    assert.deepEqual(difference(clean.get(host), await lab.snapshot(host)), { added: [], removed: [] });
  }

  before(async () => {
    lab = await LabStack.start({
      lab: "ha",
      hosts: HOSTS,
      loadBalancer: [...CONTROL_PLANE, LATER],
      kubernetesVersion: FROM,
      config: (l) => ({
        controlPlaneEndpoint: l.loadBalancerEndpoint(),
        podSubnet: "10.244.0.0/16",
        addons: { flannel: { enabled: true, backend: "vxlan" } },
      }),
      // The secrets check reads every line the hosts printed, not one a second.
      everyHostLine: true,
    });
    for (const host of HOSTS) clean.set(host.name, await lab.snapshot(host.name));
    for (const host of HOSTS) await sampleCommandLines(host.name);
    lab.declareHosts(CONTROL_PLANE, WORKERS);
  });

  after(async () => {
    await lab?.stop();
  });

  it("builds three control-plane nodes and a worker behind the endpoint, each with its own etcd member", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await lab.nodeNames(), [...CONTROL_PLANE, ...WORKERS].sort());
    assert.deepEqual(await voters(), CONTROL_PLANE);
    const roles = await kubectl("get nodes -l node-role.kubernetes.io/control-plane -o name");
    assert.deepEqual(
      roles.trim().split("\n").sort(),
      CONTROL_PLANE.map((n) => `node/${n}`),
    );
    const nodes = JSON.parse(await kubectl("get nodes -o json")) as {
      items: {
        metadata: { name: string };
        spec: { taints?: { key: string; effect: string }[] };
        status: { conditions: { type: string; status: string }[] };
      }[];
    };
    for (const node of nodes.items) {
      const ready = node.status.conditions.find((c) => c.type === "Ready");
      assert.equal(ready?.status, "True", `${node.metadata.name}: ${JSON.stringify(node.status.conditions)}`);
      const taints = (node.spec.taints ?? []).map((t) => `${t.key}:${t.effect}`);
      assert.deepEqual(
        taints,
        CONTROL_PLANE.includes(node.metadata.name) ? ["node-role.kubernetes.io/control-plane:NoSchedule"] : [],
      );
    }
    // Each control-plane node runs the control plane as static Pods (their mirror Pods Running), and its own API
    // server answers from its own etcd member.
    const pods = JSON.parse(await kubectl("-n kube-system get pods -o json")) as {
      items: { metadata: { name: string }; status: { phase: string } }[];
    };
    for (const host of CONTROL_PLANE) {
      for (const component of COMPONENTS) {
        const pod = pods.items.find((p) => p.metadata.name === `${component}-${host}`);
        assert.equal(pod?.status.phase, "Running", `${component}-${host}`);
      }
      assert.ok(await readyAt(host), `${host}'s API server answers with its etcd`);
    }

    const kubeconfig = (result.outputs.kubeconfig?.value as string) ?? "";
    const endpoint = lab.lab.loadBalancerEndpoint().replace(/\./g, "\\.");
    assert.ok(result.outputs.kubeconfig?.secret, "the kubeconfig output is a secret");
    assert.match(kubeconfig, new RegExp(`server: https://${endpoint}\\n`));
    assert.equal(result.outputs.apiEndpoint?.value, lab.lab.loadBalancerEndpoint());
    for (const worker of WORKERS) {
      const conf = await lab.lab.run(worker, "cat /etc/kubernetes/kubelet.conf");
      assert.match(conf, new RegExp(`server: https://${endpoint}`), `${worker}'s kubelet uses the endpoint`);
    }
    // The first node initialised with --upload-certs; the others joined with a JoinConfiguration of their own.
    assert.ok((await commandLines("cp1")).some((l) => /\bkubeadm init --config \S+ --upload-certs$/.test(l)));
    for (const host of ["cp2", "cp3"]) {
      assert.ok(
        (await commandLines(host)).some((l) => /\bkubeadm join --config \S+$/.test(l)),
        host,
      );
    }
    // Each control-plane join uploaded the certificates again, on an answering control-plane node, under a key of
    // its own: kubeadm makes a 2-hour token own each upload (init's and the two joins'). The Secret itself is
    // deleted once each join is over.
    assert.equal((await bootstrapTokens()).filter((t) => t.description === CERTS_TOKEN).length, 3);
    assert.equal(await kubeadmCertsSecret(), false, "the kubeadm-certs Secret is gone after the joins");
    for (const host of ["cp2", "cp3"]) {
      assert.match(lab.output, new RegExp(`\\[${host}\\] upload-certs: on cp[12], encrypted with a certificate key`));
    }
  });

  it(`upgrades to ${TO} in place, one control plane at a time, the endpoint answering throughout`, async () => {
    await kubectl("create configmap kept-across-the-upgrade --from-literal=answer=42");
    await lab.setKubernetesVersion(TO);
    const planned: string[] = [];
    await lab.preview({
      onEvent: (event: EngineEvent) => {
        const step = event.resourcePreEvent?.metadata;
        const kind = /pulumi-kubeadm:(KubeadmInit|KubeadmControlPlaneJoin|KubeadmJoin)$/.exec(step?.type ?? "")?.[1];
        if (step && kind) planned.push(`${step.op} ${kind}`);
      },
    });
    assert.deepEqual(planned.sort(), [
      "update KubeadmControlPlaneJoin",
      "update KubeadmControlPlaneJoin",
      "update KubeadmInit",
      "update KubeadmJoin",
    ]);

    const targets: Record<string, string> = { endpoint: lab.lab.loadBalancerEndpoint() };
    for (const host of CONTROL_PLANE) targets[host] = `${lab.lab.host(host).address}:6443`;
    const stopPolling = startPolling(targets);
    const from = lab.output.length;
    let answers: Record<string, Answer[]> = {};
    const result = await lab.up().finally(async () => {
      answers = await stopPolling();
    });
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-4000));
    assert.equal(result.summary.resourceChanges?.replace ?? 0, 0);

    const versions = JSON.parse(await kubectl("get nodes -o json")) as {
      items: {
        metadata: { name: string };
        spec: { unschedulable?: boolean };
        status: { nodeInfo: { kubeletVersion: string } };
      }[];
    };
    for (const node of versions.items) {
      assert.equal(node.status.nodeInfo.kubeletVersion, TO, node.metadata.name);
      assert.notEqual(node.spec.unschedulable, true, `${node.metadata.name} was left cordoned`);
    }
    const pods = JSON.parse(await kubectl("-n kube-system get pods -o json")) as {
      items: { metadata: { name: string }; spec: { containers: { image: string }[] } }[];
    };
    for (const host of CONTROL_PLANE) {
      for (const component of COMPONENTS) {
        const image = pods.items.find((p) => p.metadata.name === `${component}-${host}`)?.spec.containers[0].image;
        const tag = component === "etcd" ? `${pinnedVersions().ETCD_VERSION}-0` : TO;
        assert.equal(image?.replace(/^.*\//, ""), `${component}:${tag}`, `${component}-${host}`);
      }
    }
    assert.deepEqual(await voters(), CONTROL_PLANE);
    assert.equal(await kubectl("get configmap kept-across-the-upgrade -o jsonpath={.data.answer}"), "42");

    // kubeadm's order: upgrade apply on the first, then upgrade node on the others, one whole node at a time.
    const log = lab.output.slice(from).split("\n");
    const lineOf = (pattern: RegExp) => log.findIndex((line) => pattern.test(line));
    const spans = CONTROL_PLANE.map((host) => ({
      host,
      first: lineOf(new RegExp(`\\[${host}\\] upgrade: to ${escaped(TO)}`)),
      last: lineOf(new RegExp(`\\[${host}\\] upgrade: ${host} is at ${escaped(TO)}`)),
    })).sort((a, b) => a.first - b.first);
    const upgradeLines = log.filter((line) => / upgrade/.test(line)).join("\n");
    for (const span of spans) assert.ok(span.first >= 0 && span.last > span.first, `${span.host}:\n${upgradeLines}`);
    assert.equal(spans[0].host, "cp1");
    assert.match(upgradeLines, /\[cp1\] upgrade: kubeadm upgrade apply/);
    for (const host of ["cp2", "cp3"])
      assert.match(upgradeLines, new RegExp(`\\[${host}\\] upgrade: kubeadm upgrade node`));
    for (let i = 1; i < spans.length; i++) {
      assert.ok(
        spans[i - 1].last < spans[i].first,
        `${spans[i - 1].host}'s upgrade overlaps ${spans[i].host}'s:\n${upgradeLines}`,
      );
    }

    // A snapshot on each control plane before its part, as the outputs report it.
    const snapshots = (await lab.stack.outputs()).etcdSnapshots.value as Record<
      string,
      { path: string; sha256: string }
    >;
    assert.deepEqual(Object.keys(snapshots).sort(), CONTROL_PLANE);
    for (const host of CONTROL_PLANE) {
      const sum = (await lab.lab.run(host, `sha256sum ${snapshots[host].path}`)).split(/\s+/)[0];
      assert.equal(`sha256:${sum}`, snapshots[host].sha256, host);
    }

    // Each API server really restarted (its own address went unanswered for a while, one node after the other);
    // through the endpoint, no client saw a gap as long as any one of those restarts.
    const outages = CONTROL_PLANE.map((host) => ({ host, ...longestOutage(answers[host]) }));
    const endpoint = longestOutage(answers.endpoint);
    const statuses = Object.fromEntries(
      Object.entries(answers).map(([name, list]) => [
        name,
        list.reduce<Record<string, number>>(
          (counts, a) => ({ ...counts, [a.status]: (counts[a.status] ?? 0) + 1 }),
          {},
        ),
      ]),
    );
    const report = JSON.stringify({ endpoint, outages, statuses });
    for (const outage of outages) assert.ok(outage.seconds > 2, `${outage.host}'s API server restarted: ${report}`);
    const byTime = [...outages].sort((a, b) => a.from - b.from);
    for (let i = 1; i < byTime.length; i++) {
      assert.ok(byTime[i - 1].to <= byTime[i].from, `two API servers were down at once: ${report}`);
    }
    assert.ok(answers.endpoint.length > 100, report);
    assert.ok(endpoint.seconds < Math.min(...outages.map((o) => o.seconds)), `the endpoint went unanswered: ${report}`);
    console.log(`      endpoint and API servers during the upgrade: ${report}`);
  });

  it("keeps certificate keys and tokens out of the engine's output, the state, the hosts' logs and command lines", async () => {
    const state = lab.project.cli(["stack", "export", "--stack", "lab"]);
    assertNoSecrets("engine output", lab.output);
    assertNoSecrets("stack export", state);
    for (const host of HOSTS.map((h) => h.name)) {
      const logs = await hostLogs(host);
      const ids = containerIds(logs.rest);
      await assertNoSecretsInCommandLines(host, ids);
      assertNoSecrets(`logs of ${host}`, logs.rest, ids);
      assertNoTokens(`container runtime's logs of ${host}`, logs.runtime);
    }
    assert.match(lab.output, /upload-certs: \[upload-certs\] Using certificate key:/);
  });

  it("removes a control-plane node: drained, etcd member removed by kubeadm reset, Node deleted, host reset", async () => {
    lab.declareHosts(["cp1", "cp2"], WORKERS);
    const from = lab.output.length;
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await voters(), ["cp1", "cp2"]);
    assert.deepEqual(await lab.nodeNames(), ["cp1", "cp2", ...WORKERS].sort());
    // The real kubeadm reset's remove-etcd-member phase: it only empties etcd's data directory once the member is
    // removed, and the product warns when it could not be.
    const output = lab.output.slice(from);
    assert.match(output, /\[cp3\] reset: \[reset\] Deleted contents of the etcd data directory: \/var\/lib\/etcd/);
    assert.doesNotMatch(output, /Failed to remove etcd member/);
    const log = output.split("\n").filter((l) => l.includes("[cp3]"));
    assert.ok(
      log.findIndex((l) => /drain/.test(l)) < log.findIndex((l) => /\] reset: /.test(l)),
      "drained before the reset",
    );
    for (const host of ["cp1", "cp2"]) assert.ok(await readyAt(host), `${host} answers with a 2-member etcd`);
    assert.deepEqual(difference(clean.get("cp3"), await lab.snapshot("cp3")), { added: [], removed: [] });
    await assertNoContainers("cp3", log.join("\n"));
  });

  it("refuses a wrong token secret, an unknown token and an unpinned CA in kubeadm's own discovery", async () => {
    const caPem = await lab.lab.run("cp1", "cat /etc/kubernetes/pki/ca.crt");
    const spki = createPublicKey(caPem).export({ type: "spki", format: "der" });
    caHash = `sha256:${createHash("sha256").update(spki).digest("hex")}`;
    // cp3 left the stack (reset, its packages removed): an admin brings the real kubeadm and tries joins by hand.
    execFileSync("ssh", [...lab.lab.sshArgs("cp3"), "cat >/tmp/kubeadm && chmod 755 /tmp/kubeadm"], {
      input: fs.readFileSync(kubeadmBinary()),
      maxBuffer: 1 << 20,
    });
    const token = (await lab.lab.run("cp1", "kubeadm token create --ttl 10m --description ha-test")).trim();
    const [id] = token.split(".");
    assert.ok((await clusterInfoSignatures()).includes(`jws-kubeconfig-${id}`), "the bootstrap signer signed it");

    const wrongSecret = await join("cp3", `${id}.${"0".repeat(16)}`);
    assert.equal(wrongSecret.code, 1, wrongSecret.stderr);
    assert.match(wrongSecret.stderr, IDENTITY);
    assert.match(wrongSecret.stderr, /failed to verify JWS signature of received cluster info object/);

    const unknown = await join("cp3", "zzzzzz.0123456789abcdef");
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, IDENTITY);
    assert.match(unknown.stderr, /could not find a JWS signature in the cluster-info ConfigMap for token ID "zzzzzz"/);

    const unpinned = await join("cp3", token, `sha256:${"ab".repeat(32)}`);
    assert.equal(unpinned.code, 1, unpinned.stderr);
    assert.match(unpinned.stderr, IDENTITY);
    assert.match(unpinned.stderr, /none of the public keys "sha256:[0-9a-f]{64}" are pinned/);
    await assertNothingJoined("cp3");
    await lab.lab.run("cp1", `kubeadm token delete ${id}`);
  });

  it("refuses a token the real token cleaner removed when its TTL passed", async () => {
    const token = (await lab.lab.run("cp1", "kubeadm token create --ttl 20s --description ha-test")).trim();
    const [id] = token.split(".");
    assert.ok((await clusterInfoSignatures()).includes(`jws-kubeconfig-${id}`));
    // kube-controller-manager's tokencleaner deletes the expired Secret; the bootstrap signer then drops its signature
    await waitUntil(
      `cluster-info no longer signed for ${id}`,
      150,
      async () => !(await clusterInfoSignatures()).includes(`jws-kubeconfig-${id}`),
    );
    assert.ok(!(await bootstrapTokens()).some((t) => t.id === id), "the expired token's Secret is gone");
    const expired = await join("cp3", token);
    assert.equal(expired.code, 1, expired.stderr);
    assert.match(expired.stderr, IDENTITY);
    assert.match(
      expired.stderr,
      new RegExp(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${id}"`),
    );
    await assertNothingJoined("cp3");
    await lab.lab.run("cp3", "rm -f /tmp/kubeadm");
  });

  it("joins a fourth control-plane node once every token and uploaded certificate has expired", async () => {
    // What the token cleaner does when their TTLs pass (2 h for the uploads' tokens): every bootstrap token goes,
    // and with the uploads' tokens the garbage collector would take any kubeadm-certs Secret they still owned.
    const before = await bootstrapTokens();
    assert.ok(before.length > 0);
    for (const { id } of before) await lab.lab.run("cp1", `kubeadm token delete ${id}`);
    assert.deepEqual(await bootstrapTokens(), []);
    assert.equal(await kubeadmCertsSecret(), false, "no certificates are uploaded");

    lab.declareHosts(["cp1", "cp2", LATER], WORKERS);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await voters(), ["cp1", "cp2", LATER]);
    assert.ok((await lab.nodeNames()).includes(LATER));
    assert.ok(await readyAt(LATER), "cp4's API server answers with its etcd");
    // Its join uploaded the certificates afresh (one new upload token) and deleted them again.
    assert.equal((await bootstrapTokens()).filter((t) => t.description === CERTS_TOKEN).length, 1);
    assert.equal(await kubeadmCertsSecret(), false);
    assert.ok((await commandLines(LATER)).some((l) => /\bkubeadm join --config \S+$/.test(l)));
    for (const host of HOSTS.map((h) => h.name)) {
      await assertNoSecretsInCommandLines(host);
    }
  });

  it("refuses to remove a member when the ones left could not keep a quorum, touching nothing", async () => {
    await lab.lab.hostDown(LATER);
    lab.declareHosts(["cp1", LATER], WORKERS);
    await assert.rejects(
      lab.up(),
      /refusing to remove control-plane node cp2: etcd would be left with 2 member\(s\) \(cp1, cp4\), of which 1 answer \(cp1\)/,
    );
    assert.deepEqual(await voters(), ["cp1", "cp2", LATER]);
    // Nothing ran on cp2: neither cordoned (a drain's first step) nor reset.
    const cp2 = JSON.parse(await kubectl("get node cp2 -o json")) as { spec: { unschedulable?: boolean } };
    assert.notEqual(cp2.spec.unschedulable, true, "cp2 was not cordoned");
    assert.ok(await readyAt("cp2"), "cp2's API server and etcd member still run");
    await lab.lab.run("cp2", "test -f /etc/kubernetes/kubelet.conf && test -f /etc/kubernetes/manifests/etcd.yaml");
    lab.declareHosts(["cp1", "cp2", LATER], WORKERS);
  });

  it("brings a rebooted control-plane host's etcd member, API server and kubelet back", async () => {
    const rebootedAt = Date.now();
    await lab.lab.hostUp(LATER);
    await waitUntil("cp4's API server answers with its etcd after the reboot", 240, () => readyAt(LATER));
    const health = await lab.lab.run(
      "cp1",
      `crictl exec --name '^etcd$' --state running ${ETCDCTL} endpoint health --cluster -w json`,
      { timeoutMs: 60_000 },
    );
    assert.equal((JSON.parse(jsonOf(health)) as { health: boolean }[]).filter((e) => e.health).length, 3, health);
    await waitUntil("cp4's kubelet renews its Lease", 120, async () => {
      const lease = JSON.parse(await kubectl("-n kube-node-lease get lease cp4 -o json"));
      return Date.parse(lease.spec.renewTime) > rebootedAt;
    });
  });

  it("resets every host on destroy", async () => {
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    for (const host of HOSTS) {
      await assertNoContainers(
        host.name,
        lab.output
          .split("\n")
          .filter((l) => l.includes(`[${host.name}]`))
          .join("\n"),
      );
      const left = difference(clean.get(host.name), await lab.snapshot(host.name));
      assert.deepEqual({ host: host.name, ...left }, { host: host.name, added: [], removed: [] });
    }
  });
});
