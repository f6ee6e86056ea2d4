"use strict";
// kubeadm configuration as the kubeadm double needs it: reading InitConfiguration / ClusterConfiguration /
// JoinConfiguration documents (v1beta3 and v1beta4), kubeadm's defaults, Go durations, token helpers.
const fs = require("fs");
const crypto = require("crypto");
const yaml = require("./yaml.js");
const host = require("./host.js");

const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const DEFAULT_CRI_SOCKET = "unix:///var/run/containerd/containerd.sock";
const DEFAULT_GROUPS = ["system:bootstrappers:kubeadm:default-node-token"];
const DEFAULT_USAGES = ["signing", "authentication"];

function generateToken() {
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  const pick = (n) => Array.from(crypto.randomBytes(n), (b) => chars[b % chars.length]).join("");
  return `${pick(6)}.${pick(16)}`;
}

/** Go time.ParseDuration for what configs use ("24h", "1h30m", "90s", "0", "24h0m0s"); seconds or null. */
function parseDuration(text) {
  if (text === undefined || text === null) return null;
  const s = String(text).trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  let consumed = 0;
  let m;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (consumed !== s.replace(/^[-+]/, "").length || consumed === 0) return null;
  return s.startsWith("-") ? -total : total;
}

/** Go's Duration.String() for whole seconds ("24h0m0s", "4m0s", "0s"). */
function formatDuration(seconds) {
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

function loadDocs(file) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`unable to read config from "${file}" : open ${file}: no such file or directory`);
  }
  return { text, docs: yaml.parseAll(text).filter((d) => d && typeof d === "object") };
}

function byKind(docs, kind) {
  return docs.find((d) => d.kind === kind);
}

/** Normalises nodeRegistration, filling kubeadm's defaults. */
function nodeRegistration(nr, fallbackName) {
  nr = nr || {};
  return {
    name: (nr.name || fallbackName || host.hostname()).toLowerCase(),
    criSocket: nr.criSocket || DEFAULT_CRI_SOCKET,
    taints: nr.taints, // undefined = default taint (control plane only), [] = none
    kubeletExtraArgs: extraArgs(nr.kubeletExtraArgs),
    ignorePreflightErrors: nr.ignorePreflightErrors || [],
    raw: nr,
  };
}

function extraArgs(v) {
  if (!v) return [];
  if (Array.isArray(v)) return v.map((a) => ({ name: a.name, value: String(a.value) }));
  return Object.entries(v).map(([name, value]) => ({ name, value: String(value) }));
}

/** The init configuration with defaults (the parts the double uses), plus the parsed documents. */
function initConfig(file, flags) {
  const { text, docs } = file ? loadDocs(file) : { text: "", docs: [] };
  const init = byKind(docs, "InitConfiguration") || {};
  const cluster = byKind(docs, "ClusterConfiguration") || {};
  const kubelet = byKind(docs, "KubeletConfiguration") || null;
  const lae = init.localAPIEndpoint || {};
  const advertiseAddress =
    flags["apiserver-advertise-address"] || lae.advertiseAddress || host.firstHostIPv4() || "127.0.0.1";
  const bindPort = Number(flags["apiserver-bind-port"] || lae.bindPort || 6443);
  let cpe = flags["control-plane-endpoint"] || cluster.controlPlaneEndpoint || "";
  const tokens = (init.bootstrapTokens || []).map((t) => ({
    token: t.token || generateToken(),
    ttl: t.ttl === undefined ? 24 * 3600 : parseDuration(t.ttl),
    expires: t.expires,
    usages: t.usages || DEFAULT_USAGES,
    groups: t.groups || DEFAULT_GROUPS,
    description: t.description || "",
  }));
  if (flags.token)
    tokens.splice(0, tokens.length, {
      token: flags.token,
      ttl: parseDuration(flags["token-ttl"] || "24h"),
      usages: DEFAULT_USAGES,
      groups: DEFAULT_GROUPS,
      description: "",
    });
  if (tokens.length === 0)
    tokens.push({
      token: generateToken(),
      ttl: 24 * 3600,
      usages: DEFAULT_USAGES,
      groups: DEFAULT_GROUPS,
      description: "",
    });
  const networking = cluster.networking || {};
  const etcdLocal = (cluster.etcd && cluster.etcd.local) || {};
  return {
    text,
    docs,
    init,
    cluster,
    kubelet,
    apiVersion: init.apiVersion || cluster.apiVersion || "kubeadm.k8s.io/v1beta4",
    kubernetesVersion: flags["kubernetes-version"] || cluster.kubernetesVersion || host.KUBERNETES_VERSION,
    imageRepository: flags["image-repository"] || cluster.imageRepository || "registry.k8s.io",
    certificatesDir: flags["cert-dir"] || cluster.certificatesDir || "/etc/kubernetes/pki",
    controlPlaneEndpoint: cpe,
    clusterName: cluster.clusterName || "kubernetes",
    serviceSubnet: flags["service-cidr"] || networking.serviceSubnet || "10.96.0.0/12",
    podSubnet: flags["pod-network-cidr"] || networking.podSubnet || "",
    dnsDomain: flags["service-dns-domain"] || networking.dnsDomain || "cluster.local",
    etcdDataDir: etcdLocal.dataDir || "/var/lib/etcd",
    externalEtcd: !!(cluster.etcd && cluster.etcd.external),
    advertiseAddress,
    bindPort,
    nodeRegistration: nodeRegistration(init.nodeRegistration, flags["node-name"]),
    tokens,
    certificateKey: flags["certificate-key"] || init.certificateKey || "",
    skipPhases: [...(init.skipPhases || []), ...listFlag(flags["skip-phases"])],
  };
}

/** The join configuration (file or flags) with defaults. */
function joinConfig(file, flags, positional) {
  const { text, docs } = file ? loadDocs(file) : { text: "", docs: [] };
  const join = byKind(docs, "JoinConfiguration") || {};
  const disc = join.discovery || {};
  const bt = disc.bootstrapToken || {};
  const token = flags["discovery-token"] || flags.token || bt.token || "";
  const cp = join.controlPlane || (flags["control-plane"] ? {} : null);
  const timeouts = join.timeouts || {};
  return {
    text,
    docs,
    join,
    apiVersion: join.apiVersion || "kubeadm.k8s.io/v1beta4",
    apiServerEndpoint: positional[0] || bt.apiServerEndpoint || "",
    token,
    tlsBootstrapToken: flags["tls-bootstrap-token"] || flags.token || disc.tlsBootstrapToken || token,
    caCertHashes: [...listFlag(flags["discovery-token-ca-cert-hash"]), ...(bt.caCertHashes || [])],
    unsafeSkipCAVerification:
      flags["discovery-token-unsafe-skip-ca-verification"] === true || bt.unsafeSkipCAVerification === true,
    discoveryTimeout: parseDuration(timeouts.discovery || disc.timeout || "5m"),
    nodeRegistration: nodeRegistration(join.nodeRegistration, flags["node-name"]),
    controlPlane: cp
      ? {
          advertiseAddress:
            flags["apiserver-advertise-address"] ||
            (cp.localAPIEndpoint || {}).advertiseAddress ||
            host.firstHostIPv4() ||
            "",
          bindPort: Number(flags["apiserver-bind-port"] || (cp.localAPIEndpoint || {}).bindPort || 6443),
          certificateKey: flags["certificate-key"] || cp.certificateKey || "",
        }
      : null,
    skipPhases: [...(join.skipPhases || []), ...listFlag(flags["skip-phases"])],
    criSocketFlag: flags["cri-socket"],
  };
}

function listFlag(v) {
  if (v === undefined || v === true) return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((x) => String(x).split(","))
    .map((x) => x.trim())
    .filter(Boolean);
}

/** kubeadm config images list for this version/repository (asks the real kubeadm; fixed list as fallback). */
function imagesFor(version, repository) {
  try {
    const r = host.runRealKubeadm(
      ["config", "images", "list", "--kubernetes-version", version, "--image-repository", repository],
      { rootfs: false },
    );
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim().split("\n");
  } catch {
    /* fall through */
  }
  const custom = repository !== "registry.k8s.io";
  return [
    `${repository}/kube-apiserver:${version}`,
    `${repository}/kube-controller-manager:${version}`,
    `${repository}/kube-scheduler:${version}`,
    `${repository}/kube-proxy:${version}`,
    `${repository}/${custom ? "" : "coredns/"}coredns:v1.13.1`,
    `${repository}/pause:3.10.1`,
    `${repository}/etcd:3.6.6-0`,
  ];
}

module.exports = {
  TOKEN_RE,
  DEFAULT_CRI_SOCKET,
  DEFAULT_GROUPS,
  DEFAULT_USAGES,
  generateToken,
  parseDuration,
  formatDuration,
  initConfig,
  joinConfig,
  listFlag,
  imagesFor,
  loadDocs,
};
