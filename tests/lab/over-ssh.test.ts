// The lab as the product meets it: three real hosts reached with the real OpenSSH client only, on which the
// package managers, systemd, kubeadm and kubectl (doubles) succeed and fail with the real tools' exit codes
// and texts (lab/README.md, /work/shared/reference/kubeadm.md §2-§6). One lab, one cluster, in this order:
// packages and units, kubeadm init preflight failures, init, tokens on the lab clock, join failures and joins,
// kubectl, reset.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { knownHostsLine, startLab, type Lab } from "../../lab";
import { PREFIX_LENGTH } from "../../lab/names";
import { repoRoot } from "../../tools/paths";
import { leftovers, snapshot, type MachineSnapshot } from "./leftovers";

const LAB = "overssh";
const VERSION = "v1.35.4";
const APT_MIRROR = "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/";
const YUM_MIRROR = "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/";
const ALLOWED_REPOSITORY = "registry.aliyuncs.com/google_containers";
const ADMIN = "--kubeconfig /etc/kubernetes/admin.conf";

const STACK_HINT = "To see the stack trace of this error execute with --v=5 or higher\n";
const PREFLIGHT_TAIL =
  "[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\n" +
  "error: error execution phase preflight: preflight checks failed\n" +
  STACK_HINT;
const SWAP_WARNING =
  "\t[WARNING Swap]: swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable swap on the node\n";
const CRI_DOWN =
  'could not connect to the container runtime: failed to create new CRI runtime service: validate service connection: validate CRI v1 runtime API for endpoint "unix:///var/run/containerd/containerd.sock": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /var/run/containerd/containerd.sock: connect: no such file or directory"';

/** An address as a regular expression matches it literally. */
function escaped(address: string): string {
  return address.replace(/\./g, "\\.");
}

interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe("lab over ssh: packages, units, kubeadm and kubectl as the real tools", function () {
  this.timeout(300_000);
  let lab: Lab | undefined;
  let tmp: string;
  let knownHosts: string;
  let machineBefore: MachineSnapshot;
  // Learnt along the way.
  let initToken = "";
  let caHash = "";
  let shortToken = "";

  /** The real OpenSSH client, host keys pinned by a known_hosts file built from the inventory. */
  function ssh(host: string, command: string, options: { user?: string; input?: string } = {}): Promise<SshResult> {
    const args = [...lab!.sshArgs(host, options.user ?? "root", knownHosts), command];
    return new Promise((resolve, reject) => {
      const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 255, stdout, stderr });
      });
      child.stdin.end(options.input ?? "");
    });
  }

  async function ok(host: string, command: string, options: { user?: string; input?: string } = {}): Promise<string> {
    const r = await ssh(host, command, options);
    assert.equal(r.code, 0, `${host}: ${command} exited with ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  async function fails(host: string, command: string, code: number): Promise<SshResult> {
    const r = await ssh(host, command);
    assert.equal(r.code, code, `${host}: ${command} exited with ${r.code}, not ${code}\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  /** kubeadm's preflight failure: exactly these [ERROR ...] lines, then its tail, exit 1. */
  function assertPreflightErrors(r: SshResult, errors: string[]): void {
    assert.equal(r.code, 1, r.stderr);
    const block = "[preflight] Some fatal errors occurred:\n" + errors.map((e) => `\t[ERROR ${e}\n`).join("");
    assert.ok(r.stderr.endsWith(block + PREFLIGHT_TAIL), `expected\n${block}${PREFLIGHT_TAIL}\ngot\n${r.stderr}`);
  }

  /** stderr without preflight warnings (containerd 1.7 draws kubeadm's ContainerRuntimeVersion warning). */
  function errors(r: SshResult): string {
    return r.stderr
      .split("\n")
      .filter((l) => !l.startsWith("\t[WARNING "))
      .join("\n");
  }

  /** The HostPrep script as the product runs it: lib.sh prepended, settings in the environment. */
  function repositoriesScript(): string {
    const dir = path.join(repoRoot, "components", "host-prep", "scripts");
    return (
      `${fs.readFileSync(path.join(dir, "lib.sh"), "utf8")}\n` +
      fs.readFileSync(path.join(dir, "package-repositories.sh"), "utf8")
    );
  }

  function initConfig(imageRepository?: string): string {
    return [
      "apiVersion: kubeadm.k8s.io/v1beta4",
      "kind: InitConfiguration",
      "localAPIEndpoint:",
      `  advertiseAddress: ${lab!.host("cp1").address}`,
      "  bindPort: 6443",
      "nodeRegistration:",
      "  name: cp1",
      "---",
      "apiVersion: kubeadm.k8s.io/v1beta4",
      "kind: ClusterConfiguration",
      `kubernetesVersion: ${VERSION}`,
      ...(imageRepository ? [`imageRepository: ${imageRepository}`] : []),
      "",
    ].join("\n");
  }

  function join(token: string, hash: string, endpoint = `${lab!.host("cp1").address}:6443`): string {
    return `kubeadm join ${endpoint} --token ${token} --discovery-token-ca-cert-hash sha256:${hash}`;
  }

  /** NAME -> STATUS of `kubectl get nodes` on cp1. */
  async function nodes(): Promise<Record<string, string>> {
    const out = await ok("cp1", `kubectl ${ADMIN} get nodes --no-headers`);
    return Object.fromEntries(
      out
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(/\s+/).slice(0, 2)),
    );
  }

  before(async function () {
    machineBefore = snapshot();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-overssh-"));
    lab = await startLab({
      name: LAB,
      hosts: [
        { name: "cp1", distro: "ubuntu" },
        { name: "w1", distro: "rocky" },
        { name: "w2", distro: "ubuntu" },
      ],
    });
    knownHosts = path.join(tmp, "known_hosts");
    fs.writeFileSync(knownHosts, lab.inventory.hosts.map((h) => knownHostsLine(h) + "\n").join(""));
    // As behind the firewall the product is built for: registry.k8s.io times out, the aliyun mirror answers.
    // Short lab waits (kubeadm's are minutes): discovery gives up after 2 s, an unhealthy kubelet after 2 s.
    fs.writeFileSync(
      path.join(lab.sharedDir, "registries.json"),
      JSON.stringify({ blocked: ["registry.k8s.io"], allowed: ["registry.aliyuncs.com"] }),
    );
    fs.writeFileSync(
      path.join(lab.sharedDir, "settings.json"),
      JSON.stringify({ discoveryTimeoutSeconds: 2, discoveryRetrySeconds: 0.5, kubeletHealthTimeoutSeconds: 2 }),
    );
  });

  after(async function () {
    await lab?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (machineBefore) assert.deepEqual(leftovers(LAB, machineBefore), []);
  });

  it("reaches three isolated hosts, each with its own name, distribution, address and files", async function () {
    const [cp1, w1, w2] = await Promise.all(
      ["cp1", "w1", "w2"].map((h) => ok(h, ". /etc/os-release; echo $(hostname) $ID; ip -o -4 addr show eth0")),
    );
    const inet = (host: string) => ` inet ${escaped(lab!.host(host).address)}\\/${PREFIX_LENGTH} `;
    assert.match(cp1, new RegExp(`^cp1 ubuntu\\n.*${inet("cp1")}`));
    assert.match(w1, new RegExp(`^w1 rocky\\n.*${inet("w1")}`));
    assert.match(w2, new RegExp(`^w2 ubuntu\\n.*${inet("w2")}`));
    await ok("cp1", "echo cp1 > /etc/overssh-marker");
    assert.equal(await ok("cp1", "cat /etc/overssh-marker"), "cp1\n");
    await fails("w2", "test -e /etc/overssh-marker", 1);
    assert.equal(fs.existsSync("/etc/overssh-marker"), false);
    // Each family's tools only; nothing of Kubernetes on a fresh host.
    await fails("w1", "command -v apt-get", 1);
    await fails("cp1", "command -v dnf", 1);
    const r = await fails("cp1", "kubeadm version", 127);
    assert.match(r.stderr, /kubeadm: command not found/);
  });

  it("apt installs kubelet only from a well-formed repository of the mirror, in a version the mirror has", async function () {
    let r = await fails("cp1", "apt-get install -y kubelet", 100);
    assert.ok(r.stderr.includes("E: Unable to locate package kubelet\n"), r.stderr);

    // A malformed definition stops apt from reading any source.
    await ok(
      "cp1",
      `echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg ${APT_MIRROR} /' > /etc/apt/sources.list.d/kubernetes.list`,
    );
    r = await fails("cp1", "apt-get update -q", 100);
    assert.ok(
      r.stderr.includes(
        "E: Malformed entry 1 in list file /etc/apt/sources.list.d/kubernetes.list ([option] unparsable)\n" +
          "E: The list of sources could not be read.\n",
      ),
      r.stderr,
    );
    await ok("cp1", "rm /etc/apt/sources.list.d/kubernetes.list");

    // The product's own commands (HostPrep's package-repositories.sh), on both Ubuntu hosts.
    const env = `APT_KUBERNETES_REPOSITORY=${APT_MIRROR} APT_KUBERNETES_KEY_URL=${APT_MIRROR}Release.key APT_CONTAINERD_REPOSITORY=`;
    const [cp1, w2] = await Promise.all(
      ["cp1", "w2"].map((h) => ok(h, `${env} sh -s`, { input: repositoriesScript() })),
    );
    for (const out of [cp1, w2]) {
      assert.ok(out.includes(`Get:1 ${APT_MIRROR.replace(/\/$/, "")}  InRelease`), out);
      assert.ok(out.endsWith("package repositories configured (apt)\n"), out);
    }
    assert.equal(
      await ok("cp1", "cat /etc/apt/sources.list.d/kubernetes.list"),
      `deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${APT_MIRROR} /\n`,
    );

    // A repository the mirror does not have.
    await ok(
      "cp1",
      `echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${APT_MIRROR.replace("v1.35", "v1.99")} /' > /etc/apt/sources.list.d/v199.list`,
    );
    r = await fails("cp1", "apt-get update -q", 100);
    assert.ok(
      r.stderr.includes(
        `E: The repository '${APT_MIRROR.replace("v1.35", "v1.99").replace(/\/$/, "")}  Release' does not have a Release file.\n`,
      ),
      r.stderr,
    );
    await ok("cp1", "rm /etc/apt/sources.list.d/v199.list && apt-get update -q");

    r = await fails("cp1", "apt-get install -y kubelet=1.35.9-1.1", 100);
    assert.ok(r.stderr.includes("E: Version '1.35.9-1.1' for 'kubelet' was not found\n"), r.stderr);

    const out = await ok(
      "cp1",
      "DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubelet=1.35.4-1.1 kubeadm=1.35.4-1.1 kubectl=1.35.4-1.1 containerd",
    );
    for (const line of ["Setting up kubelet (1.35.4-1.1) ...", "Setting up kubeadm (1.35.4-1.1) ..."])
      assert.ok(out.includes(line), out);
    assert.equal(await ok("cp1", "kubeadm version -o short"), `${VERSION}\n`);
    assert.equal(await ok("cp1", "dpkg-query -W -f='${Version}' kubelet"), "1.35.4-1.1");
    // Installed on cp1 only.
    await fails("w2", "command -v kubelet", 1);
  });

  it("dnf installs the excluded Kubernetes packages only with --disableexcludes=kubernetes", async function () {
    let r = await fails("w1", "dnf install -y kubelet-1.35.4", 1);
    assert.ok(r.stdout.includes("No match for argument: kubelet-1.35.4\n"), r.stdout);
    assert.ok(r.stderr.includes("Error: Unable to find a match: kubelet-1.35.4\n"), r.stderr);

    const env =
      `YUM_KUBERNETES_REPOSITORY=${YUM_MIRROR} YUM_KUBERNETES_KEY_URL=${YUM_MIRROR}repodata/repomd.xml.key ` +
      "YUM_CONTAINERD_REPOSITORY=https://mirrors.aliyun.com/docker-ce/linux/centos/";
    assert.ok(
      (await ok("w1", `${env} sh -s`, { input: repositoriesScript() })).endsWith(
        "package repositories configured (dnf)\n",
      ),
    );
    assert.match(
      await ok("w1", "cat /etc/yum.repos.d/kubernetes.repo"),
      /^exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni$/m,
    );

    r = await fails("w1", "dnf install -y kubelet-1.35.4", 1);
    assert.ok(
      r.stdout.includes("All matches were filtered out by exclude filtering for argument: kubelet-1.35.4\n"),
      r.stdout,
    );
    assert.ok(r.stderr.includes("Error: Unable to find a match: kubelet-1.35.4\n"), r.stderr);

    r = await fails("w1", "dnf install -y --disableexcludes=kubernetes kubelet-1.35.9", 1);
    assert.ok(r.stdout.includes("No match for argument: kubelet-1.35.9\n"), r.stdout);

    const out = await ok(
      "w1",
      "dnf install -y --disableexcludes=kubernetes kubelet-1.35.4 kubeadm-1.35.4 kubectl-1.35.4 && dnf install -y containerd.io",
    );
    assert.ok(out.includes("Complete!\n"), out);
    assert.equal(await ok("w1", "rpm -q kubeadm"), "kubeadm-1.35.4-150500.1.1.x86_64\n");
    assert.match(await ok("w1", "containerd --version"), /^containerd containerd\.io v2\.1\.\d+ /);
  });

  it("systemctl keeps unit state: enable, start, stop, restart, is-active, and a missing unit's errors", async function () {
    // RPM policy: nothing enabled or started by the install.
    let r = await fails("w1", "systemctl is-enabled containerd", 1);
    assert.equal(r.stdout, "disabled\n");
    r = await fails("w1", "systemctl is-active containerd", 3);
    assert.equal(r.stdout, "inactive\n");

    // containerd.io ships CRI disabled: the default config turns it on.
    await ok("w1", "containerd config default > /etc/containerd/config.toml");
    r = await ssh("w1", "systemctl enable --now containerd");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr,
      "Created symlink /etc/systemd/system/multi-user.target.wants/containerd.service → /usr/lib/systemd/system/containerd.service.\n",
    );
    assert.equal(await ok("w1", "systemctl is-enabled containerd"), "enabled\n");
    assert.equal(await ok("w1", "systemctl is-active containerd"), "active\n");
    await ok("w1", "systemctl stop containerd");
    assert.equal((await fails("w1", "systemctl is-active containerd", 3)).stdout, "inactive\n");
    await ok("w1", "systemctl start containerd");
    assert.equal(await ok("w1", "systemctl is-active containerd"), "active\n");
    await ok("w1", "systemctl restart containerd");
    assert.equal(await ok("w1", "systemctl is-active containerd"), "active\n");

    // The kubelet waits for kubeadm's config: "activating" is not active.
    await ok("w1", "systemctl enable --now kubelet");
    assert.equal((await fails("w1", "systemctl is-active kubelet", 3)).stdout, "activating\n");

    r = await fails("w1", "systemctl start nosuch", 5);
    assert.equal(r.stderr, "Failed to start nosuch.service: Unit nosuch.service not found.\n");
    assert.equal((await fails("w1", "systemctl is-active nosuch", 3)).stdout, "inactive\n");
    r = await fails("w1", "systemctl enable nosuch", 1);
    assert.equal(r.stderr, "Failed to enable unit: Unit file nosuch.service does not exist.\n");
    r = await fails("w1", "systemctl status nosuch", 4);
    assert.equal(r.stderr, "Unit nosuch.service could not be found.\n");

    // Debian policy on cp1: containerd and the kubelet enabled and started by the install.
    assert.equal(await ok("cp1", "systemctl is-enabled kubelet containerd"), "enabled\nenabled\n");
    assert.equal(await ok("cp1", "systemctl is-active containerd"), "active\n");
  });

  it("kubeadm init preflight fails like kubeadm: ip_forward, runtime down, port taken, blocked registry", async function () {
    await ok("cp1", "cat > /root/kubeadm.yaml", { input: initConfig(ALLOWED_REPOSITORY) });
    await ok("cp1", "cat > /root/blocked.yaml", { input: initConfig() });

    // A fresh network namespace forwards nothing; swap is still on (a warning only).
    let r = await ssh("cp1", "kubeadm init --config /root/kubeadm.yaml");
    assert.equal(r.stdout, `[init] Using Kubernetes version: ${VERSION}\n[preflight] Running pre-flight checks\n`);
    assert.ok(r.stderr.includes(SWAP_WARNING), r.stderr);
    assertPreflightErrors(r, [
      "FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1",
    ]);
    await ok("cp1", "sysctl -w net.ipv4.ip_forward=1 && modprobe br_netfilter");

    await ok("cp1", "systemctl stop containerd");
    r = await ssh("cp1", "kubeadm init --config /root/kubeadm.yaml");
    assertPreflightErrors(r, [`CRI]: ${CRI_DOWN}`, `ContainerRuntimeVersion]: ${CRI_DOWN}`]);
    await ok("cp1", "systemctl start containerd");

    // A real listener on 6443.
    await ok(
      "cp1",
      "setsid socat TCP-LISTEN:6443,reuseaddr,fork SYSTEM:true </dev/null >/dev/null 2>&1 & echo $! > /run/overssh-socat.pid; " +
        "for i in $(seq 50); do ss -ltn | grep -q ':6443 ' && exit 0; sleep 0.1; done; exit 1",
    );
    r = await ssh("cp1", "kubeadm init --config /root/kubeadm.yaml");
    assertPreflightErrors(r, ["Port-6443]: Port 6443 is in use"]);
    await ok("cp1", "kill $(cat /run/overssh-socat.pid)");

    // registry.k8s.io (the default repository) is blocked: every image times out, nothing is written.
    r = await ssh("cp1", "kubeadm init --config /root/blocked.yaml");
    assert.ok(
      r.stdout.endsWith("[preflight] You can also perform this action beforehand using 'kubeadm config images pull'\n"),
    );
    const pulls = r.stderr.split("\n").filter((l) => l.startsWith("\t[ERROR ImagePull]: "));
    assert.equal(pulls.length, 7, r.stderr);
    assert.ok(
      r.stderr.includes(
        `\t[ERROR ImagePull]: failed to pull image registry.k8s.io/kube-apiserver:${VERSION}: failed to pull image "registry.k8s.io/kube-apiserver:${VERSION}": rpc error: code = Unknown desc = failed to pull and unpack image "registry.k8s.io/kube-apiserver:${VERSION}": failed to resolve reference "registry.k8s.io/kube-apiserver:${VERSION}": failed to do request: Head "https://registry.k8s.io/v2/kube-apiserver/manifests/${VERSION}": dial tcp: lookup registry.k8s.io: i/o timeout\n`,
      ),
      r.stderr,
    );
    assertPreflightErrors(
      r,
      pulls.map((l) => l.slice("\t[ERROR ".length)),
    );
    await fails("cp1", "test -e /etc/kubernetes/pki/ca.crt", 1);
  });

  it("kubeadm init with swap on warns, then fails in wait-control-plane; a second init finds the manifests", async function () {
    let r = await ssh("cp1", "kubeadm init --config /root/kubeadm.yaml");
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(SWAP_WARNING), r.stderr);
    // The images came from the allowed mirror.
    assert.match(r.stdout, /\[certs\] Generating "apiserver" certificate and key\n/);
    assert.ok(r.stdout.includes("[kubelet-check] The kubelet is not healthy after 4m0"), r.stdout);
    assert.ok(
      r.stderr.endsWith(
        "error: error execution phase wait-control-plane: failed while waiting for the kubelet to start: The HTTP call equal to 'curl -sSL http://127.0.0.1:10248/healthz' returned error: Get \"http://127.0.0.1:10248/healthz\": context deadline exceeded\n" +
          STACK_HINT,
      ),
      r.stderr,
    );
    const images = await ok("cp1", "crictl images");
    assert.match(
      images,
      new RegExp(`^${ALLOWED_REPOSITORY.replace(/\./g, "\\.")}/kube-apiserver\\s+${VERSION}\\s`, "m"),
    );
    assert.doesNotMatch(images, /^registry\.k8s\.io\/kube-apiserver/m);

    r = await ssh("cp1", "kubeadm init --config /root/kubeadm.yaml");
    assertPreflightErrors(r, [
      ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"].map(
        (c) => `FileAvailable--etc-kubernetes-manifests-${c}.yaml]: /etc/kubernetes/manifests/${c}.yaml already exists`,
      ),
      "DirAvailable--var-lib-etcd]: /var/lib/etcd is not empty",
    ]);
    await ok("cp1", "kubeadm reset -f && swapoff -a");
  });

  it("kubeadm init preflight fails without a kubelet (w2: kubeadm installed alone)", async function () {
    await ok(
      "w2",
      "DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubeadm=1.35.4-1.1 containerd && swapoff -a && " +
        "modprobe br_netfilter && sysctl -w net.ipv4.ip_forward=1",
    );
    const r = await ssh("w2", "kubeadm init");
    assert.ok(r.stderr.includes("\t[WARNING Service-Kubelet]: kubelet service does not exist\n"), r.stderr);
    assertPreflightErrors(r, [
      `KubeletVersion]: couldn't get kubelet version: cannot execute 'kubelet --version': exec: "kubelet": executable file not found in $PATH`,
    ]);
    await ok("w2", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubelet=1.35.4-1.1 kubectl=1.35.4-1.1");
  });

  it("kubeadm init succeeds with kubeadm's output, join command and a real X.509 pki", async function () {
    const r = await ssh("cp1", "kubeadm init --config /root/kubeadm.yaml");
    assert.equal(r.code, 0, r.stderr);
    const address = lab!.host("cp1").address;
    for (const line of [
      `[init] Using Kubernetes version: ${VERSION}`,
      '[certs] Using certificateDir folder "/etc/kubernetes/pki"',
      `[certs] apiserver serving cert is signed for DNS names [cp1 kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local] and IPs [10.96.0.1 ${address}]`,
      '[kubeconfig] Writing "admin.conf" kubeconfig file',
      '[control-plane] Creating static Pod manifest for "kube-apiserver"',
      "[mark-control-plane] Marking the node cp1 as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]",
      "Your Kubernetes control-plane has initialized successfully!",
    ])
      assert.ok(r.stdout.includes(line + "\n"), `missing ${line}\n${r.stdout}`);
    // containerd 1.7 keeps pause:3.8; kubeadm says which sandbox image it expects.
    assert.ok(
      r.stderr.includes(
        `] detected that the sandbox image "registry.k8s.io/pause:3.8" of the container runtime is inconsistent with that used by kubeadm. It is recommended to use "${ALLOWED_REPOSITORY}/pause:3.10.1" as the CRI sandbox image.\n`,
      ),
      r.stderr,
    );
    const m = new RegExp(
      `\nThen you can join any number of worker nodes by running the following on each as root:\n\n` +
        `kubeadm join ${address.replace(/\./g, "\\.")}:6443 --token ([a-z0-9]{6}\\.[a-z0-9]{16}) \\\\\n` +
        `\t--discovery-token-ca-cert-hash sha256:([0-9a-f]{64}) \n$`,
    ).exec(r.stdout);
    assert.ok(
      m,
      `join command (TAB continuation, trailing space) not found in\n${JSON.stringify(r.stdout.slice(-300))}`,
    );
    initToken = m[1];
    caHash = m[2];

    // The pki is real: openssl on the host and Node's X.509 here agree.
    assert.equal(
      await ok("cp1", "openssl verify -CAfile /etc/kubernetes/pki/ca.crt /etc/kubernetes/pki/apiserver.crt"),
      "/etc/kubernetes/pki/apiserver.crt: OK\n",
    );
    const hostHash = await ok(
      "cp1",
      "openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex",
    );
    assert.equal(hostHash.trim().split(" ").pop(), caHash);
    const ca = new crypto.X509Certificate(await ok("cp1", "cat /etc/kubernetes/pki/ca.crt"));
    const apiserver = new crypto.X509Certificate(await ok("cp1", "cat /etc/kubernetes/pki/apiserver.crt"));
    assert.ok(apiserver.verify(ca.publicKey));
    assert.ok(apiserver.checkIssued(ca));
    assert.equal(ca.subject, "CN=kubernetes");
    assert.ok(apiserver.subjectAltName?.includes(`IP Address:${address}`), apiserver.subjectAltName);
    assert.equal(
      crypto
        .createHash("sha256")
        .update(ca.publicKey.export({ type: "spki", format: "der" }))
        .digest("hex"),
      caHash,
    );

    const files = await ok(
      "cp1",
      "cd /etc/kubernetes && ls *.conf manifests pki | tr '\\n' ' '; ls /var/lib/kubelet/config.yaml /var/lib/etcd",
    );
    for (const f of ["admin.conf", "super-admin.conf", "kubelet.conf", "controller-manager.conf", "scheduler.conf"])
      assert.ok(files.includes(f), files);
    for (const f of [
      "etcd.yaml",
      "kube-apiserver.yaml",
      "ca.key",
      "sa.pub",
      "front-proxy-ca.crt",
      "apiserver-etcd-client.crt",
    ])
      assert.ok(files.includes(f), files);
    assert.equal(await ok("cp1", "systemctl is-active kubelet"), "active\n");
  });

  it("kubectl with admin.conf answers get nodes; without a kubeconfig or as kube without sudo it fails like kubectl", async function () {
    assert.deepEqual(await nodes(), { cp1: "Ready" });
    assert.match(
      await ok("cp1", `kubectl ${ADMIN} get nodes`),
      /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\ncp1\s+Ready\s+control-plane\s+\S+\s+v1\.35\.4\n$/,
    );
    let r = await fails("cp1", "kubectl get nodes", 1);
    assert.equal(
      r.stderr,
      "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n",
    );
    await ok("cp1", "mkdir -p $HOME/.kube && cp -i /etc/kubernetes/admin.conf $HOME/.kube/config");
    assert.match(await ok("cp1", "kubectl get node cp1 -o name"), /^node\/cp1\n$/);

    // admin.conf is root's (0600): kube reads it through sudo only.
    r = await ssh("cp1", `kubectl ${ADMIN} get nodes`, { user: "kube" });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'error: error loading config file "/etc/kubernetes/admin.conf": open /etc/kubernetes/admin.conf: permission denied\n',
    );
    assert.match(
      await ok("cp1", `sudo -n kubectl ${ADMIN} get nodes`, { user: "kube" }),
      /^cp1\s+Ready\s+control-plane/m,
    );
  });

  it("kubeadm token create/list keep tokens whose TTL runs on the lab clock", async function () {
    shortToken = (await ok("cp1", `kubeadm token create ${ADMIN} --ttl 1h --description overssh`)).trim();
    assert.match(shortToken, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const row = (list: string, token: string): string[] | undefined =>
      list
        .split("\n")
        .find((l) => l.startsWith(token + " "))
        ?.split(/\s{2,}/);
    let list = await ok("cp1", `kubeadm token list ${ADMIN}`);
    assert.match(list, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS\n/);
    assert.match(row(list, initToken)![1], /^(23h|24h)$/);
    assert.deepEqual(row(list, shortToken)!.slice(3), [
      "authentication,signing",
      "overssh",
      "system:bootstrappers:kubeadm:default-node-token",
    ]);
    assert.match(row(list, shortToken)![1], /^(59m|1h)$/);

    lab!.advanceClock("30m");
    list = await ok("cp1", `kubeadm token list ${ADMIN}`);
    assert.match(row(list, shortToken)![1], /^(29m|30m)$/);
    assert.match(row(list, initToken)![1], /^23h$/);

    const printed = await ok("cp1", `kubeadm token create ${ADMIN} --print-join-command`);
    assert.match(
      printed,
      new RegExp(
        `^kubeadm join ${escaped(lab!.host("cp1").address)}:6443 --token [a-z0-9]{6}\\.[a-z0-9]{16} --discovery-token-ca-cert-hash sha256:${caHash} \n$`,
      ),
    );

    lab!.advanceClock("45m");
    list = await ok("cp1", `kubeadm token list ${ADMIN}`);
    assert.equal(row(list, shortToken), undefined, list);
    assert.ok(row(list, initToken), list);
  });

  it("kubeadm join fails as kubeadm does: unknown or expired token, wrong CA hash, unreachable endpoint", async function () {
    const identity = "error: error execution phase preflight: couldn't validate the identity of the API Server: ";
    let r = await fails("w2", join("abcdef.0123456789abcdef", caHash), 1);
    assert.equal(r.stdout, "[preflight] Running pre-flight checks\n");
    assert.ok(r.stderr.startsWith("\t[WARNING ContainerRuntimeVersion]: You must update your container runtime"));
    assert.equal(
      errors(r),
      `${identity}could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef"\n${STACK_HINT}`,
    );
    r = await fails("w2", join(shortToken, caHash), 1);
    assert.equal(
      errors(r),
      `${identity}could not find a JWS signature in the cluster-info ConfigMap for token ID "${shortToken.split(".")[0]}"\n${STACK_HINT}`,
    );
    r = await fails("w2", join(initToken, "0".repeat(64)), 1);
    assert.equal(
      errors(r),
      `${identity}cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "sha256:${caHash}" are pinned\n${STACK_HINT}`,
    );
    // No host at .99 on the lab network; nothing listens on cp1:6444.
    const nobody = lab!.network.host(97);
    r = await fails("w2", join(initToken, caHash, `${nobody}:6443`), 1);
    assert.equal(
      errors(r),
      `${identity}failed to request the cluster-info ConfigMap: Get "https://${nobody}:6443/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp ${nobody}:6443: connect: no route to host\n${STACK_HINT}`,
    );
    const cp1 = lab!.host("cp1").address;
    r = await fails("w2", join(initToken, caHash, `${cp1}:6444`), 1);
    assert.ok(r.stderr.includes(`dial tcp ${cp1}:6444: connect: connection refused\n`), r.stderr);
    // Discovery failed: nothing written.
    await fails("w2", "ls /etc/kubernetes/pki/ca.crt /etc/kubernetes/bootstrap-kubelet.conf", 2);
  });

  it("kubeadm join succeeds over the lab network; joining again fails preflight", async function () {
    await ok("w1", "swapoff -a && modprobe br_netfilter && sysctl -w net.ipv4.ip_forward=1");
    const [w1, w2] = await Promise.all(["w1", "w2"].map((h) => ssh(h, join(initToken, caHash))));
    for (const r of [w1, w2]) {
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        r.stdout.endsWith(
          "\nThis node has joined the cluster:\n" +
            "* Certificate signing request was sent to apiserver and a response was received.\n" +
            "* The Kubelet was informed of the new secure connection details.\n\n" +
            "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.\n\n",
        ),
        r.stdout,
      );
      assert.ok(
        r.stdout.includes(
          '[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n',
        ),
      );
    }
    // The worker's kubelet talks to the control plane at the endpoint given, with a CA-signed client certificate.
    assert.ok(
      (await ok("w1", "cat /etc/kubernetes/kubelet.conf")).includes(
        `server: https://${lab!.host("cp1").address}:6443\n`,
      ),
    );
    await fails("w1", "test -e /etc/kubernetes/bootstrap-kubelet.conf", 1);
    assert.match(
      await ok("w1", "openssl x509 -noout -subject -in /var/lib/kubelet/pki/kubelet-client-current.pem"),
      /CN\s*=\s*system:node:w1/,
    );
    assert.equal(
      await ok("w1", "cmp /etc/kubernetes/pki/ca.crt /dev/stdin && echo same", {
        input: await ok("cp1", "cat /etc/kubernetes/pki/ca.crt"),
      }),
      "same\n",
    );
    assert.equal(await ok("w1", "systemctl is-active kubelet"), "active\n");

    assert.deepEqual(await nodes(), { cp1: "Ready", w1: "Ready", w2: "Ready" });
    const wide = await ok("cp1", "kubectl get nodes -o wide --no-headers");
    assert.match(
      wide,
      new RegExp(
        `^w1\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.35\\.4\\s+${escaped(lab!.host("w1").address)}\\s+<none>\\s+Rocky Linux 9\\.\\d+ \\(Blue Onyx\\)\\s+\\S+\\s+containerd:\\/\\/2\\.1\\.\\d+$`,
        "m",
      ),
    );
    assert.match(
      wide,
      new RegExp(
        `^w2\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.35\\.4\\s+${escaped(lab!.host("w2").address)}\\s+<none>\\s+Ubuntu 24\\.04\\.\\d+ LTS\\s+\\S+\\s+containerd:\\/\\/1\\.7\\.\\d+$`,
        "m",
      ),
    );

    const r = await ssh("w1", join(initToken, caHash));
    assertPreflightErrors(r, [
      "FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists",
      "FileAvailable--etc-kubernetes-pki-ca.crt]: /etc/kubernetes/pki/ca.crt already exists",
    ]);
  });

  it("kubectl drain, taint and describe node agree with each other", async function () {
    assert.equal(await ok("cp1", "kubectl drain w1 --ignore-daemonsets"), "node/w1 cordoned\nnode/w1 drained\n");
    assert.equal((await nodes()).w1, "Ready,SchedulingDisabled");
    assert.equal(await ok("cp1", "kubectl taint nodes w1 dedicated=lab:NoSchedule"), "node/w1 tainted\n");
    const r = await fails("cp1", "kubectl taint nodes w1 dedicated=lab:NoSchedule", 1);
    assert.equal(
      r.stderr,
      "error: node w1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n",
    );
    const w1 = await ok("cp1", "kubectl describe node w1");
    assert.match(w1, /^Name:\s+w1$/m);
    assert.match(w1, /^Taints:\s+dedicated=lab:NoSchedule$/m);
    assert.match(w1, /^Unschedulable:\s+true$/m);
    assert.match(w1, /^ {2}Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status$/m);
    assert.match(w1, new RegExp(`^ {2}InternalIP:\\s+${escaped(lab!.host("w1").address)}$`, "m"));
    assert.match(w1, /^ {2}OS Image:\s+Rocky Linux 9/m);

    assert.match(
      await ok("cp1", "kubectl describe node cp1"),
      /^Taints:\s+node-role\.kubernetes\.io\/control-plane:NoSchedule$/m,
    );
    assert.equal(
      await ok("cp1", "kubectl taint nodes cp1 node-role.kubernetes.io/control-plane:NoSchedule-"),
      "node/cp1 untainted\n",
    );
    assert.match(await ok("cp1", "kubectl describe node cp1"), /^Taints:\s+<none>$/m);
    assert.match(await ok("cp1", "kubectl get node cp1 -o jsonpath={.spec.taints}"), /^$/);
  });

  it("kubeadm reset on a worker removes kubeadm's files, keeps CNI config, links and the Node object", async function () {
    await ok(
      "w2",
      "mkdir -p /etc/cni/net.d /root/.kube && echo '{}' > /etc/cni/net.d/10-lab.conflist && ip link add cni0 type bridge && " +
        "echo x > /root/.kube/config",
    );
    const r = await ssh("w2", "kubeadm reset -f");
    assert.equal(r.code, 0, r.stderr);
    for (const line of [
      "[preflight] Running pre-flight checks",
      "[reset] Stopping the kubelet service",
      "[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]",
      "[reset] Deleting files: [/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf]",
    ])
      assert.ok(r.stdout.includes(line + "\n"), `missing ${line}\n${r.stdout}`);
    assert.ok(
      r.stdout.endsWith(
        "\nThe reset process does not perform cleanup of CNI plugin configuration,\nnetwork filtering rules and kubeconfig files.\n\n" +
          "For information on how to perform this cleanup manually, please see:\n    https://k8s.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/\n\n",
      ),
    );
    await fails("w2", "test -e /etc/kubernetes/kubelet.conf", 1);
    assert.equal(await ok("w2", "find /etc/kubernetes/pki /var/lib/kubelet -mindepth 1 | wc -l"), "0\n");
    assert.equal(await ok("w2", "cat /etc/cni/net.d/10-lab.conflist /root/.kube/config"), "{}\nx\n");
    assert.match(await ok("w2", "ip -o link show cni0"), /cni0: /);
    assert.equal((await fails("w2", "systemctl is-active kubelet", 3)).stdout, "inactive\n");

    // The Node stays: still Ready until the node lifecycle controller's grace period passes.
    assert.equal((await nodes()).w2, "Ready");
    const again = await fails("w2", join(initToken, caHash), 1);
    assert.ok(
      again.stderr.endsWith(
        'error: error execution phase kubelet-start: a Node with name "w2" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node\n' +
          STACK_HINT,
      ),
      again.stderr,
    );
    lab!.advanceClock("1m");
    assert.equal((await nodes()).w2, "NotReady");
    assert.match(
      await ok("cp1", "kubectl describe node w2"),
      /^ {2}Ready\s+Unknown\s+.*NodeStatusUnknown\s+Kubelet stopped posting node status\.$/m,
    );

    // Deleted on the control plane, the node joins afresh (after another reset: the failed join wrote its CA).
    assert.equal(await ok("cp1", "kubectl delete node w2"), 'node "w2" deleted\n');
    const gone = await fails("cp1", "kubectl get node w2", 1);
    assert.equal(gone.stderr, 'Error from server (NotFound): nodes "w2" not found\n');
    await ok("w2", `kubeadm reset -f >/dev/null && ${join(initToken, caHash)} >/dev/null`);
    assert.deepEqual(await nodes(), { cp1: "Ready", w1: "Ready,SchedulingDisabled", w2: "Ready" });

    assert.equal(await ok("cp1", "kubectl delete node w1"), 'node "w1" deleted\n');
    assert.deepEqual(await nodes(), { cp1: "Ready", w2: "Ready" });
  });

  it("kubeadm reset on the control plane stops its API and keeps $HOME/.kube", async function () {
    const r = await ssh("cp1", "kubeadm reset -f");
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.stdout.includes(
        '[reset] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n',
      ),
    );
    assert.ok(r.stdout.includes("[reset] Deleted contents of the etcd data directory: /var/lib/etcd\n"), r.stdout);
    await fails("cp1", "ls /etc/kubernetes/admin.conf /etc/kubernetes/manifests/kube-apiserver.yaml", 2);
    assert.equal(
      await ok("cp1", "find /var/lib/etcd /etc/kubernetes/pki /etc/kubernetes/manifests -mindepth 1 | wc -l"),
      "0\n",
    );
    const refused = await fails("cp1", "kubectl get nodes", 1);
    assert.equal(
      refused.stderr,
      `The connection to the server ${lab!.host("cp1").address}:6443 was refused - did you specify the right host or port?\n`,
    );
    // The worker's kubelet cannot reach it either.
    const fromW2 = await fails("w2", "kubectl --kubeconfig /etc/kubernetes/kubelet.conf get node w2", 1);
    assert.ok(fromW2.stderr.includes(`${lab!.host("cp1").address}:6443`), fromW2.stderr);
  });
});
