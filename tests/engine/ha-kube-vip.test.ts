// Several control-plane nodes behind a virtual IP that kube-vip holds, on the lab with the real engine: kube-vip's
// static Pod on every control-plane node (before `kubeadm init` on the first, after the join on the others), run
// by the lab's kubelet double, whose leader holds the lab's free virtual IP (.253 of its block) on its eth0. The endpoint moves when the leader's
// host goes down, and destroy leaves no host holding it. Run on the lab's simulated API and on its real control
// plane (leader election through a Lease in the real API, etcd members joined by the real kubeadm).
import { strict as assert } from "assert";
import { KEPT_WITH_REAL_CONTROL_PLANE, LabStack } from "../support/lab-stack";

const CONTROL_PLANE = ["cp1", "cp2", "cp3"];
const WORKERS = ["w1"];
const HOSTS = [
  { name: "cp1", distro: "ubuntu" as const },
  { name: "cp2", distro: "rocky" as const },
  { name: "cp3", distro: "ubuntu" as const },
  { name: "w1", distro: "rocky" as const },
];

function difference(before: string | undefined, after: string): { added: string[]; removed: string[] } {
  const lines = (text: string) => text.replace(/@if\d+/g, "").split("\n");
  const was = new Set(lines(before ?? ""));
  const is = new Set(lines(after));
  return { added: [...is].filter((line) => !was.has(line)), removed: [...was].filter((line) => !is.has(line)) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const realControlPlane of [false, true])
  describe(`HA control plane on the lab with kube-vip holding the endpoint (real engine${realControlPlane ? ", real control plane" : ""})`, function () {
    this.timeout(600_000);
    let lab: LabStack;
    const clean = new Map<string, string>();
    // the real kubectl keeps a discovery cache under $HOME unless told otherwise (/tmp is not part of a snapshot)
    const KUBECTL = "kubectl --cache-dir /tmp/kubectl-cache --kubeconfig /etc/kubernetes/admin.conf";

    /** The hosts (of those up) that have the virtual IP on eth0. */
    async function holders(hosts = HOSTS.map((h) => h.name)): Promise<string[]> {
      const found: string[] = [];
      for (const host of hosts) {
        if (!lab.lab.isUp(host)) continue;
        const addresses = await lab.lab.run(host, "ip -o -4 addr show dev eth0");
        if (addresses.includes(` ${lab.lab.network.virtualIp}/32 `)) found.push(host);
      }
      return found;
    }

    async function waitFor<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
      const deadline = Date.now() + seconds * 1000;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        assert.ok(Date.now() < deadline, `${what} within ${seconds}s`);
        await sleep(1000);
      }
    }

    before(async () => {
      lab = await LabStack.start({
        lab: realControlPlane ? "hakubevipreal" : "hakubevip",
        hosts: HOSTS,
        realControlPlane,
        config: (l) => ({
          controlPlaneEndpoint: `${l.network.virtualIp}:6443`,
          kubeVip: { enabled: true, interface: "eth0" },
        }),
      });
      for (const host of HOSTS) clean.set(host.name, await lab.snapshot(host.name));
      lab.declareHosts(CONTROL_PLANE, WORKERS);
    });

    after(async () => {
      await lab?.stop();
    });

    it("builds the cluster behind the virtual IP, held by exactly one control-plane node", async () => {
      const result = await lab.up();
      assert.equal(result.summary.result, "succeeded");
      assert.deepEqual(await lab.nodeNames(), [...CONTROL_PLANE, ...WORKERS].sort());
      const kubeconfig = (result.outputs.kubeconfig?.value as string) ?? "";
      assert.match(
        kubeconfig,
        new RegExp(`server: https://${lab.lab.network.virtualIp.replace(/\./g, "\\.")}:6443\\n`),
      );
      const held = await holders();
      assert.equal(held.length, 1, `one holder, found ${held.join(", ")}`);
      assert.ok(CONTROL_PLANE.includes(held[0]));
      if (realControlPlane) {
        // leader election went through the real API, as real kube-vip's does
        const lease = JSON.parse(await lab.kubectl("-n kube-system get lease plndr-cp-lock -o json"));
        assert.equal(lease.spec.holderIdentity, held[0]);
      }
      for (const host of CONTROL_PLANE) {
        const manifest = await lab.lab.run(host, "cat /etc/kubernetes/manifests/kube-vip.yaml");
        assert.ok(manifest.includes(`value: ${lab.lab.network.virtualIp}\n`), `${host}: kube-vip holds the virtual IP`);
        assert.match(manifest, /path: \/etc\/kubernetes\/admin\.conf\n/, `${host}: admin.conf once init is done`);
        assert.match(manifest, /image: ghcr\.io\/kube-vip\/kube-vip:v/);
      }
      const kubeletConf = await lab.lab.run("w1", "cat /etc/kubernetes/kubelet.conf");
      assert.ok(kubeletConf.includes(`server: https://${lab.lab.network.virtualIp}:6443\n`), kubeletConf);
    });

    it("moves the virtual IP to another control-plane node when the leader's host goes down", async () => {
      const [leader] = await holders();
      await lab.lab.hostDown(leader);
      const survivors = CONTROL_PLANE.filter((host) => host !== leader);
      const next = await waitFor("another node holds the virtual IP", 30, async () => (await holders(survivors))[0]);
      assert.ok(survivors.includes(next));
      const asker = survivors.find((host) => host !== next) as string;
      const listed = await waitFor("kubectl through the virtual IP answers", 60, async () => {
        const result = await lab.lab.exec(asker, `${KUBECTL} get nodes -o name`);
        return result.code === 0 ? result.stdout : undefined;
      });
      assert.match(listed, /node\/cp1/);
      await lab.lab.hostUp(leader);
      await waitFor(`${leader}'s API server is back`, 60, async () => {
        const address = lab.lab.host(leader).address;
        const result = await lab.lab.exec(leader, `${KUBECTL} --server https://${address}:6443 get --raw=/readyz`);
        return result.code === 0 ? true : undefined;
      });
      assert.equal((await holders()).length, 1, "still one holder after the old leader came back");
    });

    it("resets every host on destroy, and none keeps the virtual IP", async () => {
      const result = await lab.destroy();
      assert.equal(result.summary.result, "succeeded");
      assert.deepEqual(await holders(), []);
      for (const host of HOSTS) {
        const left = difference(clean.get(host.name), await lab.snapshot(host.name));
        if (realControlPlane && CONTROL_PLANE.includes(host.name))
          left.added = left.added.filter((f) => !KEPT_WITH_REAL_CONTROL_PLANE.includes(f));
        assert.deepEqual({ host: host.name, ...left }, { host: host.name, added: [], removed: [] });
      }
    });
  });
