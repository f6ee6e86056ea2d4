// Several control-plane nodes behind a virtual IP that kube-vip holds, on real nodes of the lab (lab/README.md,
// "Real nodes") with the real engine: kube-vip's static Pod on every control-plane node (before `kubeadm init` on
// the first, after the join on the others), run by the real kubelet in containerd from the image the lab's registry
// serves through the stack's mirror settings (built from the Go module proxy, lab/images/build-images.sh). The
// elected leader (a Lease in the real API) holds the lab's free virtual IP on its eth0 and announces it with
// gratuitous ARP. The endpoint moves when the leader's host goes down, and destroy leaves no host holding it.
import { strict as assert } from "assert";
import { registryPulls } from "../../lab/registry";
import { LabStack } from "../support/lab-stack";
import { difference } from "../support/snapshot-difference";
import { sleep } from "../support/engine";

const CONTROL_PLANE = ["cp1", "cp2", "cp3"];
const WORKERS = ["w1"];
const HOSTS = [
  { name: "cp1", distro: "ubuntu" as const },
  { name: "cp2", distro: "rocky" as const },
  { name: "cp3", distro: "ubuntu" as const },
  { name: "w1", distro: "rocky" as const },
];
// the real kubectl keeps a discovery cache under $HOME unless told otherwise (/tmp is not part of a snapshot)
const KUBECTL = "kubectl --cache-dir /tmp/kubectl-cache --kubeconfig /etc/kubernetes/admin.conf";

const escaped = (s: string) => s.replace(/\./g, "\\.");

describe("HA control plane on real nodes with kube-vip holding the endpoint (real engine)", function () {
  this.timeout(1_200_000);
  let lab: LabStack;
  let vip = "";
  const clean = new Map<string, string>();

  /** The hosts (of those up) that have the virtual IP on eth0. */
  async function holders(hosts = HOSTS.map((h) => h.name)): Promise<string[]> {
    const found: string[] = [];
    for (const host of hosts) {
      if (!lab.lab.isUp(host)) continue;
      const addresses = await lab.lab.run(host, "ip -o -4 addr show dev eth0");
      if (addresses.includes(` ${vip}/32 `)) found.push(host);
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
      lab: "hakubevip",
      hosts: HOSTS,
      config: (l) => ({
        controlPlaneEndpoint: `${l.network.virtualIp}:6443`,
        kubeVip: { enabled: true, interface: "eth0" },
      }),
    });
    vip = lab.lab.network.virtualIp;
    for (const host of HOSTS) clean.set(host.name, await lab.snapshot(host.name));
    lab.declareHosts(CONTROL_PLANE, WORKERS);
  });

  after(async () => {
    await lab?.stop();
  });

  it("builds the cluster behind the virtual IP, held by exactly one control-plane node: the Lease's holder", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await lab.nodeNames(), [...CONTROL_PLANE, ...WORKERS].sort());
    const kubeconfig = (result.outputs.kubeconfig?.value as string) ?? "";
    assert.match(kubeconfig, new RegExp(`server: https://${escaped(vip)}:6443\\n`));
    const held = await holders();
    assert.equal(held.length, 1, `one holder, found ${held.join(", ")}`);
    assert.ok(CONTROL_PLANE.includes(held[0]));
    // leader election went through the real API
    const lease = JSON.parse(await lab.kubectl("-n kube-system get lease plndr-cp-lock -o json"));
    assert.equal(lease.spec.holderIdentity, held[0]);
    for (const host of CONTROL_PLANE) {
      const manifest = await lab.lab.run(host, "cat /etc/kubernetes/manifests/kube-vip.yaml");
      assert.match(manifest, new RegExp(`value: ${escaped(vip)}\\n`));
      assert.match(manifest, /path: \/etc\/kubernetes\/admin\.conf\n/, `${host}: admin.conf once init is done`);
      assert.match(manifest, /image: registry\.aliyuncs\.com\/google_containers\/kube-vip\/kube-vip:v/);
      // real kube-vip, run by the real kubelet in containerd
      const running = await lab.lab.run(host, "crictl ps --name '^kube-vip$' --state running -q");
      assert.notEqual(running.trim(), "", `kube-vip runs on ${host}`);
    }
    const kubeletConf = await lab.lab.run("w1", "cat /etc/kubernetes/kubelet.conf");
    assert.match(kubeletConf, new RegExp(`server: https://${escaped(vip)}:6443`));
    // its image came from the lab's registry, through the product's addons.imageMirror and containerd's mirror
    const pulls = registryPulls(lab.lab.name).filter(
      (p) => p.status === 200 && /\/kube-vip\/kube-vip\/manifests\//.test(p.path),
    );
    assert.ok(
      pulls.some((p) => p.ns === "registry.aliyuncs.com"),
      JSON.stringify(pulls),
    );
  });

  it("moves the virtual IP to another control-plane node when the leader's host goes down", async () => {
    const [leader] = await holders();
    await lab.lab.hostDown(leader);
    const survivors = CONTROL_PLANE.filter((host) => host !== leader);
    const next = await waitFor("another node holds the virtual IP", 60, async () => (await holders(survivors))[0]);
    assert.ok(survivors.includes(next));
    const asker = survivors.find((host) => host !== next) as string;
    const listed = await waitFor("kubectl through the virtual IP answers", 60, async () => {
      const result = await lab.lab.exec(asker, `${KUBECTL} get nodes -o name`);
      return result.code === 0 ? result.stdout : undefined;
    });
    assert.match(listed, /node\/cp1/);
    const lease = JSON.parse(await lab.lab.run(asker, `${KUBECTL} -n kube-system get lease plndr-cp-lock -o json`));
    assert.equal(lease.spec.holderIdentity, next);
    await lab.lab.hostUp(leader);
    await waitFor(`${leader}'s API server is back`, 240, async () => {
      const address = lab.lab.host(leader).address;
      const result = await lab.lab.exec(leader, `${KUBECTL} --server https://${address}:6443 get --raw=/readyz`);
      return result.code === 0 ? true : undefined;
    });
    await waitFor(`kube-vip runs again on ${leader}`, 120, async () => {
      const running = await lab.lab.exec(leader, "crictl ps --name '^kube-vip$' --state running -q");
      return running.stdout.trim() !== "" ? true : undefined;
    });
    assert.deepEqual(await holders(), [next], "still one holder after the old leader came back");
  });

  it("resets every host on destroy, and none keeps the virtual IP", async () => {
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await holders(), []);
    for (const host of HOSTS) {
      const left = difference(clean.get(host.name), await lab.snapshot(host.name));
      assert.deepEqual({ host: host.name, ...left }, { host: host.name, added: [], removed: [] });
    }
  });
});
