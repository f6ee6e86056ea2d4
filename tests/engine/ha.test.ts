// Several control-plane nodes behind one endpoint, on the lab with the real engine: the lab's load balancer
// stands in for the user's own in front of port 6443 of the control-plane hosts. Three control-plane nodes
// and two workers are built; one control-plane node is removed (etcd keeps a working two-member quorum without
// it); a fourth is added a week later on the lab clock (the certificates uploaded at init expired long ago);
// removing a member whose peers could not keep a quorum is refused before anything is touched; destroy resets
// every host. Secrets (certificate keys, tokens) appear nowhere in the engine's output or the stack export.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { LabStack } from "../support/lab-stack";
import { labDir } from "../../lab/names";

const CONTROL_PLANE = ["cp1", "cp2", "cp3"];
const WORKERS = ["w1", "w2"];
const LATER = "cp4";
const HOSTS = [
  { name: "cp1", distro: "ubuntu" as const },
  { name: "cp2", distro: "rocky" as const },
  { name: "cp3", distro: "ubuntu" as const },
  { name: "cp4", distro: "rocky" as const },
  { name: "w1", distro: "ubuntu" as const },
  { name: "w2", distro: "rocky" as const },
];

interface Member {
  name: string;
  isLearner: boolean;
}

/**
 * Lines only in `after` and lines only in `before`. A link's peer index ("eth0@if5") changes when a host is
 * rebooted (a new network namespace, a new veth): not a leftover.
 */
function difference(before: string | undefined, after: string): { added: string[]; removed: string[] } {
  const lines = (text: string) => text.replace(/@if\d+/g, "").split("\n");
  const was = new Set(lines(before ?? ""));
  const is = new Set(lines(after));
  return { added: [...is].filter((line) => !was.has(line)), removed: [...was].filter((line) => !is.has(line)) };
}

describe("HA control plane on the lab (real engine, load balancer as the endpoint)", function () {
  this.timeout(600_000);
  let lab: LabStack;
  const clean = new Map<string, string>();

  /** The voting etcd members, from the lab's etcd (the cluster state its control planes share). */
  function etcdMembers(): string[] {
    const dir = path.join(labDir(lab.lab.name), "shared", "clusters");
    const clusters = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    assert.equal(clusters.length, 1, `one cluster in the lab's etcd, found ${clusters.join(", ")}`);
    const state = JSON.parse(fs.readFileSync(path.join(dir, clusters[0], "state.json"), "utf8")) as {
      etcd: { members: Member[] };
    };
    return state.etcd.members
      .filter((m) => !m.isLearner)
      .map((m) => m.name)
      .sort();
  }

  /** Asks one control-plane node's own API server (not the endpoint) whether it is ready. */
  async function readyAt(host: string): Promise<boolean> {
    const address = lab.lab.host(host).address;
    const result = await lab.lab.exec(
      host,
      `kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://${address}:6443 get --raw=/readyz`,
    );
    return result.code === 0 && result.stdout === "ok";
  }

  before(async () => {
    lab = await LabStack.start({
      lab: "ha",
      hosts: HOSTS,
      loadBalancer: [...CONTROL_PLANE, LATER],
      config: (l) => ({ controlPlaneEndpoint: l.loadBalancerEndpoint() }),
      // The secrets check reads every line the hosts printed, not one a second.
      everyHostLine: true,
    });
    for (const host of HOSTS) clean.set(host.name, await lab.snapshot(host.name));
    lab.declareHosts(CONTROL_PLANE, WORKERS);
  });

  after(async () => {
    await lab?.stop();
  });

  it("builds three control-plane nodes and two workers behind the endpoint", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(await lab.nodeNames(), [...CONTROL_PLANE, ...WORKERS].sort());
    assert.deepEqual(etcdMembers(), CONTROL_PLANE);
    const roles = await lab.kubectl("get nodes -l node-role.kubernetes.io/control-plane -o name");
    assert.deepEqual(
      roles.trim().split("\n").sort(),
      CONTROL_PLANE.map((n) => `node/${n}`),
    );
    for (const host of CONTROL_PLANE) assert.ok(await readyAt(host), `${host}'s API server answers`);

    const kubeconfig = (result.outputs.kubeconfig?.value as string) ?? "";
    assert.ok(result.outputs.kubeconfig?.secret, "the kubeconfig output is a secret");
    assert.match(kubeconfig, new RegExp(`server: https://${lab.lab.loadBalancerEndpoint().replace(/\./g, "\\.")}\\n`));
    assert.equal(result.outputs.apiEndpoint?.value, lab.lab.loadBalancerEndpoint());
    for (const worker of WORKERS) {
      const conf = await lab.lab.run(worker, "cat /etc/kubernetes/kubelet.conf");
      assert.match(
        conf,
        new RegExp(`server: https://${lab.lab.loadBalancerEndpoint().replace(/\./g, "\\.")}`),
        `${worker} uses the endpoint`,
      );
    }
    // The first node initialised with --upload-certs; the others joined with --control-plane.
    assert.ok(lab.commands("cp1").some((l) => / kubeadm init --config \S+ --upload-certs$/.test(l)));
    for (const host of ["cp2", "cp3"]) {
      assert.ok(lab.commands(host).some((l) => / kubeadm join --config /.test(l)));
    }
    // Each control-plane join re-uploaded the certificates under its own key (on an answering control plane).
    const uploads = lab
      .commands("cp1")
      .filter((l) => / kubeadm init phase upload-certs --upload-certs --config /.test(l));
    assert.equal(uploads.length, 2);
  });

  it("keeps certificate keys and tokens out of the engine's output, the state and the hosts' logs", async () => {
    const state = lab.project.cli(["stack", "export", "--stack", "lab"]);
    const hostLogs = HOSTS.map((host) => {
      const file = path.join(labDir(lab.lab.name), "hosts", host.name, "upper", "var", "log", "lab", "commands.log");
      return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    }).join("\n");
    for (const [where, text] of [
      ["engine output", lab.output],
      ["stack export", state],
      ["host logs", hostLogs],
    ] as const) {
      // The check placeholder the init provider renders with during preview is not a token anyone can use.
      const tokens = [...text.matchAll(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g)]
        .map((m) => m[0])
        .filter((t) => t !== "abcdef.0123456789abcdef");
      assert.deepEqual(tokens, [], `a bootstrap token appears in the ${where}`);
      // 64 hex characters that are not a "sha256:" CA hash nor the checkpoint's own "magic" checksum: a key
      const keys = [...text.matchAll(/(?<!sha256:|"magic": ")(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/g)].map((m) => m[0]);
      assert.deepEqual(keys, [], `a certificate key appears in the ${where}`);
    }
    assert.match(lab.output, /upload-certs: \[upload-certs\] Using certificate key:/);
  });

  it("removes a control-plane node: drained, etcd member removed, Node deleted, host reset; two members keep working", async () => {
    const result = await (lab.declareHosts(["cp1", "cp2"], WORKERS), lab.up());
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(etcdMembers(), ["cp1", "cp2"]);
    assert.deepEqual(await lab.nodeNames(), ["cp1", "cp2", ...WORKERS].sort());
    const log = [...lab.commands("cp1"), ...lab.commands("cp2")].join("\n");
    assert.match(log, /kubectl .*drain cp3/);
    assert.match(log, /kubectl .*delete node cp3/);
    assert.ok(lab.commands("cp3").some((l) => / kubeadm reset -f$/.test(l)));
    for (const host of ["cp1", "cp2"]) assert.ok(await readyAt(host), `${host} answers with a 2-member etcd`);
    assert.deepEqual(difference(clean.get("cp3"), await lab.snapshot("cp3")), { added: [], removed: [] });
  });

  it("joins a fourth control-plane node a week later, with freshly uploaded certificates", async () => {
    lab.lab.advanceClock("7d");
    lab.declareHosts(["cp1", "cp2", LATER], WORKERS);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(etcdMembers(), ["cp1", "cp2", LATER]);
    assert.ok((await lab.nodeNames()).includes(LATER));
    assert.ok(await readyAt(LATER));
  });

  it("refuses to remove a member when the ones left could not keep a quorum, touching nothing", async () => {
    await lab.lab.hostDown(LATER);
    const before = lab.commands("cp2").length;
    lab.declareHosts(["cp1", LATER], WORKERS);
    await assert.rejects(
      lab.up(),
      /refusing to remove control-plane node cp2: etcd would be left with 2 member\(s\) \(cp1, cp4\), of which 1 answer \(cp1\)/,
    );
    assert.deepEqual(etcdMembers(), ["cp1", "cp2", LATER]);
    assert.deepEqual(
      lab
        .commands("cp2")
        .slice(before)
        .filter((l) => /kubeadm reset|kubectl .*drain/.test(l)),
      [],
      "nothing ran on cp2",
    );
    await lab.lab.hostUp(LATER);
    const deadline = Date.now() + 60_000;
    while (!(await readyAt(LATER))) {
      assert.ok(Date.now() < deadline, "cp4's API server came back after the reboot");
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

  it("resets every host on destroy", async () => {
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded");
    for (const host of HOSTS) {
      const left = difference(clean.get(host.name), await lab.snapshot(host.name));
      assert.deepEqual({ host: host.name, ...left }, { host: host.name, added: [], removed: [] });
    }
    const clusters = path.join(labDir(lab.lab.name), "shared", "clusters");
    assert.deepEqual(fs.existsSync(clusters) ? fs.readdirSync(clusters) : [], [], "the lab's etcd is gone");
  });
});
