// A cluster of real nodes built by the real engine (lab/README.md, "Real nodes"): each lab host boots the real
// systemd, the package doubles install the real containerd, runc, kubelet, kubeadm, kubectl and crictl, and
// `pulumi up` runs the real `kubeadm init` and `kubeadm join` (an Ubuntu control plane, an Ubuntu and a Rocky worker;
// the Rocky one starts with SELinux enforcing and firewalld running, whose real nftables rules let in only what the
// host preparation opened). The kubelets run the control plane as static Pods
// in containerd, flannel's vxlan carries Pod traffic between the hosts, kube-proxy and CoreDNS serve Services
// and names, and every image comes from the lab's registry through the stack's mirror settings only.
import { strict as assert } from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { registryPulls } from "../../lab/registry";
import type { HostSpec } from "../../lab/spec";
import { assertSameLines, LabStack } from "../support/lab-stack";
import { pinnedDeployment } from "../support/workloads";

const CONTROL_PLANE = "cp1";
// Real hosts are not blank (LabStack passes the host specs to the lab as they are):
const HOSTS: HostSpec[] = [
  // a minimal install whose admin set up the distribution's containerd for a private registry, with swap of three
  // kinds that would come back at boot;
  {
    name: CONTROL_PLANE,
    distro: "ubuntu",
    minimal: true,
    privateRegistry: true,
    swap: ["fstab-indented", "unit", "zram"],
  },
  // Docker from Docker's apt repository, running a container;
  { name: "w1", distro: "ubuntu", docker: true },
  // SELinux enforcing and firewalld, as on a RHEL install, and swap in fstab's short form beside the default.
  { name: "w2", distro: "rocky", selinux: "enforcing", firewalld: true, swap: ["fstab", "fstab-short"] },
];
const WORKERS = ["w1", "w2"];
const POD_SUBNET = "10.244.0.0/16";
const KUBECTL = "kubectl --kubeconfig /etc/kubernetes/admin.conf --cache-dir /tmp/kubectl-cache";

/** A Deployment of one busybox Pod on `node`: an HTTP server answering with its Pod's name, or a shell. */
function workload(name: string, node: string, serve: boolean): string {
  return pinnedDeployment(
    name,
    node,
    serve ? "mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 8080 -h /www" : "exec sleep 3600",
  );
}

describe("real nodes: kubeadm, kubelet, containerd and flannel for real (real engine)", function () {
  this.timeout(1_200_000);
  let lab: LabStack;
  const clean = new Map<string, string>();
  const beforeUp = new Map<string, string>();
  /** Docker's container on w1, started before the cluster: its containerd task (pid and state). */
  let dockerTask: string | undefined;
  const task = async () =>
    (await lab.lab.run("w1", "ctr -n moby task ls"))
      .split("\n")
      .find((line) => line.startsWith(dockerTask!.split(" ")[0]));

  const kubectl = (args: string, input?: string) =>
    lab.lab.run(CONTROL_PLANE, `${KUBECTL} ${args}`, { input, timeoutMs: 180_000 });

  async function podOf(app: string): Promise<{ name: string; ip: string; node: string }> {
    const pods = JSON.parse(await kubectl(`get pods -l app=${app} -o json`)) as {
      items: { metadata: { name: string }; status: { podIP: string; phase: string }; spec: { nodeName: string } }[];
    };
    const running = pods.items.find((p) => p.status.phase === "Running");
    assert.ok(running, `no Running pod of ${app}: ${JSON.stringify(pods.items.map((p) => p.status))}`);
    return { name: running.metadata.name, ip: running.status.podIP, node: running.spec.nodeName };
  }

  before(async function () {
    lab = await LabStack.start({
      lab: "realnodes",
      hosts: HOSTS,
      config: { podSubnet: POD_SUBNET, addons: { flannel: { enabled: true, backend: "vxlan" } } },
    });
    // Docker pulls through the lab's registry, as a site's daemon.json points it at its mirror.
    await lab.lab.run(
      "w1",
      `mkdir -p /etc/docker && printf '{"registry-mirrors": ["http://${lab.lab.network.registry}:5000"]}\\n' >/etc/docker/daemon.json`,
    );
    const id = (await lab.lab.run("w1", "docker run -d --name web busybox:1.35.0 sleep 36000")).trim();
    dockerTask = (await lab.lab.run("w1", "ctr -n moby task ls")).split("\n").find((line) => line.startsWith(id));
    assert.match(dockerTask ?? "", /^[0-9a-f]{64}\s+\d+\s+RUNNING$/);
    for (const host of HOSTS) {
      clean.set(host.name, await lab.snapshot(host.name));
      beforeUp.set(host.name, await lab.listing(host.name));
    }
    lab.declareHosts([CONTROL_PLANE], WORKERS);
  });

  after(async () => {
    await lab?.stop();
  });

  it("builds the cluster: every node Ready, reported by its real kubelet on containerd", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    const nodes = JSON.parse(await kubectl("get nodes -o json")) as {
      items: {
        metadata: { name: string };
        status: {
          conditions: { type: string; status: string }[];
          nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string };
        };
      }[];
    };
    assert.deepEqual(nodes.items.map((n) => n.metadata.name).sort(), [CONTROL_PLANE, ...WORKERS].sort());
    for (const node of nodes.items) {
      const ready = node.status.conditions.find((c) => c.type === "Ready");
      assert.equal(ready?.status, "True", `${node.metadata.name}: ${JSON.stringify(node.status.conditions)}`);
      assert.equal(node.status.nodeInfo.kubeletVersion, "v1.35.4");
      assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\.\d+\.\d+/);
    }
    for (const host of HOSTS) {
      // The kubelet is systemd's, started from kubeadm's drop-in with the flags kubeadm wrote.
      const status = await lab.lab.run(host.name, "systemctl show kubelet -p ActiveState -p MainPID");
      assert.match(status, /ActiveState=active/);
      const cmdline = await lab.lab.run(
        host.name,
        'tr "\\0" " " </proc/$(systemctl show kubelet -p MainPID --value)/cmdline',
      );
      assert.match(cmdline, /^\/usr\/bin\/kubelet .*--config=\/var\/lib\/kubelet\/config\.yaml/);
    }
  });

  it("runs the control plane as static Pods in containerd, with kube-proxy, CoreDNS and flannel Running", async () => {
    const pods = JSON.parse(await kubectl("get pods -A -o json")) as {
      items: { metadata: { name: string; namespace: string }; status: { phase: string }; spec: { nodeName: string } }[];
    };
    const running = (prefix: string, namespace = "kube-system") =>
      pods.items.filter(
        (p) => p.metadata.namespace === namespace && p.metadata.name.startsWith(prefix) && p.status.phase === "Running",
      );
    for (const component of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
      assert.equal(running(`${component}-${CONTROL_PLANE}`).length, 1, `${component} is not Running`);
    }
    assert.equal(running("kube-proxy-").length, HOSTS.length);
    assert.ok(running("coredns-").length >= 1);
    const flannel = running("kube-flannel-ds-", "kube-flannel");
    assert.deepEqual(flannel.map((p) => p.spec.nodeName).sort(), HOSTS.map((h) => h.name).sort());
    // The same containers as containerd sees them on the control-plane host.
    const containers = await lab.lab.run(CONTROL_PLANE, "crictl ps -o json");
    const names = (JSON.parse(containers) as { containers: { metadata: { name: string } }[] }).containers.map(
      (c) => c.metadata.name,
    );
    for (const component of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"]) {
      assert.ok(names.includes(component), `${component} not in crictl ps: ${names.join(", ")}`);
    }
  });

  it("routes Pod to Pod across hosts over flannel.1, serves a ClusterIP and resolves names through CoreDNS", async () => {
    await kubectl("apply -f -", workload("server", "w2", true));
    await kubectl("apply -f -", workload("client", "w1", false));
    await kubectl("expose deployment server --port 80 --target-port 8080");
    await kubectl("rollout status deployment/server deployment/client --timeout=180s");
    const server = await podOf("server");
    const client = await podOf("client");
    assert.equal(server.node, "w2");
    assert.equal(client.node, "w1");
    // On w1, w2's Pod network is behind the vxlan link.
    const route = await lab.lab.run("w1", `ip route get ${server.ip}`);
    assert.match(route, /dev flannel\.1/);
    const byIp = await kubectl(`exec ${client.name} -- timeout 10 wget -qO- http://${server.ip}:8080/`);
    assert.equal(byIp.trim(), server.name);
    const clusterIp = (await kubectl("get service server -o jsonpath={.spec.clusterIP}")).trim();
    const byService = await kubectl(`exec ${client.name} -- timeout 10 wget -qO- http://${clusterIp}/`);
    assert.equal(byService.trim(), server.name);
    const byName = await kubectl(
      `exec ${client.name} -- timeout 10 wget -qO- http://server.default.svc.cluster.local/`,
    );
    assert.equal(byName.trim(), server.name);
    const lookup = await kubectl(`exec ${client.name} -- timeout 10 nslookup kubernetes.default.svc.cluster.local`);
    assert.match(lookup, /Address:\s+10\.96\.0\.1\b/);
  });

  it("keeps what the hosts had: Docker's container running on its containerd.io, cp1's own containerd and private registry, no swap", async () => {
    // w1: Docker's containerd.io is the node's runtime too; Docker's container never stopped.
    assert.equal(await task(), dockerTask, "Docker's container was restarted or stopped");
    assert.match(await lab.lab.run("w1", "docker ps"), /\bweb\n$/);
    assert.match(
      await lab.lab.run("w1", "dpkg-query -W containerd.io docker-ce"),
      /^containerd\.io\t1\.7\.28-1~ubuntu/,
    );
    assert.match(await lab.lab.run("w1", "crictl ps --name kube-proxy -q"), /^[0-9a-f]+$/m);
    // cp1: its own containerd at its version; its private registry still serves pulls through the CRI.
    const release = beforeUp.get(CONTROL_PLANE)!.match(/^containerd\t.*$/m)?.[0];
    assert.ok(release, "cp1 had no containerd before");
    assert.match(await lab.lab.run(CONTROL_PLANE, "dpkg-query -W containerd"), new RegExp(`^${release}$`, "m"));
    await lab.lab.run(CONTROL_PLANE, "crictl pull registry.corp.example:5000/library/busybox:1.35.0");
    assert.match(
      await lab.lab.run(CONTROL_PLANE, "cat /etc/containerd/certs.d/registry.corp.example:5000/hosts.toml"),
      /ca = /,
    );
    // Swap of every kind is off, and the boot will not turn it on again (swap.target masked).
    for (const host of [CONTROL_PLANE, "w2"]) {
      assert.equal(await lab.lab.run(host, "swapon --noheadings --show=NAME"), "", `${host} has swap on`);
      assert.match(await lab.lab.run(host, "systemctl is-enabled swap.target || true"), /^masked$/m);
    }
  });

  it("the Rocky worker runs with SELinux permissive and firewalld letting in only the worker's and flannel's ports", async () => {
    assert.equal(await lab.lab.run("w2", "getenforce"), "Permissive\n");
    assert.match(await lab.lab.run("w2", "cat /etc/selinux/config"), /^SELINUX=permissive$/m);
    assert.equal(await lab.lab.run("w2", "firewall-cmd --list-ports"), "10250/tcp 30000-32767/tcp 8472/udp\n");
    assert.match(await lab.lab.run("w2", "nft list chain inet firewalld filter_IN_public"), /udp dport 8472 accept/);
    // The API server reaches the kubelet on w2 (logs of the server Pod: port 10250), flannel's vxlan got the
    // requests above to it (8472/udp); any other port is still rejected.
    const server = await podOf("server");
    assert.equal(server.node, "w2");
    await kubectl(`logs ${server.name}`);
    await lab.lab.run("w2", "systemd-run --unit=lab-listen socat TCP-LISTEN:7777,fork,reuseaddr SYSTEM:'echo hello'");
    const w2 = lab.lab.inventory.hosts.find((h) => h.name === "w2")!.address;
    const refused = await lab.lab.exec(CONTROL_PLANE, `socat -T 5 - TCP:${w2}:7777,connect-timeout=5 </dev/null`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /No route to host/);
    await lab.lab.run("w2", "systemctl stop lab-listen");
  });

  it("pulled every image from the lab registry, through the mirror settings", async () => {
    const images = new Set<string>();
    for (const host of HOSTS) {
      const listed = JSON.parse(await lab.lab.run(host.name, "crictl images -o json")) as {
        images: { repoTags: string[] }[];
      };
      for (const image of listed.images) for (const tag of image.repoTags) images.add(tag);
    }
    // containerd names the registry it resolves for in the mirror request (?ns=registry.aliyuncs.com).
    const served = new Set(
      registryPulls(lab.lab.name)
        .filter((p) => p.status === 200 && /\/manifests\//.test(p.path))
        .map((p) => `${p.ns}/${p.path.replace(/^\/v2\//, "").replace("/manifests/", ":")}`),
    );
    assert.ok(images.size >= 8, [...images].join(", "));
    for (const image of images) {
      assert.ok(
        served.has(image),
        `${image} was not pulled through the lab registry (it served: ${[...served].join(", ")})`,
      );
    }
  });

  it("renews the control plane's certificates once they are within certificates.renewBeforeDays, never before", async () => {
    const fingerprint = () =>
      lab.lab.run(CONTROL_PLANE, "sha256sum /etc/kubernetes/pki/apiserver.crt /etc/kubernetes/admin.conf");
    const expiry = async () => (await lab.stack.outputs()).certificateExpiry.value[CONTROL_PLANE] as string;
    const issued = await fingerprint();
    const first = await expiry();
    const days = (Date.parse(first) - Date.now()) / 86_400_000;
    assert.ok(days > 360 && days < 366, `kubeadm's certificates expire in ${days} days`);

    // A year's window puts them due: the preview plans that one update, with the reason, and nothing replaced (the
    // kubeconfig the add-ons use passes through the renewal, so the preview knows it).
    await lab.stack.setConfig("pulumi-kubeadm:certificates.renewBeforeDays", { value: "366" }, true);
    const planned: string[] = [];
    const onEvent = (event: EngineEvent) => {
      const step = event.resourcePreEvent?.metadata;
      // The dynamic resources' provider takes the stack's config as its inputs: any config change updates it.
      if (step && step.op !== "same" && step.type !== "pulumi:providers:pulumi-nodejs") {
        planned.push(`${step.op} ${step.type}`);
      }
    };
    const from = lab.output.length;
    await lab.preview({ onEvent });
    assert.deepEqual(planned, ["update pulumi-nodejs:dynamic/pulumi-kubeadm:CertificateRenewal"]);
    assert.match(
      lab.output.slice(from),
      /\[cp1\] certificates: the first, \S+, expires in 36\d days .*renewBeforeDays \(366\)/,
    );

    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.notEqual(await fingerprint(), issued, "the API server's certificate and admin.conf were not renewed");
    assert.ok(Date.parse(await expiry()) > Date.parse(first), "the output still shows the old expiry");
    // The renewal restarted etcd: a snapshot was taken first, on the node, as the outputs say.
    const snapshot = (await lab.stack.outputs()).etcdSnapshots.value[CONTROL_PLANE] as {
      path: string;
      bytes: number;
      sha256: string;
    };
    assert.match(snapshot.path, /^\/var\/lib\/etcd-snapshots\/etcd-\d{8}T\d{6}Z\.db$/);
    const [mode, bytes, sum] = (
      await lab.lab.run(CONTROL_PLANE, `stat -c '%a %s' ${snapshot.path} && sha256sum ${snapshot.path}`)
    ).split(/\s+/);
    assert.deepEqual([mode, Number(bytes), `sha256:${sum}`], ["600", snapshot.bytes, snapshot.sha256]);
    await lab.kubectl("get --raw=/readyz");
    // The stack's kubeconfig output is the renewed admin.conf, and it works.
    const kubeconfig = (await lab.stack.outputs()).kubeconfig.value as string;
    assert.equal(kubeconfig, await lab.lab.run(CONTROL_PLANE, "cat /etc/kubernetes/admin.conf"));

    // Back to the default: the setting is recorded, nothing is renewed.
    await lab.stack.removeConfig("pulumi-kubeadm:certificates");
    const renewed = await fingerprint();
    const settled = await lab.up();
    assert.equal(settled.summary.result, "succeeded", lab.output.slice(-3000));
    assert.equal(await fingerprint(), renewed);
    const changed: string[] = [];
    await lab.preview({
      onEvent: (event: EngineEvent) => {
        const step = event.resourcePreEvent?.metadata;
        if (step && step.op !== "same") changed.push(`${step.op} ${step.urn} ${JSON.stringify(step.diffs ?? [])}`);
      },
    });
    assert.deepEqual(changed, []);
  });

  it("removes a worker with a real drain, and adds it back", async () => {
    lab.declareHosts([CONTROL_PLANE], ["w1"]);
    let result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await lab.nodeNames(), [CONTROL_PLANE, "w1"]);
    // The server's Pod was evicted from w2; with w2 gone its Deployment has it pending (it is pinned to w2).
    const pods = await kubectl("get pods -l app=server -o jsonpath={.items[*].spec.nodeName}");
    assert.doesNotMatch(pods, /w2/);
    assert.equal((await lab.lab.run("w2", "crictl ps -q 2>/dev/null | wc -l")).trim(), "0");

    lab.declareHosts([CONTROL_PLANE], WORKERS);
    result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.deepEqual(await lab.nodeNames(), [CONTROL_PLANE, ...WORKERS]);
    await kubectl("rollout status deployment/server --timeout=180s");
    assert.equal((await podOf("server")).node, "w2");
  });

  it("resets every host on destroy: no containers, CNI links or rules, the files as before", async () => {
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.equal(await task(), dockerTask, "Docker's container did not survive the destroy");
    for (const host of HOSTS) {
      const runtime = await lab.lab.exec(
        host.name,
        "ls /run/containerd/io.containerd.runtime.v2.task/k8s.io 2>/dev/null | wc -l",
      );
      assert.equal(runtime.stdout.trim(), "0", `${host.name} still runs containers`);
      const links = await lab.lab.run(host.name, "ip -o link show | awk -F': ' '{print $2}'");
      assert.doesNotMatch(links, /^(cni0|flannel\.1|veth)/m, `${host.name}: ${links}`);
      const rules = await lab.lab.run(host.name, "iptables-save; ip6tables-save 2>/dev/null || true");
      assert.doesNotMatch(rules, /KUBE-|FLANNEL|CNI-/, `${host.name} keeps rules`);
      if (host.name === "w2") {
        assert.equal(await lab.lab.run("w2", "getenforce"), "Enforcing\n");
        assert.equal(
          await lab.lab.run("w2", "firewall-cmd --list-ports; firewall-cmd --permanent --list-ports"),
          "\n\n",
        );
      }
      // The host as it was before `up`: files with checksums, packages with versions, units, what runs, swap with
      // priorities, SELinux, the firewall's ports.
      assertSameLines(
        await lab.listing(host.name),
        beforeUp.get(host.name)!,
        `${host.name} is not as it was before up`,
      );
      const was = new Set(clean.get(host.name)?.split("\n"));
      const is = new Set((await lab.snapshot(host.name)).split("\n"));
      const added = [...is].filter((l) => !was.has(l));
      const removed = [...was].filter((l) => !is.has(l));
      assert.deepEqual({ host: host.name, added, removed }, { host: host.name, added: [], removed: [] });
    }
  });
});
