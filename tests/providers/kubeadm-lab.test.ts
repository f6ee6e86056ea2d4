// End to end against the lab's real nodes (lab/README.md, "Real nodes"): two hosts with real sshd, systemd,
// containerd, kubelet and kubeadm, prepared with HostPrep's own steps as the product runs them (the package managers
// are the lab's, the binaries they install are real), then the kubeadm providers' create and delete called directly
// (provider objects are plain objects), exactly as the engine calls them.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startLab, type Lab } from "../../lab";
import { mergeConfig, realNodeMirrors } from "../../lab/stack-config";
import { preparedHostInputs } from "../../components/host-prep";
import { hostPrepSteps } from "../../components/host-prep/steps";
import { resolveConfig } from "../../config/resolve";
import type { ClusterSpec, NodeSpec } from "../../config/spec";
import { validateConfig } from "../../config/validate";
import { caCertHash } from "../../kubeadm/ca-hash";
import { opensslClusterCa } from "../kubeadm/openssl";
import type { KubeadmInitInputs, KubeadmInitOutputs } from "../../providers/master-node/inputs";
import type { KubeadmJoinInputs, KubeadmJoinOutputs } from "../../providers/worker-join/inputs";
import { kubeadmInitProvider } from "../../providers/master-node";
import { kubeadmJoinProvider } from "../../providers/worker-join";
import { inspectScript, parseHostState } from "../../providers/node/host-state";
import { readResetScript } from "../../providers/node/reset";
import { clusterSettings, nodeSettings } from "../../providers/node/settings";
import { preparedHostProvider, stepCommand } from "../../providers/prepared-host";
import { repoRoot } from "../../tools/paths";
import { labShell, type LabShell } from "../support/lab-shell";
import { captureConsole } from "./kubeadm-fakes";

const LAB = `kadm${process.pid % 100000}`;
const KUBECTL = "kubectl --kubeconfig /etc/kubernetes/admin.conf --cache-dir /tmp/kubectl-cache";

/**
 * HostPrep on the node as the product runs it (components/host-prep/index.ts): the host's PreparedHost logs in first,
 * then each step's Command runs the step's command line, sent as the SSH session's exec request.
 */
async function prepareHost(shell: LabShell, spec: ClusterSpec, node: NodeSpec): Promise<void> {
  const host = preparedHostInputs(node.connection, node.name, hostPrepSteps(spec, node));
  await preparedHostProvider.create!(host);
  for (const step of host.steps) {
    const run = await shell.ssh(node.name, stepCommand(host, step));
    assert.equal(run.code, 0, `${node.name} ${step.step}:\n${run.stdout}\n${run.stderr}`);
  }
}

describe("kubeadm providers against the lab", function () {
  this.timeout(900_000);
  let lab: Lab | undefined;
  let tmp: string | undefined;
  let spec: ClusterSpec;
  let master: NodeSpec;
  let worker: NodeSpec;
  const ca = opensslClusterCa("ecdsa");
  let initInputs: KubeadmInitInputs;
  let joinInputs: KubeadmJoinInputs;
  let initOuts: KubeadmInitOutputs | undefined;
  let joinOuts: KubeadmJoinOutputs | undefined;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    lab = await startLab({
      name: LAB,
      hosts: [
        { name: "master01", distro: "ubuntu" },
        { name: "worker01", distro: "ubuntu" },
      ],
    });
    // The lab's hosts as the product reaches real ones: SSH through the loopback forwarder with the host key
    // pinned, the lab address as advertiseAddress.
    const host = (h: Lab["inventory"]["hosts"][number]) => ({
      name: h.name,
      address: h.sshAddress,
      port: h.sshPort,
      advertiseAddress: h.address,
      hostKey: h.hostKey,
    });
    const raw = mergeConfig(
      {
        controlPlane: [host(lab.host("master01"))],
        workers: [host(lab.host("worker01"))],
        ssh: { user: "root", privateKeyFile: lab.inventory.privateKeyPath },
        kubernetesVersion: "v1.35.4",
        // The lab's hosts only offer cgroup v1 (HostPrep's preflight refuses them otherwise).
        kubelet: { allowCgroupV1: true },
        imageRepository: "registry.aliyuncs.com/google_containers",
        packages: {
          apt: {
            kubernetesRepository: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/",
            containerdRepository: "https://mirrors.aliyun.com/docker-ce/linux/ubuntu/",
          },
          yum: {
            kubernetesRepository: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/",
            containerdRepository: "https://mirrors.aliyun.com/docker-ce/linux/centos/",
          },
        },
        joinTokenTtl: "10m",
        drain: { timeoutSeconds: 30 },
        addons: { flannel: { enabled: false } },
      },
      // Images from the lab's registry through containerd's mirror settings; what a nested host needs.
      realNodeMirrors(lab.network.registry),
    );
    const validated = validateConfig(raw, { baseDir: repoRoot });
    assert.ok(validated.ok, JSON.stringify(!validated.ok && validated.problems));
    spec = resolveConfig(validated.config, { baseDir: repoRoot });
    [master] = spec.controlPlane;
    [worker] = spec.workers;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-kadm-"));
    const shell = labShell(lab, tmp);
    await Promise.all([prepareHost(shell, spec, master), prepareHost(shell, spec, worker)]);

    initInputs = {
      connection: master.connection,
      node: nodeSettings(master),
      cluster: clusterSettings(spec),
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      resetScript: readResetScript(),
    };
    joinInputs = {
      connection: worker.connection,
      controlPlane: { name: master.name, connection: master.connection },
      node: nodeSettings(worker),
      cluster: clusterSettings(spec),
      apiEndpoint: spec.controlPlaneEndpoint,
      caCertHash: caCertHash(ca.certPem),
      resetScript: readResetScript(),
    };
  });

  after(async () => {
    await lab?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("a preflight failure shows kubeadm's own [ERROR ...] lines", async () => {
    await lab!.run("master01", "echo 0 > /proc/sys/net/ipv4/ip_forward");
    try {
      const { error } = await captureConsole(() => kubeadmInitProvider.create(initInputs));
      assert.ok(error, "create fails");
      assert.match(error.message, /^kubeadm init failed on master01 \(root@127\.0\.0\.1:\d+\) \(exit status 1\):/);
      assert.match(error.message, /\[ERROR FileContent--proc-sys-net-ipv4-ip_forward\]/);
      assert.match(error.message, /error execution phase preflight/);
    } finally {
      await lab!.run("master01", "echo 1 > /proc/sys/net/ipv4/ip_forward");
    }
  });

  it("a failed kubeadm init leaves the host reset, and the error names the host, the step and kubeadm's line", async () => {
    // A read-only (empty) manifests directory passes kubeadm's preflight; kubeadm then writes the certificates
    // and kubeconfigs, and fails for real when it writes the first static Pod manifest.
    await lab!.run(
      "master01",
      "mkdir -p /etc/kubernetes/manifests && mount -t tmpfs -o ro tmpfs /etc/kubernetes/manifests",
    );
    let failed: Awaited<ReturnType<typeof captureConsole>>;
    try {
      failed = await captureConsole(() => kubeadmInitProvider.create(initInputs));
    } finally {
      await lab!.run("master01", "umount /etc/kubernetes/manifests");
    }
    const { error, lines } = failed;
    assert.ok(error, "create fails");
    assert.match(error.message, /^kubeadm init failed on master01 \(root@127\.0\.0\.1:\d+\) \(exit status 1\):/);
    assert.match(error.message, /error execution phase etcd.*read-only file system/);
    assert.match(error.message, /The host was reset/);
    assert.ok(
      lines.some((l) => l.startsWith("[master01] kubeadm init: [certs] Generating")),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => l.startsWith("[master01] reset:")),
      lines.join("\n"),
    );
    // What kubeadm had written (certificates, kubeconfigs) is gone, and so is the config with the token.
    const state = parseHostState(await lab!.run("master01", inspectScript()));
    assert.deepEqual(state.footprintItems, []);
    const left = await lab!.exec("master01", "ls -A /etc/kubernetes /etc/kubernetes/manifests 2>/dev/null");
    assert.doesNotMatch(left.stdout, /\.conf|\.yaml|pulumi-kubeadm/, left.stdout);
  });

  it("init creates a working control plane; no token or key reaches the output", async () => {
    const { result, error, lines } = await captureConsole(() => kubeadmInitProvider.create(initInputs));
    assert.equal(error, undefined, error?.message);
    initOuts = result!.outs as KubeadmInitOutputs;
    const nodes = await lab!.run("master01", `${KUBECTL} get nodes`);
    assert.match(nodes, /^master01\s/m);
    assert.equal(initOuts.apiEndpoint, spec.controlPlaneEndpoint);
    const caData = /certificate-authority-data: (\S+)/.exec(initOuts.kubeconfig)?.[1] ?? "";
    assert.equal(caCertHash(Buffer.from(caData, "base64").toString()), caCertHash(ca.certPem), "kubeconfig has the CA");
    assert.equal(initOuts.caCertHash, caCertHash(ca.certPem));
    const onHost = await lab!.run("master01", "cat /etc/kubernetes/pki/ca.crt");
    assert.equal(onHost.trim(), ca.certPem.trim(), "kubeadm used the cluster CA");
    assert.equal((await lab!.exec("master01", "test -e /etc/kubernetes/pulumi-kubeadm/init.yaml")).code, 1);
    const secret = initOuts.bootstrapToken.split(".")[1];
    for (const line of lines) {
      assert.ok(!line.includes(secret), `token leaked: ${line}`);
      assert.ok(!line.includes(ca.keyPem.split("\n")[1]), `CA key leaked: ${line}`);
    }
    assert.ok(
      lines.some((l) => l.startsWith("[master01] kubeadm init: ")),
      lines.join("\n"),
    );
    // The default control plane keeps its NoSchedule taint (schedulableControlPlane is false).
    const taints = await lab!.run("master01", `${KUBECTL} get node master01 -o json`);
    assert.match(taints, /node-role\.kubernetes\.io\/control-plane/);
  });

  it("create again (a re-run after an interruption) adopts the control plane instead of failing", async () => {
    const apiserver = async () =>
      (await lab!.run("master01", "crictl ps --name kube-apiserver -q")).trim() +
      (await lab!.run("master01", "crictl ps --name etcd -q")).trim();
    const running = await apiserver();
    assert.ok(running, "no kube-apiserver and etcd containers on master01");
    const { result, error, lines } = await captureConsole(() => kubeadmInitProvider.create(initInputs));
    assert.equal(error, undefined, error?.message);
    assert.equal((result!.outs as KubeadmInitOutputs).caCertHash, initOuts!.caCertHash);
    assert.ok(
      lines.some((l) => l.startsWith("[master01] adopt: done")),
      lines.join("\n"),
    );
    assert.ok(!lines.some((l) => l.startsWith("[master01] kubeadm init")), "kubeadm init ran again");
    // The same control plane: its containers were not restarted.
    assert.equal(await apiserver(), running);
    // The adoption's own token is a working one, and its own.
    const adopted = (result!.outs as KubeadmInitOutputs).bootstrapToken;
    assert.notEqual(adopted, initOuts!.bootstrapToken);
    const tokens = await lab!.run("master01", "kubeadm token list");
    assert.ok(tokens.includes(adopted.split(".")[0]), tokens);
  });

  it("refresh sees the control plane", async () => {
    const { result, error } = await captureConsole(() => kubeadmInitProvider.read!("master01", initOuts!));
    assert.equal(error, undefined, error?.message);
    assert.equal(result!.id, "master01");
  });

  it("join adds the worker with a fresh token, deleted afterwards", async () => {
    const { result, error, lines } = await captureConsole(() => kubeadmJoinProvider.create(joinInputs));
    assert.equal(error, undefined, `${error?.message}\n${lines.join("\n")}`);
    joinOuts = result!.outs as KubeadmJoinOutputs;
    const nodes = await lab!.run("master01", `${KUBECTL} get nodes`);
    assert.match(nodes, /^worker01\s/m);
    const tokens = await lab!.run("master01", "kubeadm token list");
    assert.ok(!tokens.includes("pulumi-kubeadm join of worker01"), tokens);
    assert.equal((await lab!.exec("worker01", "test -e /etc/kubernetes/pulumi-kubeadm/join.yaml")).code, 1);
  });

  it("delete of the worker drains it, deletes its Node and resets it, flannel's leftovers included", async () => {
    // What flannel leaves on a node (kubeadm.md §6); ip link is the real one, in the host's network namespace.
    await lab!.run(
      "worker01",
      "ip link add cni0 type bridge && ip link add flannel.1 type bridge && mkdir -p /etc/cni/net.d /run/flannel " +
        "/var/lib/cni/networks && touch /etc/cni/net.d/10-flannel.conflist /run/flannel/subnet.env /var/lib/cni/networks/x",
    );
    const { error, lines } = await captureConsole(() => kubeadmJoinProvider.delete!("worker01", joinOuts!));
    assert.equal(error, undefined, `${error?.message}\n${lines.join("\n")}`);
    assert.ok(
      lines.some((l) => l.startsWith("[worker01] drain")),
      lines.join("\n"),
    );
    const nodes = await lab!.run("master01", `${KUBECTL} get nodes`);
    assert.doesNotMatch(nodes, /^worker01\s/m);
    assert.equal((await lab!.exec("worker01", "test -e /etc/kubernetes/kubelet.conf")).code, 1);
    const left = await lab!.exec(
      "worker01",
      "ip -o link show; ls -A /etc/cni/net.d; ls -d /run/flannel /var/lib/cni /etc/kubernetes/pulumi-kubeadm 2>/dev/null",
    );
    assert.doesNotMatch(left.stdout, /cni0|flannel|subnet\.env|\/var\/lib\/cni|pulumi-kubeadm/, left.stdout);
    assert.ok(
      lines.some((l) => l === "[worker01] reset: deleted link cni0"),
      lines.join("\n"),
    );
  });

  it("delete of a worker that is unreachable warns and succeeds", async () => {
    await lab!.hostDown("worker01");
    const { error, lines } = await captureConsole(() => kubeadmJoinProvider.delete!("worker01", joinOuts!));
    assert.equal(error, undefined, error?.message);
    assert.ok(
      lines.some((l) => l.startsWith("warning: [worker01] ") && /127\.0\.0\.1:\d+/.test(l)),
      lines.join("\n"),
    );
  });

  it("delete of the control plane resets it", async () => {
    const { error } = await captureConsole(() => kubeadmInitProvider.delete!("master01", initOuts!));
    assert.equal(error, undefined, error?.message);
    const left = await lab!.exec("master01", "ls -A /etc/kubernetes/manifests; test -e /etc/kubernetes/admin.conf");
    assert.equal(left.code, 1);
    assert.equal(left.stdout.trim(), "");
  });

  it("delete of a control plane that is unreachable warns and succeeds", async () => {
    await lab!.hostDown("master01");
    const { error, lines } = await captureConsole(() => kubeadmInitProvider.delete!("master01", initOuts!));
    assert.equal(error, undefined, error?.message);
    assert.ok(
      lines.some((l) => l.startsWith("warning: [master01] ")),
      lines.join("\n"),
    );
  });
});
