"use strict";
// The kubeadm double. See lab/README.md ("kubeadm and kubectl doubles") for what is faithful and what is not.
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const childProcess = require("child_process");
const host = require("./host.js");
const cfgs = require("./config.js");
const pki = require("./pki.js");
const client = require("./client.js");
const yaml = require("./yaml.js");
const store = require("./store.js");
const { startDaemon, stopDaemon } = require("./daemon.js");
const real = require("./real.js");

/** What kubeadm join prints when a worker joined (real or simulated control plane alike). */
const WORKER_JOINED =
  "\nThis node has joined the cluster:\n" +
  "* Certificate signing request was sent to apiserver and a response was received.\n" +
  "* The Kubelet was informed of the new secure connection details.\n\n" +
  "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.\n\n";

const lab = host.lab;
const out = (s) => process.stdout.write(s);
const errw = (s) => process.stderr.write(s);
const STACK_HINT = "To see the stack trace of this error execute with --v=5 or higher\n";
const ADMIN_CONF = "/etc/kubernetes/admin.conf";
const KUBELET_CONF = "/etc/kubernetes/kubelet.conf";
const BOOTSTRAP_KUBELET_CONF = "/etc/kubernetes/bootstrap-kubelet.conf";
const MANIFESTS = "/etc/kubernetes/manifests";
// Stand-in advertise address for the real kubeadm when the config advertises a loopback address (tests only:
// kubeadm refuses loopback advertise addresses). Replaced back in its output and files.
const PLACEHOLDER_IP = "198.18.255.254";

/** kubeadm's error tail (stderr) and exit 1. */
function fatal(message) {
  return lab.exit(1, `error: ${message}\n${STACK_HINT}`);
}
function phaseError(phase, message) {
  return fatal(`error execution phase ${phase}: ${message}`);
}

function klogWarning(file, message) {
  const d = new Date();
  const p2 = (n) => String(n).padStart(2, "0");
  const ts = `${p2(d.getMonth() + 1)}${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(d.getMilliseconds() * 1000).padStart(6, "0")}`;
  errw(`W${ts} ${String(process.pid).padStart(7)} ${file}] ${message}\n`);
}

// ---------------------------------------------------------------- flags
const BOOL_FLAGS = new Set([
  "upload-certs",
  "print-join-command",
  "control-plane",
  "force",
  "skip-token-print",
  "skip-certificate-key-print",
  "dry-run",
  "cleanup-tmp-dir",
  "help",
  "discovery-token-unsafe-skip-ca-verification",
  "experimental-upload-certs",
  "allow-missing-template-keys",
  "show-managed-fields",
]);
const MULTI = new Set(["discovery-token-ca-cert-hash", "ignore-preflight-errors", "skip-phases", "groups", "usages"]);

function parseArgs(argv) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    let m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (!m || a === "-") {
      positional.push(a);
      continue;
    }
    let name = m[1];
    if (name === "f") name = "force";
    if (name === "o") name = "output";
    if (name === "h") name = "help";
    if (name === "v") name = "v";
    let value = m[2];
    if (BOOL_FLAGS.has(name)) value = value === undefined ? true : value !== "false";
    else if (value === undefined) value = argv[++i];
    if (MULTI.has(name)) flags[name] = [...(flags[name] || []), value];
    else flags[name] = value;
  }
  return { flags, positional };
}

function redact(argv) {
  const r = lab.redactFlags(argv, ["--token", "--discovery-token", "--tls-bootstrap-token", "--certificate-key"]);
  return r.map((a) => (cfgs.TOKEN_RE.test(a) || /^[0-9a-f]{64}$/.test(a) ? "[redacted]" : a));
}

// ---------------------------------------------------------------- preflight
class Checks {
  constructor(ignored) {
    this.ignored = new Set(ignored.map((s) => s.toLowerCase()));
    this.errors = [];
    this.warnings = [];
  }
  add(name, message, warning = false) {
    const ignored = this.ignored.has("all") || this.ignored.has(name.toLowerCase());
    if (warning || ignored) this.warnings.push(`\t[WARNING ${name}]: ${message}\n`);
    else this.errors.push(`\t[ERROR ${name}]: ${message}\n`);
  }
  flushWarnings() {
    for (const w of this.warnings) errw(w);
    this.warnings = [];
  }
  failure(phase = "preflight") {
    this.flushWarnings();
    if (this.errors.length === 0) return null;
    return lab.exit(
      1,
      "[preflight] Some fatal errors occurred:\n" +
        this.errors.join("") +
        "[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\n" +
        (phase
          ? `error: error execution phase ${phase}: preflight checks failed\n`
          : "error: preflight checks failed\n") +
        STACK_HINT,
    );
  }
}

function rootCheck(ignored) {
  if (host.isRoot()) return;
  const c = new Checks(ignored);
  c.add("IsPrivilegedUser", "user is not running as root");
  const f = c.failure(null);
  if (f) throw f;
}

function fileLabel(p) {
  return p.replace(/\//g, "-");
}

// kubeadm connects to the runtime once per check (CRI, then ContainerRuntimeVersion): an unreachable runtime
// fails both with the same text; a reachable containerd 1.x lacks the CRI RuntimeConfig method (a warning).
function criCheck(c, criSocket) {
  const e = host.runtimeError(criSocket);
  if (e) {
    const message = `could not connect to the container runtime: failed to create new CRI runtime service: ${e}`;
    c.add("CRI", message);
    c.add("ContainerRuntimeVersion", message);
  } else if (!host.runtimeConfigImplemented()) {
    c.add(
      "ContainerRuntimeVersion",
      "You must update your container runtime to a version that supports the CRI method RuntimeConfig. Falling back to using cgroupDriver from kubelet config will be removed in 1.36. For more information, see https://git.k8s.io/enhancements/keps/sig-node/4033-group-driver-detection-over-cri",
      true,
    );
  }
  return !e;
}

function findInPath(exe) {
  const dirs = (process.env.PATH || "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(":");
  for (const d of dirs) {
    if (!d) continue;
    const f = lab.fsPath(path.join(d, exe));
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return f;
    } catch {
      /* next */
    }
  }
  return null;
}

function commonChecks(c, nodeReg, version) {
  criCheck(c, nodeReg.criSocket);
  if (host.swapOn()) {
    c.add(
      "Swap",
      "swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable swap on the node",
      true,
    );
  }
  let ipf = null;
  try {
    ipf = fs.readFileSync(path.join(lab.procSys(), "net/ipv4/ip_forward"), "utf8").trim();
  } catch {
    ipf = null;
  }
  if (ipf === null) c.add("FileContent--proc-sys-net-ipv4-ip_forward", "/proc/sys/net/ipv4/ip_forward does not exist");
  else if (ipf !== "1")
    c.add("FileContent--proc-sys-net-ipv4-ip_forward", "/proc/sys/net/ipv4/ip_forward contents are not set to 1");
  const kubelet = findInPath("kubelet");
  if (!kubelet) {
    c.add(
      "KubeletVersion",
      `couldn't get kubelet version: cannot execute 'kubelet --version': exec: "kubelet": executable file not found in $PATH`,
    );
  } else {
    const r = childProcess.spawnSync(kubelet, ["--version"], { encoding: "utf8", env: process.env });
    const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(r.stdout || "");
    const [cpMinor] = [Number(version.replace(/^v/, "").split(".")[1])];
    if (!m) c.add("KubeletVersion", `couldn't get kubelet version: ${String(r.stdout || r.stderr).trim()}`);
    else if (Number(m[2]) > cpMinor) {
      c.add(
        "KubeletVersion",
        `the kubelet version is higher than the control plane version. This is not a supported version skew and may lead to a malfunctional cluster. Kubelet version: "${m[2] ? `${m[1]}.${m[2]}.${m[3]}` : ""}" Control plane version: "${version.replace(/^v/, "")}"`,
      );
    } else if (Number(m[2]) < cpMinor - 1) {
      c.add(
        "KubeletVersion",
        `Kubelet version "${m[1]}.${m[2]}.${m[3]}" is lower than kubeadm can support. Please upgrade kubelet`,
      );
    }
  }
  // ServiceCheck{Service: "kubelet"}: warnings only
  if (!host.unitExists("kubelet")) c.add("Service-Kubelet", "kubelet service does not exist", true);
  else if (!host.unitEnabled("kubelet"))
    c.add("Service-Kubelet", "kubelet service is not enabled, please run 'systemctl enable kubelet.service'", true);
  if (!host.portFree(10250)) c.add("Port-10250", "Port 10250 is in use");
}

function dirNotEmpty(p) {
  const e = host.dirEntries(p);
  return e !== null && e.length > 0;
}

// ---------------------------------------------------------------- real kubeadm helpers
function isLoopback(ip) {
  return /^127\./.test(ip) || ip === "::1";
}

/** Writes the config the real kubeadm reads; returns {arg, cleanup, fix(text)}. */
function realConfig(docs, advertise) {
  const loop = isLoopback(advertise);
  const copy = JSON.parse(JSON.stringify(docs));
  if (loop) {
    for (const d of copy) {
      if (d.kind === "InitConfiguration") {
        d.localAPIEndpoint = { ...(d.localAPIEndpoint || {}), advertiseAddress: PLACEHOLDER_IP };
      }
      if (d.kind === "ClusterConfiguration") {
        d.apiServer = d.apiServer || {};
        d.apiServer.certSANs = [...(d.apiServer.certSANs || []), advertise];
      }
    }
  }
  const rel = `/run/lab-kubeadm/config-${process.pid}.yaml`;
  host.write(rel, copy.map((d) => JSON.stringify(d, null, 2)).join("\n---\n") + "\n", 0o600);
  const fix = (text) => {
    if (!loop) return text;
    return text
      .replace(
        /IPs \[([^\]]*)\]/g,
        (all, list) =>
          `IPs [${[...new Set(list.split(" ").map((x) => (x === PLACEHOLDER_IP ? advertise : x)))].join(" ")}]`,
      )
      .split(PLACEHOLDER_IP)
      .join(advertise);
  };
  return {
    arg: process.env.LAB_FS_ROOT && process.env.LAB_FS_ROOT !== "/" ? rel : lab.fsPath(rel),
    cleanup: () => host.rm(rel),
    fix,
    fixFiles: () => {
      if (!loop) return;
      const files = ["/etc/kubernetes"].flatMap((d) =>
        (host.dirEntries(d) || []).filter((f) => f.endsWith(".conf")).map((f) => `${d}/${f}`),
      );
      files.push(...(host.dirEntries(MANIFESTS) || []).map((f) => `${MANIFESTS}/${f}`));
      for (const f of files) {
        const t = host.read(f);
        if (t && t.includes(PLACEHOLDER_IP))
          host.write(f, t.split(PLACEHOLDER_IP).join(advertise), f.endsWith(".yaml") ? 0o600 : 0o600);
      }
    },
  };
}

function runPhase(args, rc, phaseName) {
  const r = host.runRealKubeadm(args);
  const rootfs = process.env.LAB_FS_ROOT && process.env.LAB_FS_ROOT !== "/";
  let text = rc.fix(r.stdout);
  if (rootfs)
    text = text
      .split("\n")
      .filter((l) => !/No supported init system detected/.test(l))
      .join("\n");
  out(text);
  const stderr = rc
    .fix(r.stderr)
    .split("\n")
    .filter((l) => !(rootfs && /no supported init system|systemd-resolved/.test(l)))
    .join("\n");
  if (r.status !== 0) {
    throw lab.exit(r.status || 1, stderr.replace(/^error: /m, `error: error execution phase ${phaseName}: `));
  }
  if (stderr.trim()) errw(stderr.endsWith("\n") ? stderr : stderr + "\n");
}

// ---------------------------------------------------------------- cluster state helpers
function b64(s) {
  return Buffer.from(s).toString("base64");
}
function rfc3339(d) {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}

function tokenSecret(t, nowDate) {
  const [id, secret] = t.token.split(".");
  const data = {
    "token-id": b64(id),
    "token-secret": b64(secret),
  };
  if (t.ttl) data.expiration = b64(rfc3339(new Date(nowDate.getTime() + t.ttl * 1000)));
  if (t.description) data.description = b64(t.description);
  for (const u of t.usages) data[`usage-bootstrap-${u}`] = b64("true");
  if (t.groups && t.groups.length) data["auth-extra-groups"] = b64(t.groups.join(","));
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "bootstrap.kubernetes.io/token",
    metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system", creationTimestamp: rfc3339(nowDate) },
    data,
  };
}

function kubeconfigText({
  server,
  caPem,
  clusterName = "kubernetes",
  user,
  certData,
  keyData,
  certFile,
  keyFile,
  token,
}) {
  const u = {};
  if (certData) u["client-certificate-data"] = b64(certData);
  if (keyData) u["client-key-data"] = b64(keyData);
  if (certFile) u["client-certificate"] = certFile;
  if (keyFile) u["client-key"] = keyFile;
  if (token) u.token = token;
  const cluster = { "certificate-authority-data": b64(caPem), server };
  const doc = {
    apiVersion: "v1",
    clusters: [{ cluster, name: clusterName }],
    contexts: [{ context: { cluster: clusterName, user }, name: `${user}@${clusterName}` }],
    "current-context": `${user}@${clusterName}`,
    kind: "Config",
  };
  if (user) doc.users = [{ name: user, user: u }];
  else {
    delete doc.contexts;
    delete doc["current-context"];
    doc.contexts = null;
    doc["current-context"] = "";
    doc.preferences = {};
    doc.users = null;
  }
  return yaml.stringify(doc);
}

function clusterInfoKubeconfig(server, caPem) {
  // what kubeadm puts into kube-public/cluster-info: just the cluster
  return yaml.stringify({
    apiVersion: "v1",
    clusters: [{ cluster: { "certificate-authority-data": b64(caPem), server }, name: "" }],
    contexts: null,
    "current-context": "",
    kind: "Config",
    preferences: {},
    users: null,
  });
}

function osImage() {
  const t = host.read("/etc/os-release") || "";
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(t);
  return m ? m[1] : "Linux";
}

function containerRuntimeVersion() {
  // the package double's database ($LAB_STATE/packages.json: { packages: { name: { version } } })
  const pkgs = require("../packages.js");
  const p = ["containerd.io", "containerd"]
    .map((name) => pkgs.installed(name))
    .find((x) => x && (x.status || "installed") === "installed");
  return `containerd://${(p && pkgs.upstreamVersion(p.version)) || "1.7.28"}`;
}

function nodeObject({ name, address, labels = {}, taints = [], nowDate, version }) {
  const node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        ...labels,
      },
      annotations: {
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
      },
      creationTimestamp: rfc3339(nowDate),
    },
    spec: {},
    status: {
      addresses: [
        { type: "InternalIP", address },
        { type: "Hostname", address: name },
      ],
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
          lastHeartbeatTime: rfc3339(nowDate),
          lastTransitionTime: rfc3339(nowDate),
        },
      ],
      nodeInfo: {
        architecture: "amd64",
        containerRuntimeVersion: containerRuntimeVersion(),
        kernelVersion: require("os").release(),
        kubeProxyVersion: "",
        kubeletVersion: version,
        operatingSystem: "linux",
        osImage: osImage(),
      },
    },
  };
  if (taints.length) node.spec.taints = taints;
  return node;
}

function parseTaint(t) {
  if (typeof t === "object") return { key: t.key, ...(t.value ? { value: String(t.value) } : {}), effect: t.effect };
  const m = /^([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(t);
  return m ? { key: m[1], ...(m[2] ? { value: m[2] } : {}), effect: m[3] } : null;
}

function taintString(t) {
  return `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`;
}

// ---------------------------------------------------------------- API access
function adminClient(flags) {
  const file = lab.fsPath(flags.kubeconfig || ADMIN_CONF);
  if (!fs.existsSync(file)) {
    throw fatal(`failed to load admin kubeconfig: open ${flags.kubeconfig || ADMIN_CONF}: no such file or directory`);
  }
  try {
    return client.loadKubeconfig(file);
  } catch (e) {
    if (!e.code) throw e;
    throw fatal(`failed to load admin kubeconfig: ${client.goReadError(e, flags.kubeconfig || ADMIN_CONF)}`);
  }
}

function api(kc, method, p, body) {
  try {
    return client.requestSync({ ...kc, timeoutMs: 10000 }, method, p, body);
  } catch (e) {
    const u = new URL(kc.server);
    const err = new Error(
      `${method === "GET" ? "Get" : method === "POST" ? "Post" : method === "PUT" ? "Put" : method === "DELETE" ? "Delete" : "Patch"} "${kc.server}${p}${p.includes("?") ? "&" : "?"}timeout=10s": ${client.dialError(e, u.host)}`,
    );
    err.network = true;
    throw err;
  }
}

function statusMessage(r) {
  return (r.json && r.json.message) || r.body;
}

/** Waits for the daemon's /livez (anonymous); true when healthy. */
function waitHealthy(server, caPem, seconds) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const r = client.requestSync({ server, caPem, timeoutMs: 2000 }, "GET", "/livez");
      if (r.status === 200) return true;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) return false;
    lab.sleepSeconds(0.2);
  }
}

function randomDuration(minMs, maxMs) {
  const ms = minMs + Math.random() * (maxMs - minMs);
  if (ms < 1000) return `${ms.toFixed(6).replace(/0+$/, "").replace(/\.$/, "")}ms`;
  return `${(ms / 1000).toFixed(9).replace(/0+$/, "").replace(/\.$/, "")}s`;
}

// The kubelet's /healthz answers once the systemctl double has it "active" (config present, runtime up, swap off).
function kubeletHealthy() {
  return host.unitActive("kubelet");
}

function kubeletCheck() {
  out("[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to 4m0s\n");
  const timeout = host.settings().kubeletHealthTimeoutSeconds;
  const deadline = Date.now() + timeout * 1000;
  while (!kubeletHealthy()) {
    if (Date.now() > deadline) {
      out(
        `[kubelet-check] The kubelet is not healthy after 4m0.000${String(Math.floor(Math.random() * 999999)).padStart(6, "0")}s\n`,
      );
      out(
        "\nUnfortunately, an error has occurred, likely caused by:\n" +
          "\t- The kubelet is not running\n" +
          "\t- The kubelet is unhealthy due to a misconfiguration of the node in some way (required cgroups disabled)\n\n" +
          "If you are on a systemd-powered system, you can try to troubleshoot the error with the following commands:\n" +
          "\t- 'systemctl status kubelet'\n" +
          "\t- 'journalctl -xeu kubelet'\n\n",
      );
      return false;
    }
    lab.sleepSeconds(0.2);
  }
  out(`[kubelet-check] The kubelet is healthy after ${randomDuration(500, 1500)}\n`);
  return true;
}

const KUBELET_TIMEOUT_ERROR =
  "failed while waiting for the kubelet to start: The HTTP call equal to 'curl -sSL http://127.0.0.1:10248/healthz' returned error: Get \"http://127.0.0.1:10248/healthz\": context deadline exceeded";

// ---------------------------------------------------------------- init
function init(ctx, flags) {
  const ignored = cfgs.listFlag(flags["ignore-preflight-errors"]);
  let cfg;
  try {
    cfg = cfgs.initConfig(flags.config ? lab.fsPath(flags.config) : null, flags);
  } catch (e) {
    throw fatal(e.message);
  }
  ignored.push(...cfg.nodeRegistration.ignorePreflightErrors);
  rootCheck(ignored);
  const skip = new Set(cfg.skipPhases);
  const version = cfg.kubernetesVersion;
  const realDocs = cfg.docs.length
    ? cfg.docs
    : [
        {
          apiVersion: "kubeadm.k8s.io/v1beta4",
          kind: "InitConfiguration",
          localAPIEndpoint: { advertiseAddress: cfg.advertiseAddress, bindPort: cfg.bindPort },
          nodeRegistration: { name: cfg.nodeRegistration.name },
        },
        {
          apiVersion: "kubeadm.k8s.io/v1beta4",
          kind: "ClusterConfiguration",
          kubernetesVersion: version,
          controlPlaneEndpoint: cfg.controlPlaneEndpoint || undefined,
          imageRepository: cfg.imageRepository,
          networking: { podSubnet: cfg.podSubnet || undefined },
        },
      ];
  const rc = realConfig(realDocs, cfg.advertiseAddress);
  try {
    // validate like kubeadm does before anything else
    const v = host.runRealKubeadm(["config", "validate", "--config", rc.arg]);
    if (v.status !== 0) throw lab.exit(v.status || 1, rc.fix(v.stderr));
    if (v.stderr.trim()) errw(rc.fix(v.stderr));

    out(`[init] Using Kubernetes version: ${version}\n`);
    out("[preflight] Running pre-flight checks\n");
    const c = new Checks(ignored);
    const bindPort = cfg.bindPort;
    if (!host.portFree(bindPort)) c.add(`Port-${bindPort}`, `Port ${bindPort} is in use`);
    if (!host.portFree(10259)) c.add("Port-10259", "Port 10259 is in use");
    if (!host.portFree(10257)) c.add("Port-10257", "Port 10257 is in use");
    for (const comp of ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"]) {
      const f = `${MANIFESTS}/${comp}.yaml`;
      if (host.exists(f)) c.add(`FileAvailable-${fileLabel(f)}`, `${f} already exists`);
    }
    if (!cfg.externalEtcd) {
      if (!host.portFree(2379)) c.add("Port-2379", "Port 2379 is in use");
      if (!host.portFree(2380)) c.add("Port-2380", "Port 2380 is in use");
      if (dirNotEmpty(cfg.etcdDataDir))
        c.add(`DirAvailable-${fileLabel(cfg.etcdDataDir)}`, `${cfg.etcdDataDir} is not empty`);
    }
    commonChecks(c, cfg.nodeRegistration, version);
    let f = c.failure();
    if (f) throw f;

    // images
    out("[preflight] Pulling images required for setting up a Kubernetes cluster\n");
    out("[preflight] This might take a minute or two, depending on the speed of your internet connection\n");
    out("[preflight] You can also perform this action beforehand using 'kubeadm config images pull'\n");
    const ic = new Checks(ignored);
    // ImagePullCheck compares the runtime's sandbox image with kubeadm's pause image first (a klog warning)
    const sandbox = cfgs.imagesFor(version, cfg.imageRepository).find((i) => /\/pause:[^/]*$/.test(i));
    const criSandbox = host.runtimeLoaded().sandboxImage;
    if (sandbox && criSandbox && criSandbox !== sandbox)
      klogWarning(
        "checks.go:906",
        `detected that the sandbox image "${criSandbox}" of the container runtime is inconsistent with that used by kubeadm. It is recommended to use "${sandbox}" as the CRI sandbox image.`,
      );
    for (const image of cfgs.imagesFor(version, cfg.imageRepository)) {
      const err = pullImage(image);
      if (err) ic.add("ImagePull", `failed to pull image ${image}: ${err}`);
    }
    f = ic.failure();
    if (f) throw f;

    // phases the real kubeadm does offline
    if (!skip.has("certs") && !skip.has("certs/all"))
      runPhase(["init", "phase", "certs", "all", "--config", rc.arg], rc, "certs");
    if (!skip.has("kubeconfig")) runPhase(["init", "phase", "kubeconfig", "all", "--config", rc.arg], rc, "kubeconfig");
    if (!skip.has("etcd")) runPhase(["init", "phase", "etcd", "local", "--config", rc.arg], rc, "etcd");
    if (!skip.has("control-plane"))
      runPhase(["init", "phase", "control-plane", "all", "--config", rc.arg], rc, "control-plane");
    rc.fixFiles();
    if (!skip.has("kubelet-start")) {
      runPhase(["init", "phase", "kubelet-start", "--config", rc.arg], rc, "kubelet-start");
      // chrooted (tests) the real kubeadm finds no init system: start the kubelet as it would have
      if (ROOTFS()) restartKubelet();
    }
  } finally {
    rc.cleanup();
  }
  if (real.enabled()) return realInit(flags, cfg, realDocs, skip);
  // etcd's data directory, as the etcd static pod would create it
  host.write(`${cfg.etcdDataDir}/member/snap/db`, "", 0o600);

  // wait-control-plane
  out(
    `[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "${MANIFESTS}"\n`,
  );
  if (!kubeletCheck()) throw phaseError("wait-control-plane", KUBELET_TIMEOUT_ERROR);

  const pkiDir = cfg.certificatesDir;
  const caPem = host.read(`${pkiDir}/ca.crt`);
  const adminKc = host.read(ADMIN_CONF);
  const server = yaml.parse(adminKc).clusters[0].cluster.server;
  const endpoint = server.replace(/^https:\/\//, "");
  const nowDate = lab.now();
  // A new etcd: this host's member is its only one.
  const clusterId = store.clusterId(caPem);
  const state = {
    createdAt: rfc3339(nowDate),
    nodes: {},
    secrets: {},
    configmaps: {},
    etcd: { members: [store.memberFor(cfg.nodeRegistration.name, cfg.advertiseAddress, cfg.bindPort, false)] },
  };
  store.create(clusterId, state);
  store.writeHostConfig({ apiserver: apiserverConfig(pkiDir, cfg.advertiseAddress, cfg.bindPort), cluster: clusterId });

  out("[control-plane-check] Waiting for healthy control plane components. This can take up to 4m0s\n");
  out(`[control-plane-check] Checking kube-apiserver at https://${cfg.advertiseAddress}:${cfg.bindPort}/livez\n`);
  out("[control-plane-check] Checking kube-controller-manager at https://127.0.0.1:10257/healthz\n");
  out("[control-plane-check] Checking kube-scheduler at https://127.0.0.1:10259/livez\n");
  startDaemon();
  const localServer = `https://${cfg.advertiseAddress.includes(":") ? `[${cfg.advertiseAddress}]` : cfg.advertiseAddress}:${cfg.bindPort}`;
  out(`[control-plane-check] kube-controller-manager is healthy after ${randomDuration(1000, 2000)}\n`);
  out(`[control-plane-check] kube-scheduler is healthy after ${randomDuration(1500, 2500)}\n`);
  if (!waitHealthy(localServer, caPem, host.settings().apiServerStartSeconds)) {
    out("[control-plane-check] kube-apiserver is not healthy after 4m0.000512345s\n");
    throw phaseError(
      "wait-control-plane",
      `failed while waiting for the control plane to start: kube-apiserver check failed at https://${cfg.advertiseAddress}:${cfg.bindPort}/livez: client rate limiter Wait returned an error: context deadline exceeded`,
    );
  }
  out(`[control-plane-check] kube-apiserver is healthy after ${randomDuration(2500, 4000)}\n`);

  // API objects, written straight into the state the daemon serves
  const nodeName = cfg.nodeRegistration.name;
  const taints =
    cfg.nodeRegistration.taints === undefined
      ? [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]
      : (cfg.nodeRegistration.taints || []).map(parseTaint).filter(Boolean);
  const clusterConfiguration = {
    ...cfg.cluster,
    apiVersion: "kubeadm.k8s.io/v1beta4",
    kind: "ClusterConfiguration",
    kubernetesVersion: version,
    imageRepository: cfg.imageRepository,
    certificatesDir: pkiDir,
    clusterName: cfg.clusterName,
    controlPlaneEndpoint: cfg.controlPlaneEndpoint || undefined,
    networking: {
      dnsDomain: cfg.dnsDomain,
      serviceSubnet: cfg.serviceSubnet,
      ...(cfg.podSubnet ? { podSubnet: cfg.podSubnet } : {}),
    },
  };
  store.update(clusterId, (st) => {
    st.configmaps["kube-system/kubeadm-config"] = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "kubeadm-config", namespace: "kube-system", creationTimestamp: rfc3339(nowDate) },
      data: { ClusterConfiguration: yaml.stringify(clusterConfiguration) },
    };
    st.configmaps["kube-system/kubelet-config"] = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "kubelet-config", namespace: "kube-system", creationTimestamp: rfc3339(nowDate) },
      data: { kubelet: host.read("/var/lib/kubelet/config.yaml") || "" },
    };
    st.configmaps["kube-public/cluster-info"] = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cluster-info", namespace: "kube-public", creationTimestamp: rfc3339(nowDate) },
      data: { kubeconfig: clusterInfoKubeconfig(server, caPem) },
    };
    st.nodes[nodeName] = nodeObject({
      name: nodeName,
      address: cfg.advertiseAddress,
      labels: {
        "node-role.kubernetes.io/control-plane": "",
        "node.kubernetes.io/exclude-from-external-load-balancers": "",
      },
      taints,
      nowDate,
      version,
    });
    for (const t of cfg.tokens)
      st.secrets[`kube-system/bootstrap-token-${t.token.split(".")[0]}`] = tokenSecret(t, nowDate);
  });
  out('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace\n');
  out(
    '[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster\n',
  );

  let certificateKey = cfg.certificateKey;
  const uploadCerts = flags["upload-certs"] === true || flags["experimental-upload-certs"] === true;
  if (uploadCerts && !skip.has("upload-certs")) {
    if (!certificateKey) certificateKey = crypto.randomBytes(32).toString("hex");
    uploadCertsSecret(pkiDir, certificateKey, cfg.externalEtcd, nowDate, null, clusterId);
    out('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n');
    out("[upload-certs] Using certificate key:\n");
    out(`${certificateKey}\n`);
  } else {
    out("[upload-certs] Skipping phase. Please see --upload-certs\n");
  }
  if (!skip.has("mark-control-plane")) {
    out(
      `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]\n`,
    );
    if (taints.length)
      out(
        `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the taints [${taints.map(taintString).join(" ")}]\n`,
      );
  }
  if (!skip.has("bootstrap-token")) {
    out(`[bootstrap-token] Using token: ${flags["skip-token-print"] ? "<value withheld>" : cfg.tokens[0].token}\n`);
    out("[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles\n");
    out("[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes\n");
    out(
      "[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials\n",
    );
    out(
      "[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token\n",
    );
    out(
      "[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster\n",
    );
    out('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace\n');
  }
  if (!skip.has("kubelet-finalize")) {
    kubeletFinalize();
    out(`[kubelet-finalize] Updating "${KUBELET_CONF}" to point to a rotatable kubelet client certificate and key\n`);
  }
  if (!skip.has("addon") && !skip.has("addon/coredns")) out("[addons] Applied essential addon: CoreDNS\n");
  if (!skip.has("addon") && !skip.has("addon/kube-proxy")) out("[addons] Applied essential addon: kube-proxy\n");

  return printInitSuccess(flags, cfg, skip, caPem, endpoint, certificateKey, uploadCerts);
}

/** kubeadm init's closing text: how to use admin.conf, and the join commands per token. */
function printInitSuccess(flags, cfg, skip, caPem, endpoint, certificateKey, uploadCerts) {
  if (skip.has("show-join-command")) return 0;
  const caHash = pki.caCertHash(caPem);
  for (const t of cfg.tokens) {
    const token = flags["skip-token-print"] ? "<value withheld>" : t.token;
    const key = flags["skip-certificate-key-print"] ? "<value withheld>" : certificateKey;
    let text =
      "\nYour Kubernetes control-plane has initialized successfully!\n\n" +
      "To start using your cluster, you need to run the following as a regular user:\n\n" +
      "  mkdir -p $HOME/.kube\n" +
      `  sudo cp -i ${ADMIN_CONF} $HOME/.kube/config\n` +
      "  sudo chown $(id -u):$(id -g) $HOME/.kube/config\n\n" +
      "Alternatively, if you are the root user, you can run:\n\n" +
      "  export KUBECONFIG=/etc/kubernetes/admin.conf\n\n" +
      "You should now deploy a pod network to the cluster.\n" +
      'Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:\n' +
      "  https://kubernetes.io/docs/concepts/cluster-administration/addons/\n\n";
    if (cfg.controlPlaneEndpoint) {
      const cpCmd = joinCommand(endpoint, token, [caHash], true, uploadCerts ? key : "");
      if (uploadCerts) {
        text +=
          "You can now join any number of the control-plane node running the following command on each as root:\n\n" +
          `  ${cpCmd}\n\n` +
          "Please note that the certificate-key gives access to cluster sensitive data, keep it secret!\n" +
          "As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use\n" +
          '"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.\n\n';
      } else {
        text +=
          "You can now join any number of control-plane nodes by copying certificate authorities\n" +
          "and service account keys on each node and then running the following as root:\n\n" +
          `  ${cpCmd}\n\n`;
      }
    }
    text +=
      "Then you can join any number of worker nodes by running the following on each as root:\n\n" +
      joinCommand(endpoint, token, [caHash], false, "") +
      "\n";
    out(text);
  }
  return 0;
}

// ---------------------------------------------------------------- init, real control plane (real.js)
/**
 * After the offline phases: the kubelet's static Pods run the real etcd, kube-apiserver, controller-manager and
 * scheduler (static-pods.js); once they are ready, kwok gets its reads and the real kubeadm does the phases that
 * need the API server, with the double's bootstrap tokens.
 */
function realInit(flags, cfg, docs, skip) {
  out(
    `[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "${MANIFESTS}"\n`,
  );
  if (!kubeletCheck()) throw phaseError("wait-control-plane", KUBELET_TIMEOUT_ERROR);
  waitRealControlPlane(cfg.advertiseAddress, cfg.bindPort);
  // kwok (the kubelets) reads a little more than a kubelet may (kwok.js)
  real.grantKwok("/etc/kubernetes/super-admin.conf");

  const withTokens = JSON.parse(JSON.stringify(docs));
  let initDoc = withTokens.find((d) => d.kind === "InitConfiguration");
  if (!initDoc) {
    initDoc = { apiVersion: "kubeadm.k8s.io/v1beta4", kind: "InitConfiguration" };
    withTokens.unshift(initDoc);
  }
  initDoc.bootstrapTokens = cfg.tokens.map((t) => ({
    token: t.token,
    ttl: `${t.ttl}s`,
    usages: t.usages,
    groups: t.groups,
    ...(t.description ? { description: t.description } : {}),
  }));
  let certificateKey = cfg.certificateKey;
  const uploadCerts = flags["upload-certs"] === true || flags["experimental-upload-certs"] === true;
  // kubeadm takes no other flags along with --config: the key goes into the config as well
  if (uploadCerts && !skip.has("upload-certs") && !certificateKey)
    certificateKey = crypto.randomBytes(32).toString("hex");
  if (certificateKey) initDoc.certificateKey = certificateKey;
  const rc = realConfig(withTokens, cfg.advertiseAddress);
  // --skip-token-print: the real phase prints the token; withheld as kubeadm would
  const withheld = {
    ...rc,
    fix: (text) => cfg.tokens.reduce((t, tok) => t.split(tok.token).join("<value withheld>"), rc.fix(text)),
  };
  try {
    if (!skip.has("upload-config"))
      runPhase(["init", "phase", "upload-config", "all", "--config", rc.arg], rc, "upload-config");
    if (uploadCerts && !skip.has("upload-certs")) {
      runPhase(["init", "phase", "upload-certs", "--upload-certs", "--config", rc.arg], rc, "upload-certs");
    } else out("[upload-certs] Skipping phase. Please see --upload-certs\n");
    if (!skip.has("mark-control-plane"))
      runPhase(["init", "phase", "mark-control-plane", "--config", rc.arg], rc, "mark-control-plane");
    if (!skip.has("bootstrap-token"))
      runPhase(
        ["init", "phase", "bootstrap-token", "--config", rc.arg],
        flags["skip-token-print"] ? withheld : rc,
        "bootstrap-token",
      );
    if (!skip.has("kubelet-finalize")) {
      // the kubelet's part first: its client certificate in the rotatable pem the phase points kubelet.conf at
      kubeletFinalize();
      runPhase(["init", "phase", "kubelet-finalize", "all", "--config", rc.arg], rc, "kubelet-finalize");
    }
    if (!skip.has("addon")) {
      for (const a of ["coredns", "kube-proxy"])
        if (!skip.has(`addon/${a}`)) runPhase(["init", "phase", "addon", a, "--config", rc.arg], rc, `addon/${a}`);
    }
  } finally {
    rc.cleanup();
  }
  const caPem = host.read(`${cfg.certificatesDir}/ca.crt`);
  const server = yaml.parse(host.read(ADMIN_CONF)).clusters[0].cluster.server;
  return printInitSuccess(flags, cfg, skip, caPem, server.replace(/^https:\/\//, ""), certificateKey, uploadCerts);
}

/**
 * kubeadm's control-plane-check (init's and join's wait-control-plane): this host's static Pods, which the kubelet
 * runs (static-pods.js), answer their health checks.
 */
function waitRealControlPlane(advertiseAddress, bindPort) {
  const apiserver = `${localApiServer(advertiseAddress, bindPort)}/livez`;
  const started = Date.now();
  out("[control-plane-check] Waiting for healthy control plane components. This can take up to 4m0s\n");
  out(`[control-plane-check] Checking kube-apiserver at ${apiserver}\n`);
  out("[control-plane-check] Checking kube-controller-manager at https://127.0.0.1:10257/healthz\n");
  out("[control-plane-check] Checking kube-scheduler at https://127.0.0.1:10259/livez\n");
  const why = real.startControlPlane(host.settings().realControlPlaneStartSeconds);
  if (why) {
    errw(`${why}\n`);
    out("[control-plane-check] kube-apiserver is not healthy after 4m0.000512345s\n");
    throw phaseError(
      "wait-control-plane",
      `failed while waiting for the control plane to start: kube-apiserver check failed at ${apiserver}: client rate limiter Wait returned an error: context deadline exceeded`,
    );
  }
  const took = `${((Date.now() - started) / 1000).toFixed(9)}s`;
  out(`[control-plane-check] kube-controller-manager is healthy after ${took}\n`);
  out(`[control-plane-check] kube-scheduler is healthy after ${took}\n`);
  out(`[control-plane-check] kube-apiserver is healthy after ${took}\n`);
}

/** cmd/kubeadm/app/cmd/util/join.go's template. */
function joinCommand(endpoint, token, hashes, controlPlane, certificateKey) {
  let s = `kubeadm join ${endpoint} --token ${token} \\\n\t`;
  for (const h of hashes) s += `--discovery-token-ca-cert-hash ${h} `;
  if (controlPlane) s += `\\\n\t--control-plane ${certificateKey ? `--certificate-key ${certificateKey}` : ""}`;
  return s;
}

// Pulls through the lab's CRI image store (lib/images.js: mirrors, blocked registries), skipping pulled images.
function pullImage(image) {
  const images = require("../images.js");
  if (images.find(image).length) return null;
  const r = images.pull(image);
  return r.ok ? null : `failed to pull image "${image}": rpc error: code = Unknown desc = ${r.error}`;
}

const CERT_FILES = ["ca.crt", "ca.key", "sa.key", "sa.pub", "front-proxy-ca.crt", "front-proxy-ca.key"];
const ETCD_CERT_FILES = { "etcd-ca.crt": "etcd/ca.crt", "etcd-ca.key": "etcd/ca.key" };

/** Where this host's API daemon listens and which pki files it serves with. */
function apiserverConfig(pkiDir, address, port) {
  return {
    address,
    port,
    certFile: lab.fsPath(`${pkiDir}/apiserver.crt`),
    keyFile: lab.fsPath(`${pkiDir}/apiserver.key`),
    caFile: lab.fsPath(`${pkiDir}/ca.crt`),
    caKeyFile: lab.fsPath(`${pkiDir}/ca.key`),
  };
}

/** Through the API (kc) when given, else straight into the cluster's state (during init, before the API). */
function uploadCertsSecret(pkiDir, key, externalEtcd, nowDate, kc, clusterId) {
  const data = {};
  const files = Object.fromEntries(CERT_FILES.map((f) => [f, f]));
  if (!externalEtcd) Object.assign(files, ETCD_CERT_FILES);
  for (const [k, f] of Object.entries(files)) {
    const content = host.read(`${pkiDir}/${f}`);
    if (content !== null) data[k] = pki.encryptBytes(Buffer.from(content), key).toString("base64");
  }
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name: "kubeadm-certs",
      namespace: "kube-system",
      annotations: { "lab.pulumi-kubeadm/expires": rfc3339(new Date(nowDate.getTime() + 2 * 3600 * 1000)) },
    },
    data,
  };
  if (kc) {
    const r = api(kc, "PUT", "/api/v1/namespaces/kube-system/secrets/kubeadm-certs", secret);
    if (r.status >= 300) throw fatal(`error uploading certs: ${statusMessage(r)}`);
    return;
  }
  store.update(clusterId, (st) => {
    st.secrets = st.secrets || {};
    st.secrets["kube-system/kubeadm-certs"] = secret;
  });
}

/** What the kubelet does after bootstrap and kubeadm's kubelet-finalize: kubelet.conf points at the rotated pem. */
function kubeletFinalize() {
  const text = host.read(KUBELET_CONF);
  if (!text) return;
  const kc = yaml.parse(text);
  const user = kc.users && kc.users[0] && kc.users[0].user;
  if (!user || !user["client-certificate-data"]) return;
  const pem =
    Buffer.from(user["client-certificate-data"], "base64").toString() +
    Buffer.from(user["client-key-data"], "base64").toString();
  writeKubeletPem(pem);
  kc.users[0].user = {
    "client-certificate": "/var/lib/kubelet/pki/kubelet-client-current.pem",
    "client-key": "/var/lib/kubelet/pki/kubelet-client-current.pem",
  };
  host.write(KUBELET_CONF, yaml.stringify(kc), 0o600);
}

function writeKubeletPem(pem) {
  const d = lab.now();
  const stamp = d.toISOString().replace(/T/, "-").replace(/:/g, "-").replace(/\..*$/, "");
  const dated = `/var/lib/kubelet/pki/kubelet-client-${stamp}.pem`;
  host.write(dated, pem, 0o600);
  const link = lab.fsPath("/var/lib/kubelet/pki/kubelet-client-current.pem");
  fs.rmSync(link, { force: true });
  fs.symlinkSync(path.basename(dated), link);
}

// ---------------------------------------------------------------- join
function join(ctx, flags, positional) {
  const ignored = cfgs.listFlag(flags["ignore-preflight-errors"]);
  let cfg;
  try {
    cfg = cfgs.joinConfig(flags.config ? lab.fsPath(flags.config) : null, flags, positional);
  } catch (e) {
    throw fatal(e.message);
  }
  if (cfg.criSocketFlag) cfg.nodeRegistration.criSocket = cfg.criSocketFlag;
  ignored.push(...cfg.nodeRegistration.ignorePreflightErrors);
  if (!cfg.apiServerEndpoint || !cfg.token) {
    throw fatal('discovery: Invalid value: "": bootstrapToken or file must be set');
  }
  if (!cfgs.TOKEN_RE.test(cfg.token)) {
    throw fatal(`discovery.bootstrapToken.token: Invalid value: "${cfg.token}": the bootstrap token is invalid`);
  }
  if (cfg.caCertHashes.length === 0 && !cfg.unsafeSkipCAVerification) {
    throw fatal(
      'discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue',
    );
  }
  if (cfg.controlPlane && cfg.controlPlane.certificateKey && !/^[0-9a-f]{64}$/.test(cfg.controlPlane.certificateKey)) {
    throw fatal(
      `controlPlane.certificateKey: Invalid value: "${cfg.controlPlane.certificateKey}": certificate key decoding error: encoding/hex: invalid byte`,
    );
  }
  rootCheck(ignored);
  const nodeName = cfg.nodeRegistration.name;

  out("[preflight] Running pre-flight checks\n");
  const c = new Checks(ignored);
  if (dirNotEmpty(MANIFESTS)) c.add(`DirAvailable-${fileLabel(MANIFESTS)}`, `${MANIFESTS} is not empty`);
  for (const f of [KUBELET_CONF, BOOTSTRAP_KUBELET_CONF, "/etc/kubernetes/pki/ca.crt"]) {
    if (host.exists(f)) c.add(`FileAvailable-${fileLabel(f)}`, `${f} already exists`);
  }
  commonChecks(c, cfg.nodeRegistration, host.KUBERNETES_VERSION);
  const f = c.failure();
  if (f) throw f;

  // discovery
  if (real.enabled()) realDiscovery(cfg);
  const [tokenId, tokenSecretPart] = cfg.token.split(".");
  const info = discover(cfg, tokenId, tokenSecretPart);
  const caPem = info.caPem;
  const server = info.server;
  const bootKc = { server, caPem, token: cfg.tlsBootstrapToken };

  out('[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n');
  out("[preflight] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.\n");
  let r = api(bootKc, "GET", "/api/v1/namespaces/kube-system/configmaps/kubeadm-config");
  if (r.status !== 200)
    throw phaseError(
      "preflight",
      `unable to fetch the kubeadm-config ConfigMap: failed to get config map: ${statusMessage(r)}`,
    );
  const clusterConfiguration = yaml.parse(r.json.data.ClusterConfiguration) || {};
  const version = clusterConfiguration.kubernetesVersion || host.KUBERNETES_VERSION;

  if (cfg.controlPlane) {
    out("[preflight] Running pre-flight checks before initializing the new control plane instance\n");
    if (!clusterConfiguration.controlPlaneEndpoint) {
      throw phaseError(
        "preflight",
        "\nunable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address\n\nPlease ensure that:\n* The cluster has a stable controlPlaneEndpoint address.\n* The certificates that must be shared among control plane instances are provided.\n\n",
      );
    }
    const cc = new Checks(ignored);
    if (!host.portFree(cfg.controlPlane.bindPort))
      cc.add(`Port-${cfg.controlPlane.bindPort}`, `Port ${cfg.controlPlane.bindPort} is in use`);
    for (const comp of ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"]) {
      const file = `${MANIFESTS}/${comp}.yaml`;
      if (host.exists(file)) cc.add(`FileAvailable-${fileLabel(file)}`, `${file} already exists`);
    }
    if (dirNotEmpty("/var/lib/etcd")) cc.add("DirAvailable--var-lib-etcd", "/var/lib/etcd is not empty");
    const ff = cc.failure();
    if (ff) throw ff;
    if (real.enabled()) runRealJoinPhase(cfg, "control-plane-prepare all");
    else controlPlanePrepare(cfg, bootKc, clusterConfiguration);
  }

  // kubelet-start: bootstrap kubeconfig and CA first, as kubeadm writes them before anything else
  host.write("/etc/kubernetes/pki/ca.crt", caPem, 0o644);
  // A joining control-plane node's kubelet bootstraps against its own API server (kubeadm 1.35,
  // ControlPlaneKubeletLocalMode), which can only answer once this host's etcd member joined.
  const kubeletServer =
    cfg.controlPlane && real.enabled()
      ? localApiServer(cfg.controlPlane.advertiseAddress, cfg.controlPlane.bindPort)
      : server;
  host.write(
    BOOTSTRAP_KUBELET_CONF,
    kubeconfigText({ server: kubeletServer, caPem, user: "tls-bootstrap-token-user", token: cfg.tlsBootstrapToken }),
    0o600,
  );
  r = api(bootKc, "GET", `/api/v1/nodes/${encodeURIComponent(nodeName)}`);
  if (r.status === 200) {
    const ready = ((r.json.status || {}).conditions || []).find((x) => x.type === "Ready");
    if (ready && ready.status === "True") {
      throw phaseError(
        "kubelet-start",
        `a Node with name "${nodeName}" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node`,
      );
    }
  }
  r = api(bootKc, "GET", "/api/v1/namespaces/kube-system/configmaps/kubelet-config");
  if (r.status !== 200)
    throw phaseError(
      "kubelet-start",
      `error downloading kubelet configuration from the ConfigMap "kubelet-config" in the kube-system namespace: ${statusMessage(r)}`,
    );
  const criSocket = cfg.nodeRegistration.criSocket;
  let kubeletConfig = r.json.data.kubelet || "";
  if (/^containerRuntimeEndpoint:/m.test(kubeletConfig))
    kubeletConfig = kubeletConfig.replace(/^containerRuntimeEndpoint:.*$/m, `containerRuntimeEndpoint: ${criSocket}`);
  out('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/instance-config.yaml"\n');
  host.write("/var/lib/kubelet/instance-config.yaml", `containerRuntimeEndpoint: "${criSocket}"\n`, 0o644);
  out('[patches] Applied patch of type "application/strategic-merge-patch+json" to target "kubeletconfiguration"\n');
  out('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"\n');
  host.write("/var/lib/kubelet/config.yaml", kubeletConfig, 0o644);
  out('[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"\n');
  host.write("/var/lib/kubelet/kubeadm-flags.env", kubeletFlags(cfg.nodeRegistration), 0o644);
  out("[kubelet-start] Starting the kubelet\n");
  restartKubelet();
  if (!kubeletCheck()) throw phaseError("kubelet-start", KUBELET_TIMEOUT_ERROR);
  if (real.enabled() && cfg.controlPlane) runRealJoinPhase(cfg, "etcd-join");
  out("[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap\n");
  if (real.enabled()) {
    // the kubelet (kubelet-agent.js) bootstraps with bootstrap-kubelet.conf against the real API
    const deadline = Date.now() + host.settings().tlsBootstrapTimeoutSeconds * 1000;
    while (!host.exists(KUBELET_CONF)) {
      if (Date.now() > deadline)
        throw phaseError(
          "kubelet-start",
          "error waiting for the kubelet to perform the TLS Bootstrap: timed out waiting for the condition",
        );
      lab.sleepSeconds(0.5);
    }
    host.rm(BOOTSTRAP_KUBELET_CONF);
    if (!cfg.controlPlane) {
      out(WORKER_JOINED);
      return 0;
    }
    realControlPlaneJoin(cfg);
    out(CONTROL_PLANE_JOINED);
    return 0;
  }

  // the kubelet's TLS bootstrap: CSR with the bootstrap token, signed by the cluster's CA
  const { csrPem, keyPem } = pki.createCsr({ O: ["system:nodes"], CN: `system:node:${nodeName}` });
  r = api(bootKc, "POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { generateName: "node-csr-" },
    spec: {
      request: b64(csrPem),
      signerName: "kubernetes.io/kube-apiserver-client-kubelet",
      usages: ["digital signature", "client auth"],
    },
  });
  if (r.status !== 201)
    throw phaseError(
      "kubelet-start",
      `error waiting for the kubelet to perform the TLS Bootstrap: ${statusMessage(r)}`,
    );
  const certPem = Buffer.from(r.json.status.certificate, "base64").toString();
  writeKubeletPem(certPem + keyPem);
  const clusterName = clusterConfiguration.clusterName || "kubernetes";
  host.write(
    KUBELET_CONF,
    kubeconfigText({
      server,
      caPem,
      clusterName,
      user: "default-auth",
      certFile: "/var/lib/kubelet/pki/kubelet-client-current.pem",
      keyFile: "/var/lib/kubelet/pki/kubelet-client-current.pem",
    })
      .replace(/default-auth@kubernetes/g, "default-context")
      .replace(new RegExp(`default-auth@${clusterName}`, "g"), "default-context"),
    0o600,
  );
  host.rm(BOOTSTRAP_KUBELET_CONF);

  // the kubelet registers its Node
  const nodeKc = { server, caPem, certPem, keyPem };
  const labels = {};
  const nodeLabels = cfg.nodeRegistration.kubeletExtraArgs.find((a) => a.name === "node-labels");
  if (nodeLabels) for (const kv of nodeLabels.value.split(",")) labels[kv.split("=")[0]] = kv.split("=")[1] || "";
  let taints = (cfg.nodeRegistration.taints || []).map(parseTaint).filter(Boolean);
  if (cfg.controlPlane) {
    Object.assign(labels, {
      "node-role.kubernetes.io/control-plane": "",
      "node.kubernetes.io/exclude-from-external-load-balancers": "",
    });
    if (cfg.nodeRegistration.taints === undefined)
      taints = [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }];
  }
  const address =
    (cfg.controlPlane && cfg.controlPlane.advertiseAddress) ||
    host.addressTowards(server) ||
    host.firstHostIPv4() ||
    "";
  const node = nodeObject({ name: nodeName, address, labels, taints, nowDate: lab.now(), version });
  r = api(nodeKc, "GET", `/api/v1/nodes/${encodeURIComponent(nodeName)}`);
  if (r.status === 200) {
    node.metadata.creationTimestamp = r.json.metadata.creationTimestamp;
    r = api(nodeKc, "PUT", `/api/v1/nodes/${encodeURIComponent(nodeName)}`, node);
  } else {
    r = api(nodeKc, "POST", "/api/v1/nodes", node);
  }
  if (r.status >= 300) throw phaseError("kubelet-start", `error registering the node: ${statusMessage(r)}`);

  if (cfg.controlPlane) {
    joinEtcdAndStartApiServer(cfg, clusterConfiguration, caPem);
    out(
      `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]\n`,
    );
    if (taints.length)
      out(
        `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the taints [${taints.map(taintString).join(" ")}]\n`,
      );
    out(CONTROL_PLANE_JOINED);
    return 0;
  }
  out(WORKER_JOINED);
  return 0;
}

function localApiServer(address, port) {
  return `https://${address.includes(":") ? `[${address}]` : address}:${port}`;
}

/** What kubeadm join prints when a control-plane node joined. */
const CONTROL_PLANE_JOINED =
  "\nThis node has joined the cluster and a new control plane instance was created:\n\n" +
  "* Certificate signing request was sent to apiserver and approval was received.\n" +
  "* The Kubelet was informed of the new secure connection details.\n" +
  "* Control plane label and taint were applied to the new node.\n" +
  "* The Kubernetes control plane instances scaled up.\n" +
  "* A new etcd member was added to the local/stacked etcd cluster.\n\n" +
  "To start administering your cluster from this node, you need to run the following as a regular user:\n\n" +
  "\tmkdir -p $HOME/.kube\n" +
  `\tsudo cp -i ${ADMIN_CONF} $HOME/.kube/config\n` +
  "\tsudo chown $(id -u):$(id -g) $HOME/.kube/config\n\n" +
  "Run 'kubectl get nodes' to see this node join the cluster.\n\n";

/**
 * Real control plane, after the kubelet's TLS bootstrap (before it, the real etcd-join phase added this host's etcd
 * member as a learner through the members the etcd mirror Pods announce, wrote etcd's manifest, which the kubelet,
 * kubelet-agent.js, runs, and promoted the member once it caught up): the real kubeadm marks the node, then
 * kubeadm's wait for this host's control plane.
 */
function realControlPlaneJoin(cfg) {
  runRealJoinPhase(cfg, "control-plane-join mark-control-plane");
  // the real phase takes no configuration when run alone (it then has no control plane to wait for)
  waitRealControlPlane(cfg.controlPlane.advertiseAddress, cfg.controlPlane.bindPort);
}

/**
 * control-plane-join/etcd and the new API server: kubeadm adds this host's etcd member as a learner through
 * the cluster (with the admin.conf control-plane-prepare wrote), starts it, and promotes it once it has caught
 * up; the kubelet then runs the API server static Pod, which serves the shared cluster state.
 */
function joinEtcdAndStartApiServer(cfg, clusterConfiguration, caPem) {
  const { advertiseAddress, bindPort } = cfg.controlPlane;
  const pkiDir = clusterConfiguration.certificatesDir || "/etc/kubernetes/pki";
  const adminKc = client.loadKubeconfig(lab.fsPath(ADMIN_CONF));
  let r = api(adminKc, "POST", "/lab/etcd/members", {
    name: cfg.nodeRegistration.name,
    address: advertiseAddress,
    port: bindPort,
    isLearner: true,
  });
  if (r.status !== 201) {
    throw phaseError(
      "control-plane-join/etcd",
      `error creating local etcd static pod manifest file: ${statusMessage(r)}`,
    );
  }
  const member = r.json;
  out("[etcd] Announced new etcd member joining to the existing etcd cluster\n");
  out('[etcd] Creating static Pod manifest for "etcd"\n');
  out("[etcd] Waiting for the new etcd member to join the cluster. This can take up to 40s\n");
  host.write("/var/lib/etcd/member/snap/db", "", 0o600);
  store.writeHostConfig({
    apiserver: apiserverConfig(pkiDir, advertiseAddress, bindPort),
    cluster: store.clusterId(caPem),
  });
  startDaemon();
  const local = `https://${advertiseAddress.includes(":") ? `[${advertiseAddress}]` : advertiseAddress}:${bindPort}`;
  if (!waitHealthy(local, caPem, host.settings().apiServerStartSeconds)) {
    throw phaseError(
      "wait-control-plane",
      `failed while waiting for the control plane to start: kube-apiserver check failed at ${local}/livez: client rate limiter Wait returned an error: context deadline exceeded`,
    );
  }
  r = api(adminKc, "POST", `/lab/etcd/members/${member.id}/promote`);
  if (r.status !== 200) {
    throw phaseError("control-plane-join/etcd", `error promoting the learner member: ${statusMessage(r)}`);
  }
}

function kubeletFlags(nodeReg) {
  const args = [];
  if (nodeReg.name !== host.hostname()) args.push({ name: "hostname-override", value: nodeReg.name });
  for (const a of nodeReg.kubeletExtraArgs) {
    const i = args.findIndex((x) => x.name === a.name);
    if (i >= 0) args[i] = a;
    else args.push(a);
  }
  args.sort((a, b) => a.name.localeCompare(b.name));
  return `KUBELET_KUBEADM_ARGS="${args.map((a) => `--${a.name}=${a.value}`).join(" ")}"\n`;
}

function restartKubelet() {
  host.systemctl(["daemon-reload"]);
  host.systemctl(["restart", "kubelet"]);
}
const ROOTFS = () => !!(process.env.LAB_FS_ROOT && process.env.LAB_FS_ROOT !== "/");

/** Token discovery: cluster-info fetched anonymously, JWS-verified with the token, CA pinned. */
function discover(cfg, tokenId, tokenSecretPart) {
  const s = host.settings();
  const timeout = s.discoveryTimeoutSeconds;
  const deadline = Date.now() + timeout * 1000;
  const endpoint = cfg.apiServerEndpoint;
  const insecureServer = `https://${endpoint}`;
  const p = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
  let lastError = null;
  for (;;) {
    let r = null;
    try {
      r = client.requestSync({ server: insecureServer, insecure: true, timeoutMs: 10000 }, "GET", p);
    } catch (e) {
      lastError = `failed to request the cluster-info ConfigMap: Get "${insecureServer}${p}?timeout=10s": ${client.dialError(e, endpoint)}`;
    }
    if (r && r.status !== 200) lastError = `failed to request the cluster-info ConfigMap: ${statusMessage(r)}`;
    if (r && r.status === 200) {
      const data = r.json.data || {};
      const jws = data[`jws-kubeconfig-${tokenId}`];
      if (!jws) {
        lastError = `could not find a JWS signature in the cluster-info ConfigMap for token ID "${tokenId}"`;
      } else {
        if (!pki.verifyJwsDetached(jws, data.kubeconfig, tokenId, tokenSecretPart)) {
          throw phaseError(
            "preflight",
            "couldn't validate the identity of the API Server: failed to verify JWS signature of received cluster info object, can't trust this API Server",
          );
        }
        const kc = yaml.parse(data.kubeconfig);
        const cluster = kc.clusters[0].cluster;
        const caPem = Buffer.from(cluster["certificate-authority-data"], "base64").toString();
        const hash = pki.caCertHash(caPem);
        if (!cfg.unsafeSkipCAVerification && !cfg.caCertHashes.map((h) => h.toLowerCase()).includes(hash)) {
          throw phaseError(
            "preflight",
            `couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${hash}" are pinned`,
          );
        }
        // second request, TLS now validated against the pinned CA
        try {
          const again = client.requestSync({ server: insecureServer, caPem, timeoutMs: 10000 }, "GET", p);
          if (again.status !== 200) throw new Error(statusMessage(again));
        } catch (e) {
          throw phaseError(
            "preflight",
            `couldn't validate the identity of the API Server: failed to request the cluster-info ConfigMap: ${e.message}`,
          );
        }
        return { caPem, server: cluster.server };
      }
    }
    if (Date.now() + s.discoveryRetrySeconds * 1000 > deadline) break;
    lab.sleepSeconds(s.discoveryRetrySeconds);
  }
  throw phaseError("preflight", `couldn't validate the identity of the API Server: ${lastError}`);
}

/**
 * Real control plane: the JoinConfiguration the real kubeadm's join phases read, from what the double parsed
 * (config file and flags alike); discovery times out after the lab's discovery timeout (settings.json), as the
 * simulated discovery does.
 */
function realJoinConfig(cfg) {
  const nr = cfg.nodeRegistration;
  const doc = {
    apiVersion: "kubeadm.k8s.io/v1beta4",
    kind: "JoinConfiguration",
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: cfg.apiServerEndpoint,
        token: cfg.token,
        caCertHashes: cfg.caCertHashes,
        unsafeSkipCAVerification: cfg.unsafeSkipCAVerification,
      },
      tlsBootstrapToken: cfg.tlsBootstrapToken,
    },
    nodeRegistration: {
      name: nr.name,
      criSocket: nr.criSocket,
      kubeletExtraArgs: nr.kubeletExtraArgs,
      ...(nr.taints !== undefined ? { taints: nr.taints } : {}),
    },
    timeouts: { discovery: `${host.settings().discoveryTimeoutSeconds}s` },
  };
  if (cfg.controlPlane) {
    doc.controlPlane = {
      localAPIEndpoint: { advertiseAddress: cfg.controlPlane.advertiseAddress, bindPort: cfg.controlPlane.bindPort },
      ...(cfg.controlPlane.certificateKey ? { certificateKey: cfg.controlPlane.certificateKey } : {}),
    };
  }
  return realConfig([doc], "");
}

/**
 * Runs one of the real kubeadm's join phases; its output is passed on (all but `quiet` lines; `silent`: only its
 * error), its failure is the double's, with kubeadm's own error text and exit code.
 */
function runRealJoinPhase(cfg, phase, { quiet = () => false, silent = false, extraArgs = [] } = {}) {
  const rc = realJoinConfig(cfg);
  const args = ["join", "phase", ...phase.split(" "), "--config", rc.arg, ...extraArgs];
  // in the host's command log, as the product's own commands are: tests tell the real kubeadm's work by it
  lab.logCommand(host.realKubeadm(), args);
  let r;
  try {
    r = host.runRealKubeadm(args);
  } finally {
    rc.cleanup();
  }
  // each phase run alone reads kubeadm-config again and says so; a join says it once (the double did)
  const repeated = (line) =>
    /^\[preflight\] (Reading configuration from the|Use 'kubeadm init phase upload-config)/.test(line);
  const keep = (text) =>
    text
      .split("\n")
      .filter((line) => !quiet(line) && !repeated(line))
      .join("\n");
  if (r.status !== 0) {
    if (!silent) out(keep(r.stdout));
    throw lab.exit(r.status || 1, keep(r.stderr));
  }
  if (!silent) {
    out(keep(r.stdout));
    errw(keep(r.stderr));
  }
}

/**
 * Real control plane: the real kubeadm's own token discovery (cluster-info read anonymously, the token's JWS
 * signature, the pinned CA hash), its read of kubeadm-config with the token and, for a control-plane join, its
 * check that the cluster can take one (a controlPlaneEndpoint, the certificates), so a wrong, unknown or expired
 * token fails with kubeadm's own error. Its checks of this host are the double's (above): a lab host has no CRI
 * socket for the real kubeadm to ask, so those are ignored and its output is not shown.
 */
function realDiscovery(cfg) {
  runRealJoinPhase(cfg, "preflight", {
    silent: true,
    quiet: (line) => /^\s*\[WARNING /.test(line),
    extraArgs: ["--ignore-preflight-errors=all"],
  });
}

function controlPlanePrepare(cfg, bootKc, clusterConfiguration) {
  const key = cfg.controlPlane.certificateKey;
  const pkiDir = clusterConfiguration.certificatesDir || "/etc/kubernetes/pki";
  if (key) {
    out('[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n');
    const r = api(bootKc, "GET", "/api/v1/namespaces/kube-system/secrets/kubeadm-certs");
    if (r.status === 404) {
      throw phaseError(
        "control-plane-prepare/download-certs",
        'error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one',
      );
    }
    if (r.status !== 200) {
      throw phaseError(
        "control-plane-prepare/download-certs",
        `error downloading certs: error downloading the secret: ${statusMessage(r)}`,
      );
    }
    const files = { ...Object.fromEntries(CERT_FILES.map((f) => [f, f])), ...ETCD_CERT_FILES };
    const plain = {};
    for (const [k, v] of Object.entries(r.json.data || {})) {
      try {
        plain[k] = pki.decryptBytes(Buffer.from(v, "base64"), key).toString();
      } catch (e) {
        throw phaseError(
          "control-plane-prepare/download-certs",
          `error downloading certs: error decoding secret data with provided key: ${e.message}`,
        );
      }
    }
    out(`[download-certs] Saving the certificates to the folder: "${pkiDir}"\n`);
    for (const [k, v] of Object.entries(plain))
      if (files[k]) host.write(`${pkiDir}/${files[k]}`, v, /\.key$/.test(k) ? 0o600 : 0o644);
  } else if (!host.exists(`${pkiDir}/ca.key`)) {
    throw phaseError(
      "control-plane-prepare/certs",
      `error execution phase control-plane-prepare/certs: couldn't load the certificate authority from the certificate dir: couldn't load the certificate file ${pkiDir}/ca.crt: open ${pkiDir}/ca.crt: no such file or directory`,
    );
  }
  // The real kubeadm generates this node's certificates, kubeconfigs and manifests from an equivalent init config
  const docs = [
    {
      apiVersion: "kubeadm.k8s.io/v1beta4",
      kind: "InitConfiguration",
      localAPIEndpoint: { advertiseAddress: cfg.controlPlane.advertiseAddress, bindPort: cfg.controlPlane.bindPort },
      nodeRegistration: { name: cfg.nodeRegistration.name, criSocket: cfg.nodeRegistration.criSocket },
    },
    { ...clusterConfiguration, apiVersion: "kubeadm.k8s.io/v1beta4", kind: "ClusterConfiguration" },
  ];
  const rc = realConfig(docs, cfg.controlPlane.advertiseAddress);
  try {
    out("[control-plane-prepare] Generating certificates and kubeconfig files for the new control plane instance\n");
    runPhase(["init", "phase", "certs", "all", "--config", rc.arg], rc, "control-plane-prepare/certs");
    runPhase(["init", "phase", "kubeconfig", "admin", "--config", rc.arg], rc, "control-plane-prepare/kubeconfig");
    runPhase(
      ["init", "phase", "kubeconfig", "controller-manager", "--config", rc.arg],
      rc,
      "control-plane-prepare/kubeconfig",
    );
    runPhase(["init", "phase", "kubeconfig", "scheduler", "--config", rc.arg], rc, "control-plane-prepare/kubeconfig");
    runPhase(["init", "phase", "control-plane", "all", "--config", rc.arg], rc, "control-plane-prepare/control-plane");
    runPhase(["init", "phase", "etcd", "local", "--config", rc.arg], rc, "etcd");
    rc.fixFiles();
  } finally {
    rc.cleanup();
  }
}

// ---------------------------------------------------------------- reset
function readLine() {
  const buf = Buffer.alloc(1);
  let line = "";
  for (;;) {
    let n = 0;
    try {
      n = fs.readSync(0, buf, 0, 1, null);
    } catch (e) {
      if (e.code === "EAGAIN") {
        lab.sleepSeconds(0.05);
        continue;
      }
      return line || null;
    }
    if (n === 0) return line || null;
    const ch = buf.toString();
    if (ch === "\n") return line;
    line += ch;
  }
}

function reset(ctx, flags) {
  rootCheck(cfgs.listFlag(flags["ignore-preflight-errors"]));
  if (!flags.force) {
    klogWarning(
      "reset.go:127",
      "[reset] WARNING: Changes made to this host by 'kubeadm init' or 'kubeadm join' will be reverted.",
    );
    out("[reset] Are you sure you want to proceed? [y/N]: ");
    const answer = readLine();
    if (!answer || !/^[yY]$/.test(answer.trim())) {
      throw fatal("won't proceed; the user didn't answer (Y|y) in order to continue");
    }
  }
  const certDir = flags["cert-dir"] || "/etc/kubernetes/pki";
  // control plane: read the kubeadm-config from the cluster, like kubeadm does with admin.conf
  let clusterCfg = null;
  const adminFile = lab.fsPath(ADMIN_CONF);
  if (fs.existsSync(adminFile)) {
    try {
      const kc = client.loadKubeconfig(adminFile);
      const r = api(kc, "GET", "/api/v1/namespaces/kube-system/configmaps/kubeadm-config");
      if (r.status === 200) {
        out('[reset] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n');
        out("[reset] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.\n");
        clusterCfg = yaml.parse(r.json.data.ClusterConfiguration);
      } else {
        klogWarning(
          "reset.go:141",
          `[reset] Unable to fetch the kubeadm-config ConfigMap from cluster: failed to get config map: ${statusMessage(r)}`,
        );
      }
    } catch (e) {
      klogWarning(
        "reset.go:141",
        `[reset] Unable to fetch the kubeadm-config ConfigMap from cluster: failed to get config map: ${e.message}`,
      );
    }
  }
  out("[preflight] Running pre-flight checks\n");

  // A worker's kubelet stops posting status: tell the node lifecycle controller (best effort, node credentials)
  const kubeletFile = lab.fsPath(KUBELET_CONF);
  if (fs.existsSync(kubeletFile) && !fs.existsSync(adminFile)) {
    try {
      const kc = client.loadKubeconfig(kubeletFile);
      const subj = pki.subjectOf(kc.certPem);
      const name = (subj.CN || "").replace(/^system:node:/, "");
      client.requestSync({ ...kc, timeoutMs: 3000 }, "PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, {
        metadata: { annotations: { "lab.pulumi-kubeadm/kubelet-stopped-at": lab.now().toISOString() } },
      });
    } catch {
      /* the control plane may be gone */
    }
  }

  // remove-etcd-member / etcd data
  const etcdManifest = host.read(`${MANIFESTS}/etcd.yaml`);
  // real control plane: its containers stop (forcibly, as CRI StopPodSandbox) before their data goes
  let etcdMemberRemoved = false;
  if (real.enabled()) {
    // remove-etcd-member before the Pods stop, as kubeadm's phases run: the member leaves through the etcd it runs
    if (clusterCfg && etcdManifest) etcdMemberRemoved = realRemoveEtcdMember();
    real.kubeletStopped();
    real.stopControlPlane();
  }
  if (!clusterCfg)
    klogWarning("removeetcdmember.go:106", "[reset] No kubeadm config, using etcd pod spec to get data directory");
  let etcdDataDir = null;
  if (clusterCfg && clusterCfg.etcd && clusterCfg.etcd.local && clusterCfg.etcd.local.dataDir)
    etcdDataDir = clusterCfg.etcd.local.dataDir;
  else if (etcdManifest) {
    const m = /--data-dir=(\S+)/.exec(etcdManifest);
    etcdDataDir = m ? m[1] : "/var/lib/etcd";
  } else if (clusterCfg && !(clusterCfg.etcd && clusterCfg.etcd.external)) etcdDataDir = "/var/lib/etcd";
  if (etcdDataDir) {
    // remove-etcd-member: only with the cluster's config (as kubeadm), and only a warning when it fails
    let removed = etcdMemberRemoved;
    if (clusterCfg && !real.enabled()) {
      const failure = removeStackedEtcdMember(client.loadKubeconfig(adminFile));
      if (failure) {
        klogWarning(
          "removeetcdmember.go:71",
          `[reset] Failed to remove etcd member: ${failure}, please manually remove this etcd member using etcdctl`,
        );
      } else {
        cleanDir(etcdDataDir);
        out(`[reset] Deleted contents of the etcd data directory: ${etcdDataDir}\n`);
        removed = true;
      }
    }
    if (!removed && dirNotEmpty(etcdDataDir)) {
      cleanDir(etcdDataDir);
      out(`[reset] Deleted contents of the etcd data directory: ${etcdDataDir}\n`);
    }
  } else {
    out("[reset] No etcd config found. Assuming external etcd\n");
    out("[reset] Please, manually reset etcd to prevent further issues\n");
  }

  // cleanup-node
  out("[reset] Stopping the kubelet service\n");
  const sr = host.systemctl(["stop", "kubelet"]);
  if (sr.status !== 0)
    klogWarning(
      "cleanupnode.go:72",
      `[reset] The kubelet service could not be stopped by kubeadm: [${sr.stderr.trim()}]`,
    );
  // the API server and etcd were static pods of this kubelet: the lab daemon goes with them, and the cluster's
  // state with its last etcd member
  if (!real.enabled() && (etcdManifest || host.exists(`${MANIFESTS}/kube-apiserver.yaml`))) {
    stopDaemon();
    const hostCfg = store.hostConfig();
    if (hostCfg && hostCfg.cluster && hostCfg.apiserver) {
      const self = store.hostPort(hostCfg.apiserver.address, hostCfg.apiserver.port);
      const others = store.members(store.read(hostCfg.cluster)).filter((m) => m.apiServer !== self);
      if (others.length === 0) store.remove(hostCfg.cluster);
    }
    store.removeHostConfig();
  }
  out('[reset] Unmounting mounted directories in "/var/lib/kubelet"\n');
  const dirs = [MANIFESTS, "/var/lib/kubelet", certDir];
  if (flags["cleanup-tmp-dir"]) dirs.push("/etc/kubernetes/tmp");
  for (const d of dirs) cleanDir(d);
  out(`[reset] Deleting contents of directories: [${dirs.join(" ")}]\n`);
  const files = [
    "admin.conf",
    "super-admin.conf",
    "kubelet.conf",
    "bootstrap-kubelet.conf",
    "controller-manager.conf",
    "scheduler.conf",
  ].map((x) => `/etc/kubernetes/${x}`);
  for (const x of files) host.rm(x);
  out(`[reset] Deleting files: [${files.join(" ")}]\n`);
  out(
    "\nThe reset process does not perform cleanup of CNI plugin configuration,\n" +
      "network filtering rules and kubeconfig files.\n\n" +
      "For information on how to perform this cleanup manually, please see:\n" +
      "    https://k8s.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/\n\n",
  );
  return 0;
}

/**
 * Real control plane: the real kubeadm's remove-etcd-member phase (this host's member, found by the API server's
 * mirror Pod, leaves the real etcd cluster unless it is the last one; the data dir is emptied). Its output and
 * warning ("Failed to remove etcd member") are passed on; true when it removed the member and the data.
 */
function realRemoveEtcdMember() {
  const args = ["reset", "phase", "remove-etcd-member", "--kubeconfig", ADMIN_CONF];
  lab.logCommand(host.realKubeadm(), args);
  const r = host.runRealKubeadm(args);
  // the reset already said where its configuration came from
  out(
    r.stdout
      .split("\n")
      .filter((line) => !/^\[reset\] (Reading configuration|Use 'kubeadm init phase upload-config)/.test(line))
      .join("\n"),
  );
  errw(r.stderr);
  return r.status === 0 && !/Failed to remove etcd member/.test(r.stderr);
}

/**
 * etcdphase.RemoveStackedEtcdMemberFromCluster: this host's member (found by its peer URL) leaves the cluster,
 * unless it is the only one left or already gone. Returns the error text, or null.
 */
function removeStackedEtcdMember(kc) {
  const hostCfg = store.hostConfig();
  if (!hostCfg || !hostCfg.apiserver) return null;
  const address = hostCfg.apiserver.address;
  const peerURL = `https://${address.includes(":") ? `[${address}]` : address}:2380`;
  let r;
  try {
    r = api(kc, "GET", "/lab/etcd/members");
  } catch (e) {
    return e.message;
  }
  if (r.status !== 200) return statusMessage(r);
  const members = r.json.members || [];
  if (members.length === 1 && members[0].peerURLs[0] === peerURL) return null;
  const member = members.find((m) => m.peerURLs[0] === peerURL);
  if (!member) return null;
  try {
    r = api(kc, "DELETE", `/lab/etcd/members/${member.id}`);
  } catch (e) {
    return e.message;
  }
  return r.status === 200 ? null : statusMessage(r);
}

function cleanDir(d) {
  for (const e of host.dirEntries(d) || []) host.rm(`${d}/${e}`);
}

// ---------------------------------------------------------------- token
function humanShort(seconds) {
  const s = Math.floor(seconds);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 60) return `${s}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(seconds / 3600);
  if (h < 24) return `${h}h`;
  if (h < 24 * 365) return `${Math.floor(h / 24)}d`;
  return `${Math.floor(h / 24 / 365)}y`;
}

function tabwrite(rows, minwidth, padding) {
  const widths = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] || 0, c.length)));
  return rows
    .map(
      (r) =>
        r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(Math.max(minwidth, widths[i] + padding)))).join("") + "\n",
    )
    .join("");
}

function token(ctx, flags, positional) {
  const sub = positional[0];
  if (sub === "generate") {
    out(`${cfgs.generateToken()}\n`);
    return 0;
  }
  if (!["create", "list", "delete"].includes(sub)) throw fatal(`unknown command "${sub}" for "kubeadm token"`);
  const kc = adminClient(flags);
  if (sub === "create") {
    const t = positional[1] || cfgs.generateToken();
    if (!cfgs.TOKEN_RE.test(t))
      throw fatal(`the bootstrap token "${t}" was not of the form "\\A([a-z0-9]{6})\\.([a-z0-9]{16})\\z"`);
    const ttl = cfgs.parseDuration(flags.ttl === undefined ? "24h0m0s" : flags.ttl);
    if (ttl === null)
      throw fatal(`invalid argument "${flags.ttl}" for "--ttl" flag: time: invalid duration "${flags.ttl}"`);
    const usages = flags.usages ? cfgs.listFlag(flags.usages) : cfgs.DEFAULT_USAGES;
    const groups = flags.groups ? cfgs.listFlag(flags.groups) : cfgs.DEFAULT_GROUPS;
    const secret = tokenSecret({ token: t, ttl, usages, groups, description: flags.description || "" }, lab.now());
    let r;
    try {
      r = api(kc, "POST", "/api/v1/namespaces/kube-system/secrets", secret);
    } catch (e) {
      throw fatal(
        `failed to create or update bootstrap token with name ${secret.metadata.name}: unable to create Secret: ${e.message}`,
      );
    }
    if (r.status === 409) throw fatal(`a token with id "${t.split(".")[0]}" already exists`);
    if (r.status >= 300)
      throw fatal(
        `failed to create or update bootstrap token with name ${secret.metadata.name}: unable to create Secret: ${statusMessage(r)}`,
      );
    if (flags["print-join-command"]) {
      const endpoint = kc.server.replace(/^https:\/\//, "");
      let cmd = joinCommand(
        endpoint,
        t,
        [pki.caCertHash(kc.caPem)],
        !!flags["certificate-key"],
        flags["certificate-key"] || "",
      );
      cmd = cmd.split("\\\n\t").join("");
      out(`${cmd}\n`);
    } else out(`${t}\n`);
    return 0;
  }
  if (sub === "list") {
    let r;
    try {
      r = api(kc, "GET", "/api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io%2Ftoken");
    } catch (e) {
      throw fatal(`failed to list bootstrap tokens: ${e.message}`);
    }
    if (r.status !== 200) throw fatal(`failed to list bootstrap tokens: ${statusMessage(r)}`);
    const now = lab.now();
    const rows = [];
    const d = (s, k) => (s.data[k] ? Buffer.from(s.data[k], "base64").toString() : "");
    for (const s of r.json.items) {
      const tokenStr = `${d(s, "token-id")}.${d(s, "token-secret")}`;
      const exp = d(s, "expiration");
      const ttlStr = exp ? humanShort((new Date(exp) - now) / 1000) : "<forever>";
      const usages = Object.keys(s.data)
        .filter((k) => k.startsWith("usage-bootstrap-") && d(s, k) === "true")
        .map((k) => k.slice("usage-bootstrap-".length))
        .sort();
      rows.push([
        tokenStr,
        ttlStr,
        exp ? rfc3339(new Date(exp)) : "<never>",
        usages.join(","),
        d(s, "description") || "<none>",
        d(s, "auth-extra-groups"),
      ]);
    }
    if (rows.length)
      out(tabwrite([["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"], ...rows], 10, 3));
    return 0;
  }
  // delete
  if (positional.length < 2)
    throw fatal(
      'missing argument; \'token delete\' is missing token of form "\\A([a-z0-9]{6})\\z" or "\\A([a-z0-9]{6})\\.([a-z0-9]{16})\\z"',
    );
  for (const arg of positional.slice(1)) {
    const id = arg.split(".")[0];
    if (!/^[a-z0-9]{6}$/.test(id))
      throw fatal(`given token didn't match pattern "\\A([a-z0-9]{6})\\z" or "\\A([a-z0-9]{6})\\.([a-z0-9]{16})\\z"`);
    const r = api(kc, "DELETE", `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}`);
    if (r.status >= 300) throw fatal(`failed to delete bootstrap token "${id}": ${statusMessage(r)}`);
    out(`bootstrap token "${id}" deleted\n`);
  }
  return 0;
}

// ---------------------------------------------------------------- init phase upload-certs
function uploadCertsPhase(ctx, flags) {
  if (!flags["upload-certs"]) {
    out("[upload-certs] Skipping phase. Please see --upload-certs\n");
    return 0;
  }
  let certDir = "/etc/kubernetes/pki";
  let configKey = "";
  if (flags.config) {
    try {
      const c = cfgs.initConfig(lab.fsPath(flags.config), flags);
      certDir = c.certificatesDir;
      configKey = c.certificateKey;
    } catch (e) {
      throw fatal(e.message);
    }
  }
  const kc = adminClient(flags);
  // --certificate-key, else InitConfiguration.certificateKey, else a new one (kubeadm's order)
  const key = flags["certificate-key"] || configKey || crypto.randomBytes(32).toString("hex");
  if (!/^[0-9a-f]{64}$/.test(key))
    throw fatal("error execution phase upload-certs: error decoding certificate key: encoding/hex: invalid byte");
  try {
    uploadCertsSecret(certDir, key, false, lab.now(), kc);
  } catch (e) {
    if (e instanceof lab.DoubleExit) throw e;
    throw phaseError("upload-certs", `error uploading certs: ${e.message}`);
  }
  out('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n');
  out("[upload-certs] Using certificate key:\n");
  out(`${key}\n`);
  return 0;
}

// ---------------------------------------------------------------- config images
function configImages(ctx, flags, sub) {
  let version = flags["kubernetes-version"] || host.KUBERNETES_VERSION;
  let repo = flags["image-repository"] || "registry.k8s.io";
  if (flags.config) {
    try {
      const c = cfgs.initConfig(lab.fsPath(flags.config), flags);
      version = c.kubernetesVersion;
      repo = c.imageRepository;
    } catch (e) {
      throw fatal(e.message);
    }
  }
  const images = cfgs.imagesFor(version, repo);
  if (sub === "list") {
    out(images.join("\n") + "\n");
    return 0;
  }
  const cri = new Checks([]);
  if (!criCheck(cri, flags["cri-socket"] || cfgs.DEFAULT_CRI_SOCKET)) {
    throw fatal(cri.errors[0].replace(/^\t\[ERROR CRI\]: /, "").trim());
  }
  for (const image of images) {
    const e = pullImage(image);
    if (e) throw fatal(`failed to pull image "${image}": ${e.replace(/^failed to pull image "[^"]*": /, "")}`);
    out(`[config/images] Pulled ${image}\n`);
  }
  return 0;
}

function passthrough(argv) {
  const r = childProcess.spawnSync(host.realKubeadm(), argv, { stdio: "inherit", env: process.env });
  return r.status === null ? 1 : r.status;
}

// ---------------------------------------------------------------- main
function main(ctx) {
  const argv = ctx.argv;
  const { flags, positional } = parseArgs(argv);
  const [cmd, ...rest] = positional;
  if (cmd === "version") {
    if (flags.output === "short") out(`${host.KUBERNETES_VERSION}\n`);
    else return passthrough(argv);
    return 0;
  }
  if (cmd === "init" && rest[0] === "phase") {
    if (rest[1] === "upload-certs" && !real.enabled()) return uploadCertsPhase(ctx, flags);
    return passthroughRootfs(argv);
  }
  if (cmd === "init") return init(ctx, flags);
  if (cmd === "join") return join(ctx, flags, rest);
  if (cmd === "reset") return reset(ctx, flags);
  if (cmd === "token") return token(ctx, flags, rest);
  if (cmd === "config" && rest[0] === "images" && ["list", "pull"].includes(rest[1]))
    return configImages(ctx, flags, rest[1]);
  if (cmd === "certs" && rest[0] === "certificate-key") return passthrough(argv);
  return passthroughRootfs(argv);
}

/** Anything else goes to the real kubeadm (chrooted into LAB_FS_ROOT in tests when it takes --rootfs). */
function passthroughRootfs(argv) {
  const root = process.env.LAB_FS_ROOT;
  if (root && root !== "/") {
    const r = host.runRealKubeadm(argv);
    if (/unknown flag: --rootfs/.test(r.stderr)) return passthrough(argv);
    out(r.stdout);
    errw(r.stderr);
    return r.status === null ? 1 : r.status;
  }
  return passthrough(argv);
}

function run(argv) {
  lab.runDouble("kubeadm", argv, main, { redact });
}

module.exports = { run, parseArgs, joinCommand, humanShort, tabwrite, kubeconfigText };
