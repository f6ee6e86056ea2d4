// The lab's kubeadm and kubectl doubles, run as subprocesses on temp hosts, with the real kubeadm for the
// offline phases and the lab API daemon on a loopback address.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { opensslCaCertHash, openssl } from "../kubeadm/openssl";
import { requireKubeadm } from "../kubeadm/real-kubeadm";
import {
  certificateKeyFrom,
  createLab,
  initConfig,
  joinArgs,
  loopbackEndpoint,
  TestHost,
  TestLab,
  withoutWarnings,
  workerJoin,
  writeExternalCa,
} from "./doubles-kubeadm-support";

const VERSION = "1.35.4";

describe("lab doubles: kubeadm init, join, token, reset and kubectl", function () {
  this.timeout(120_000);
  let lab: TestLab;
  let cp: TestHost;
  let initOut: string;
  let initErr: string;
  let initStatus: number | null;
  let endpoint: { address: string; port: number };
  let caFingerprintBefore: string;

  before(async function () {
    const binary = requireKubeadm(this, VERSION);
    lab = createLab(binary);
    endpoint = await loopbackEndpoint();
    cp = lab.host("cp1");
    const { certPath } = writeExternalCa(cp);
    caFingerprintBefore = new crypto.X509Certificate(fs.readFileSync(certPath)).fingerprint256;
    cp.write("/root/kubeadm.yaml", initConfig({ ...endpoint }));
    const r = cp.run("kubeadm", ["init", "--config", "/root/kubeadm.yaml", "--upload-certs"]);
    initOut = r.stdout;
    initErr = r.stderr;
    initStatus = r.status;
  });

  after(() => lab?.cleanup());

  const kubectl = (h: TestHost, ...args: string[]) =>
    h.run("kubectl", ["--kubeconfig", "/etc/kubernetes/admin.conf", ...args]);

  describe("init", () => {
    it("init succeeds with kubeadm's output and join commands", () => {
      assert.equal(initStatus, 0, initErr);
      const lines = initOut.split("\n");
      assert.equal(lines[0], "[init] Using Kubernetes version: v1.35.4");
      assert.equal(lines[1], "[preflight] Running pre-flight checks");
      const order = [
        "[preflight] Pulling images required for setting up a Kubernetes cluster",
        "[certs] Using existing ca certificate authority",
        '[certs] Generating "apiserver" certificate and key',
        '[kubeconfig] Writing "admin.conf" kubeconfig file',
        '[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"',
        '[control-plane] Creating static Pod manifest for "kube-apiserver"',
        "[kubelet-start] Starting the kubelet",
        '[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"',
        "[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to 4m0s",
        "[control-plane-check] Waiting for healthy control plane components. This can take up to 4m0s",
        '[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace',
        '[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace',
        "[upload-certs] Using certificate key:",
        "[mark-control-plane] Marking the node master01 as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]",
        "[mark-control-plane] Marking the node master01 as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]",
        "[bootstrap-token] Using token: abcdef.0123456789abcdef",
        '[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace',
        "[addons] Applied essential addon: CoreDNS",
        "[addons] Applied essential addon: kube-proxy",
        "Your Kubernetes control-plane has initialized successfully!",
      ];
      let at = -1;
      for (const l of order) {
        const i = lines.indexOf(l, at + 1);
        assert.ok(i > at, `missing or out of order: ${l}`);
        at = i;
      }
      const key = certificateKeyFrom(initOut);
      assert.match(key, /^[0-9a-f]{64}$/);
      const join = workerJoin(initOut);
      assert.equal(join.endpoint, `${endpoint.address}:${endpoint.port}`);
      assert.ok(join.raw.endsWith(" "), "worker join line ends with a space");
      assert.ok(
        initOut.includes(
          `  kubeadm join ${join.endpoint} --token abcdef.0123456789abcdef \\\n\t--discovery-token-ca-cert-hash ${join.hash} \\\n\t--control-plane --certificate-key ${key}\n`,
        ),
      );
      assert.ok(
        initOut.includes(
          "Please note that the certificate-key gives access to cluster sensitive data, keep it secret!\n",
        ),
      );
    });

    it("init writes real pki signed by the provided CA, kubeconfigs and manifests", () => {
      const pki = path.join(cp.root, "etc/kubernetes/pki");
      assert.equal(
        new crypto.X509Certificate(fs.readFileSync(path.join(pki, "ca.crt"))).fingerprint256,
        caFingerprintBefore,
      );
      assert.match(openssl(["verify", "-CAfile", path.join(pki, "ca.crt"), path.join(pki, "apiserver.crt")]), /OK/);
      assert.equal(workerJoin(initOut).hash, opensslCaCertHash(path.join(pki, "ca.crt")));
      for (const f of [
        "admin.conf",
        "super-admin.conf",
        "kubelet.conf",
        "manifests/kube-apiserver.yaml",
        "manifests/etcd.yaml",
      ]) {
        assert.ok(cp.exists(`/etc/kubernetes/${f}`), f);
      }
      assert.ok(!cp.file("/etc/kubernetes/manifests/kube-apiserver.yaml").includes("198.18.255.254"));
      assert.ok(cp.exists("/var/lib/kubelet/config.yaml"));
      assert.ok(fs.readFileSync(path.join(cp.env.LAB_STATE as string, "apiserver.pid"), "utf8").trim().length > 0);
    });

    it("kubectl sees the control-plane node with its taint", () => {
      const r = kubectl(cp, "get", "nodes");
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stdout,
        /^NAME {7}STATUS {3}ROLES {11}AGE {3}VERSION\nmaster01 {3}Ready {4}control-plane {3}\d+s {4}v1\.35\.4\n$/,
      );
      const d = kubectl(cp, "describe", "node", "master01");
      assert.match(d.stdout, /\nTaints: {13}node-role\.kubernetes\.io\/control-plane:NoSchedule\n/);
      const nf = kubectl(cp, "get", "node", "nope");
      assert.equal(nf.status, 1);
      assert.equal(nf.stderr, 'Error from server (NotFound): nodes "nope" not found\n');
    });

    it("token create and list follow the lab clock", () => {
      const t = cp.run("kubeadm", ["token", "create", "--ttl", "1h", "--description", "short"]);
      assert.equal(t.status, 0, t.stderr);
      const token = t.stdout.trim();
      assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
      let list = cp.run("kubeadm", ["token", "list"]);
      assert.match(list.stdout, /^TOKEN {21}TTL {7}EXPIRES {16}USAGES {19}DESCRIPTION {17}EXTRA GROUPS\n/);
      assert.match(
        list.stdout,
        new RegExp(`\\n${token.replace(".", "\\.")} {3}59m {7}\\S+Z {3}authentication,signing {3}short`),
      );
      assert.match(list.stdout, /\nabcdef\.0123456789abcdef {3}23h /);
      lab.setClock(2 * 3600);
      list = cp.run("kubeadm", ["token", "list"]);
      lab.setClock(0);
      assert.ok(!list.stdout.includes(token), "expired token is gone");
      assert.match(list.stdout, /\nabcdef\.0123456789abcdef {3}21h /);
      const pj = cp.run("kubeadm", ["token", "create", "--print-join-command"]);
      assert.match(
        pj.stdout,
        new RegExp(
          `^kubeadm join ${endpoint.address.replace(/\./g, "\\.")}:${endpoint.port} --token [a-z0-9]{6}\\.[a-z0-9]{16} --discovery-token-ca-cert-hash sha256:[0-9a-f]{64} \\n$`,
        ),
      );
      const dup = cp.run("kubeadm", ["token", "create", "abcdef.0123456789abcdef"]);
      assert.equal(dup.status, 1);
      assert.match(dup.stderr, /^error: a token with id "abcdef" already exists\n/);
    });
  });

  describe("join", () => {
    let w1: TestHost;
    let join: ReturnType<typeof workerJoin>;
    before(() => {
      join = workerJoin(initOut);
      w1 = lab.host("w1");
    });

    it("joins a worker that kubectl then lists", () => {
      const r = w1.run("kubeadm", joinArgs(join, "--node-name", "w1"));
      assert.equal(r.status, 0, r.stderr);
      assert.ok(
        r.stdout.startsWith(
          '[preflight] Running pre-flight checks\n[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n',
        ),
      );
      assert.ok(
        r.stdout.endsWith(
          "\nThis node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.\n* The Kubelet was informed of the new secure connection details.\n\nRun 'kubectl get nodes' on the control-plane to see this node join the cluster.\n\n",
        ),
      );
      assert.ok(w1.exists("/etc/kubernetes/kubelet.conf"));
      assert.ok(!w1.exists("/etc/kubernetes/bootstrap-kubelet.conf"));
      const pem = path.join(w1.root, "var/lib/kubelet/pki/kubelet-client-current.pem");
      assert.match(openssl(["verify", "-CAfile", path.join(cp.root, "etc/kubernetes/pki/ca.crt"), pem]), /OK/);
      assert.match(openssl(["x509", "-in", pem, "-noout", "-subject"]), /O ?= ?system:nodes, CN ?= ?system:node:w1/);
      const nodes = kubectl(cp, "get", "nodes");
      assert.match(nodes.stdout, /\nw1 +Ready +<none> +\d+s +v1\.35\.4\n/);
    });

    it("a second join on the same host fails preflight", () => {
      const r = w1.run("kubeadm", joinArgs(join, "--node-name", "w1"));
      assert.equal(r.status, 1);
      assert.ok(
        r.stderr.includes(
          "\t[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists\n",
        ),
        r.stderr,
      );
      assert.ok(
        r.stderr.includes(
          "\t[ERROR FileAvailable--etc-kubernetes-pki-ca.crt]: /etc/kubernetes/pki/ca.crt already exists\n",
        ),
      );
      assert.ok(r.stderr.includes("error: error execution phase preflight: preflight checks failed\n"));
    });

    it("a node name already registered and Ready is refused", () => {
      const other = lab.host("w1b");
      const r = other.run("kubeadm", joinArgs(join, "--node-name", "w1"));
      assert.equal(r.status, 1);
      assert.ok(
        withoutWarnings(r.stderr).startsWith(
          'error: error execution phase kubelet-start: a Node with name "w1" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node\n',
        ),
        r.stderr,
      );
    });

    it("a wrong CA hash is refused", () => {
      const other = lab.host("w2");
      const wrong = `sha256:${"0".repeat(64)}`;
      const r = other.run("kubeadm", joinArgs({ ...join, hash: wrong }));
      assert.equal(r.status, 1);
      assert.equal(
        withoutWarnings(r.stderr),
        `error: error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${join.hash}" are pinned\nTo see the stack trace of this error execute with --v=5 or higher\n`,
      );
    });

    it("an expired token is not found in cluster-info", () => {
      const t = cp.run("kubeadm", ["token", "create", "--ttl", "1m"]).stdout.trim();
      lab.setClock(120);
      try {
        const other = lab.host("w3");
        const r = other.run("kubeadm", joinArgs({ ...join, token: t }));
        assert.equal(r.status, 1);
        assert.equal(
          withoutWarnings(r.stderr),
          `error: error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "${t.split(".")[0]}"\nTo see the stack trace of this error execute with --v=5 or higher\n`,
        );
      } finally {
        lab.setClock(0);
      }
    });

    it("an unreachable endpoint fails after the discovery timeout", async () => {
      const dead = await loopbackEndpoint();
      const other = lab.host("w4");
      const r = other.run("kubeadm", joinArgs({ ...join, endpoint: `${dead.address}:${dead.port}` }));
      assert.equal(r.status, 1);
      assert.equal(
        withoutWarnings(r.stderr),
        `error: error execution phase preflight: couldn't validate the identity of the API Server: failed to request the cluster-info ConfigMap: Get "https://${dead.address}:${dead.port}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp ${dead.address}:${dead.port}: connect: connection refused\nTo see the stack trace of this error execute with --v=5 or higher\n`,
      );
    });

    it("reset on the worker removes kubeadm's files, keeps CNI config and the Node", () => {
      w1.write("/etc/cni/net.d/10-flannel.conflist", "{}");
      const r = w1.run("kubeadm", ["reset", "-f"]);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(
        r.stdout.includes(
          "[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]\n",
        ),
      );
      assert.ok(r.stdout.includes("\nThe reset process does not perform cleanup of CNI plugin configuration,\n"));
      assert.ok(!w1.exists("/etc/kubernetes/kubelet.conf"));
      assert.ok(!w1.exists("/etc/kubernetes/pki/ca.crt"));
      assert.ok(w1.exists("/etc/cni/net.d/10-flannel.conflist"));
      assert.equal(kubectl(cp, "get", "node", "w1").status, 0);
    });

    it("reset without -f asks and aborts on EOF", () => {
      const r = w1.run("kubeadm", ["reset"], "");
      assert.equal(r.status, 1);
      assert.ok(r.stdout.endsWith("[reset] Are you sure you want to proceed? [y/N]: "));
      assert.ok(r.stderr.includes("error: won't proceed; the user didn't answer (Y|y) in order to continue\n"));
    });

    it("kubectl drain, taint and delete", () => {
      let r = kubectl(cp, "drain", "w1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=60s");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "node/w1 cordoned\nnode/w1 drained\n");
      assert.match(kubectl(cp, "get", "nodes").stdout, /\nw1 +Ready,SchedulingDisabled +<none> /);
      r = kubectl(cp, "taint", "nodes", "--all", "node-role.kubernetes.io/control-plane:NoSchedule-");
      assert.equal(r.status, 1, "w1 has no such taint");
      assert.equal(r.stdout, "node/master01 untainted\n");
      assert.equal(r.stderr, 'error: taint "node-role.kubernetes.io/control-plane:NoSchedule" not found\n');
      assert.match(kubectl(cp, "describe", "node", "master01").stdout, /\nTaints: {13}<none>\n/);
      r = kubectl(cp, "taint", "nodes", "w1", "dedicated=db:NoExecute");
      assert.equal(r.stdout, "node/w1 tainted\n");
      assert.match(kubectl(cp, "describe", "node", "w1").stdout, /\nTaints: {13}dedicated=db:NoExecute\n/);
      fs.mkdirSync(path.join(lab.labRoot, "faults"), { recursive: true });
      fs.writeFileSync(
        path.join(lab.labRoot, "faults", "cp1.json"),
        JSON.stringify({ "kubectl drain": { fail: "pods blocked" } }),
      );
      r = kubectl(cp, "drain", "w1", "--ignore-daemonsets");
      fs.rmSync(path.join(lab.labRoot, "faults", "cp1.json"));
      assert.equal(r.status, 1);
      assert.equal(r.stdout, "node/w1 already cordoned\n");
      assert.ok(
        r.stderr.startsWith('error: unable to drain node "w1" due to error: pods blocked, continuing command...\n'),
      );
      r = kubectl(cp, "delete", "node", "w1");
      assert.equal(r.stdout, 'node "w1" deleted\n');
      r = kubectl(cp, "get", "node", "w1");
      assert.equal(r.stderr, 'Error from server (NotFound): nodes "w1" not found\n');
    });
  });

  describe("control-plane join and reset", () => {
    it("control-plane join downloads the uploaded certs with the key", () => {
      const key = certificateKeyFrom(initOut);
      const join = workerJoin(initOut);
      const h = lab.host("cp2");
      const bad = h.run(
        "kubeadm",
        joinArgs(
          join,
          "--control-plane",
          "--certificate-key",
          "1".repeat(64),
          "--node-name",
          "cp2",
          "--apiserver-advertise-address",
          "127.0.0.9",
        ),
      );
      assert.equal(bad.status, 1);
      assert.match(
        withoutWarnings(bad.stderr),
        /^error: error execution phase control-plane-prepare\/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed\n/,
      );
      fs.rmSync(path.join(h.root, "etc/kubernetes"), { recursive: true, force: true });
      const r = h.run(
        "kubeadm",
        joinArgs(
          join,
          "--control-plane",
          "--certificate-key",
          key,
          "--node-name",
          "cp2",
          "--apiserver-advertise-address",
          "127.0.0.9",
        ),
      );
      assert.equal(r.status, 0, r.stderr);
      assert.ok(
        r.stdout.includes("\nThis node has joined the cluster and a new control plane instance was created:\n"),
      );
      assert.equal(h.file("/etc/kubernetes/pki/ca.key"), cp.file("/etc/kubernetes/pki/ca.key"));
      assert.ok(h.exists("/etc/kubernetes/manifests/kube-apiserver.yaml"));
      assert.match(kubectl(cp, "get", "nodes").stdout, /\ncp2 +Ready +control-plane /);
    });

    it("reset on the control plane stops the API daemon", () => {
      const r = cp.run("kubeadm", ["reset", "-f"]);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(
        r.stdout.startsWith(
          '[reset] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n',
        ),
      );
      assert.ok(r.stdout.includes("[reset] Deleted contents of the etcd data directory: /var/lib/etcd\n"));
      assert.ok(!cp.exists("/etc/kubernetes/admin.conf"));
      assert.deepEqual(fs.readdirSync(path.join(cp.root, "var/lib/etcd")), []);
      cp.write("/tmp/admin.conf", "");
      const g = cp.run("kubectl", ["--kubeconfig", "/etc/kubernetes/admin.conf", "get", "nodes"]);
      assert.equal(g.status, 1);
    });
  });
});

describe("lab doubles: kubeadm init preflight", function () {
  this.timeout(120_000);
  let lab: TestLab;
  before(function () {
    lab = createLab(requireKubeadm(this, VERSION));
  });
  after(() => lab?.cleanup());

  async function initOn(h: TestHost, extra: Partial<Parameters<typeof initConfig>[0]> = {}) {
    const ep = await loopbackEndpoint();
    h.write("/root/kubeadm.yaml", initConfig({ ...ep, ...extra }));
    return { ep, r: h.run("kubeadm", ["init", "--config", "/root/kubeadm.yaml"]) };
  }

  const tail =
    "[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\n" +
    "error: error execution phase preflight: preflight checks failed\n" +
    "To see the stack trace of this error execute with --v=5 or higher\n";

  it("ip_forward not 1", async () => {
    const { r } = await initOn(lab.host("p1", { ipForward: "0" }));
    assert.equal(r.status, 1);
    assert.ok(
      r.stderr.endsWith(
        "[preflight] Some fatal errors occurred:\n\t[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1\n" +
          tail,
      ),
      r.stderr,
    );
  });

  it("container runtime down", async () => {
    const { r } = await initOn(lab.host("p2", { containerd: false }));
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /\t\[ERROR CRI\]: could not connect to the container runtime: failed to create new CRI runtime service: validate service connection: validate CRI v1 runtime API for endpoint "unix:\/\/\/var\/run\/containerd\/containerd.sock": rpc error: code = Unavailable/,
    );
    // kubeadm's ContainerRuntimeVersion check connects again and fails with the same text
    assert.match(
      r.stderr,
      /\t\[ERROR ContainerRuntimeVersion\]: could not connect to the container runtime: failed to create new CRI runtime service: validate service connection: /,
    );
  });

  it("port in use and manifests present, all reported at once", async () => {
    const h = lab.host("p3");
    h.write("/etc/kubernetes/manifests/kube-apiserver.yaml", "x");
    const ep = await loopbackEndpoint();
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: ep.address, port: ep.port }, () => resolve()));
    try {
      h.write("/root/kubeadm.yaml", initConfig(ep));
      const r = h.run("kubeadm", ["init", "--config", "/root/kubeadm.yaml"]);
      assert.equal(r.status, 1);
      assert.ok(r.stderr.includes(`\t[ERROR Port-${ep.port}]: Port ${ep.port} is in use\n`), r.stderr);
      assert.ok(
        r.stderr.includes(
          "\t[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists\n",
        ),
      );
      assert.ok(r.stderr.endsWith(tail));
      assert.ok(!h.exists("/etc/kubernetes/pki/ca.crt"), "nothing written after a failed preflight");
    } finally {
      server.close();
    }
  });

  it("a blocked registry fails the image pull", async () => {
    fs.writeFileSync(path.join(lab.labRoot, "registries.json"), JSON.stringify({ blocked: ["registry.k8s.io"] }));
    try {
      const { r } = await initOn(lab.host("p4"));
      assert.equal(r.status, 1);
      assert.ok(r.stdout.includes("[preflight] Pulling images required for setting up a Kubernetes cluster\n"));
      assert.match(
        r.stderr,
        /\t\[ERROR ImagePull\]: failed to pull image registry\.k8s\.io\/kube-apiserver:v1\.35\.4: /,
      );
    } finally {
      fs.rmSync(path.join(lab.labRoot, "registries.json"));
    }
  });

  it("swap on: a warning, then wait-control-plane fails", async () => {
    const h = lab.host("p5");
    fs.mkdirSync(h.env.LAB_STATE as string, { recursive: true });
    fs.writeFileSync(path.join(h.env.LAB_STATE as string, "swap.json"), JSON.stringify({ active: ["/swap.img"] }));
    const { r } = await initOn(h, { imageRepository: "registry.aliyuncs.com/google_containers" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\t\[WARNING Swap\]: swap is supported for cgroup v2 only/);
    assert.ok(r.stdout.includes("[kubelet-check] The kubelet is not healthy after 4m0"));
    assert.ok(
      r.stderr.includes(
        "error: error execution phase wait-control-plane: failed while waiting for the kubelet to start: The HTTP call equal to 'curl -sSL http://127.0.0.1:10248/healthz' returned error",
      ),
    );
  });
});
