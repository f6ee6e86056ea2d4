"use strict";
/*
 * The kubelet's API side in the lab's real-control-plane mode (real.js), a detached process the kubelet double
 * starts with the kubelet: with only /etc/kubernetes/bootstrap-kubelet.conf it performs the kubelet's TLS
 * bootstrap (an ECDSA key, a CertificateSigningRequest for system:node:<name> / system:nodes with signer
 * kubernetes.io/kube-apiserver-client-kubelet, posted with the bootstrap token; the real controller-manager
 * approves and signs it through the RBAC kubeadm's bootstrap-token phase installed), writes
 * /var/lib/kubelet/pki/kubelet-client-current.pem and /etc/kubernetes/kubelet.conf; then, with kubelet.conf,
 * registers the Node (the kubelet's initial node status) and starts kwok for it (kwok.js). From then on it is the
 * kubelet's sync loop for static Pods: every few seconds the Pods of /etc/kubernetes/manifests run as they are
 * written, changed or removed (static-pods.js; kubeadm's control-plane join writes etcd's manifest and then waits
 * for the member), and each has its mirror Pod in the API (what kubeadm reads etcd's and the API server's endpoints
 * from). It runs until the kubelet stops (real.js kills it). Log: /var/log/lab/kubelet-agent.log.
 */
const fs = require("fs");
const path = require("path");
const childProcess = require("child_process");
const host = require("./host.js");
const client = require("./client.js");
const pki = require("./pki.js");
const yaml = require("./yaml.js");
const kwok = require("./kwok.js");

const lab = host.lab;
const KUBELET_CONF = "/etc/kubernetes/kubelet.conf";
const BOOTSTRAP = "/etc/kubernetes/bootstrap-kubelet.conf";
const PEM = "/var/lib/kubelet/pki/kubelet-client-current.pem";

const log = (m) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function flagsEnv() {
  const text = host.read("/var/lib/kubelet/kubeadm-flags.env") || "";
  const flags = {};
  for (const m of text.matchAll(/--([\w-]+)=([^\s"]*)/g)) flags[m[1]] = m[2];
  return flags;
}

function nodeName() {
  return flagsEnv()["hostname-override"] || host.hostname();
}

async function tlsBootstrap(name) {
  const kc = client.loadKubeconfig(lab.fsPath(BOOTSTRAP));
  const { csrPem, keyPem } = pki.createCsr({ O: ["system:nodes"], CN: `system:node:${name}` });
  const r = await client.request(kc, "POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { generateName: "node-csr-" },
    spec: {
      request: Buffer.from(csrPem).toString("base64"),
      signerName: "kubernetes.io/kube-apiserver-client-kubelet",
      usages: ["digital signature", "client auth"],
    },
  });
  if (r.status !== 201) throw new Error(`posting the CSR: ${r.status} ${r.body}`);
  const csrName = r.json.metadata.name;
  log(`posted CertificateSigningRequest ${csrName}`);
  for (;;) {
    const g = await client.request(kc, "GET", `/apis/certificates.k8s.io/v1/certificatesigningrequests/${csrName}`);
    const cert = g.status === 200 && g.json.status && g.json.status.certificate;
    if (cert) {
      const certPem = Buffer.from(cert, "base64").toString();
      const stamp = lab.now().toISOString().replace(/T/, "-").replace(/:/g, "-").replace(/\..*$/, "");
      const dated = `/var/lib/kubelet/pki/kubelet-client-${stamp}.pem`;
      host.write(dated, certPem + keyPem, 0o600);
      fs.rmSync(lab.fsPath(PEM), { force: true });
      fs.symlinkSync(path.basename(dated), lab.fsPath(PEM));
      const caPem = kc.caPem;
      const kubeconfig = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "default-cluster",
            cluster: { "certificate-authority-data": Buffer.from(caPem).toString("base64"), server: kc.server },
          },
        ],
        contexts: [
          {
            name: "default-context",
            context: { cluster: "default-cluster", namespace: "default", user: "default-auth" },
          },
        ],
        "current-context": "default-context",
        preferences: {},
        users: [{ name: "default-auth", user: { "client-certificate": PEM, "client-key": PEM } }],
      };
      host.write(KUBELET_CONF, yaml.stringify(kubeconfig), 0o600);
      log(`TLS bootstrap done: ${KUBELET_CONF}`);
      return;
    }
    await sleep(500);
  }
}

function nodeObject(name, address, version) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
      },
    },
    status: {
      addresses: [
        { type: "InternalIP", address },
        { type: "Hostname", address: name },
      ],
      capacity: { cpu: "2", memory: "4012Mi", pods: "110", "ephemeral-storage": "61255492Ki" },
      allocatable: { cpu: "2", memory: "3910Mi", pods: "110", "ephemeral-storage": "56453061334" },
      nodeInfo: {
        kubeletVersion: version,
        containerRuntimeVersion: "containerd://1.7.28",
        operatingSystem: "linux",
        architecture: "amd64",
        kernelVersion: "6.8.0-lab",
        osImage: "lab",
        machineID: "",
        systemUUID: "",
        bootID: "",
        kubeProxyVersion: "",
      },
    },
  };
}

async function register(kc, name, address) {
  const g = await client.request(kc, "GET", `/api/v1/nodes/${encodeURIComponent(name)}`);
  if (g.status === 200) return;
  if (g.status !== 404) throw new Error(`reading Node ${name}: ${g.status} ${g.body}`);
  const r = await client.request(kc, "POST", "/api/v1/nodes", nodeObject(name, address, host.KUBERNETES_VERSION));
  if (r.status !== 201 && r.status !== 409) throw new Error(`registering Node ${name}: ${r.status} ${r.body}`);
  log(`registered Node ${name} (${address})`);
}

/** How often the kubelet looks at its manifests dir again (its file source re-reads it every 20 s; shortened). */
const SYNC_MS = 2000;
const MIRROR = "kubernetes.io/config.mirror";

/** The mirror Pod the kubelet keeps in the API for a static Pod: bound to its node, owned by the Node object. */
function mirrorPod(manifest, nodeName, nodeUid) {
  const pod = manifest.pod;
  const metadata = pod.metadata || {};
  const spec = { ...(pod.spec || {}), nodeName };
  // the kubelet gives static Pods a toleration of every NoExecute taint
  spec.tolerations = [...(spec.tolerations || []), { operator: "Exists", effect: "NoExecute" }];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${metadata.name}-${nodeName}`,
      namespace: metadata.namespace || "default",
      labels: metadata.labels || {},
      annotations: {
        ...(metadata.annotations || {}),
        "kubernetes.io/config.hash": manifest.hash,
        [MIRROR]: manifest.hash,
        "kubernetes.io/config.seen": new Date().toISOString(),
        "kubernetes.io/config.source": "file",
      },
      ownerReferences: [{ apiVersion: "v1", kind: "Node", name: nodeName, uid: nodeUid, controller: true }],
    },
    spec,
  };
}

let lastSyncError = "";
const reported = new Set();

/** The static Pods run as their manifests say (started, restarted when changed, stopped when removed). */
function syncStaticPods() {
  const pods = require("./static-pods.js");
  // kube-vip's Pod is the lab's kube-vip double (real.js playedByDoubles), as in the simulated mode
  require("./daemon.js").ensureKubeVip();
  for (const r of pods.start()) {
    if (r.action === "started" || r.action === "restarted") log(`static Pod ${r.name} ${r.action} (pid ${r.pid})`);
    if (r.action === "error" && !require("./real.js").playedByDoubles(r.name) && !reported.has(r.error)) {
      reported.add(r.error);
      log(`static Pod ${r.name}: ${r.error}`);
    }
  }
}

/** Each static Pod has its mirror Pod in the API, at the manifest's current version. */
async function syncMirrorPods(kc, name) {
  const manifests = require("./static-pods.js")
    .readManifests()
    .filter((m) => m.pod);
  const node = await client.request(kc, "GET", `/api/v1/nodes/${encodeURIComponent(name)}`);
  if (node.status !== 200) throw new Error(`reading Node ${name}: ${node.status}`);
  const listed = await client.request(
    kc,
    "GET",
    `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${name}`)}`,
  );
  if (listed.status !== 200) throw new Error(`listing this node's Pods: ${listed.status} ${listed.body}`);
  const mirrors = listed.json.items.filter((p) => ((p.metadata || {}).annotations || {})[MIRROR]);
  const wanted = new Map(manifests.map((m) => [`${m.pod.metadata.name}-${name}`, m]));
  for (const p of mirrors) {
    const m = wanted.get(p.metadata.name);
    wanted.delete(p.metadata.name);
    // current, or already on its way out (created again on a later round)
    if ((m && p.metadata.annotations[MIRROR] === m.hash) || p.metadata.deletionTimestamp) continue;
    const d = await client.request(
      kc,
      "DELETE",
      `/api/v1/namespaces/${p.metadata.namespace}/pods/${encodeURIComponent(p.metadata.name)}`,
      { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 },
    );
    if (d.status >= 300 && d.status !== 404) throw new Error(`deleting mirror Pod ${p.metadata.name}: ${d.status}`);
    log(`mirror Pod ${p.metadata.name} deleted (${m ? "manifest changed" : "manifest gone"})`);
    if (m) wanted.set(p.metadata.name, m);
  }
  for (const [podName, m] of wanted) {
    const body = mirrorPod(m, name, node.json.metadata.uid);
    const c = await client.request(kc, "POST", `/api/v1/namespaces/${body.metadata.namespace}/pods`, body);
    if (c.status !== 201 && c.status !== 409) throw new Error(`creating mirror Pod ${podName}: ${c.status} ${c.body}`);
    if (c.status === 201) log(`mirror Pod ${podName} created`);
  }
}

/** The kubelet's API side: TLS bootstrap, Node registration and kwok, then the mirror Pods, every SYNC_MS. */
async function apiLoop(name) {
  let kc;
  for (;;) {
    try {
      if (!host.exists(KUBELET_CONF)) {
        if (host.exists(BOOTSTRAP)) await tlsBootstrap(name);
        else {
          await sleep(1000);
          continue;
        }
      }
      kc = client.loadKubeconfig(lab.fsPath(KUBELET_CONF));
      const address = flagsEnv()["node-ip"] || host.addressTowards(kc.server) || host.firstHostIPv4();
      await register(kc, name, address);
      const r = kwok.start({ kubeconfig: lab.fsPath(KUBELET_CONF), node: name, nodeIP: address });
      log(`kwok ${r.action} (pid ${r.pid})`);
      break;
    } catch (e) {
      log(`not yet: ${e.message}`);
      await sleep(1000);
    }
  }
  for (;;) {
    try {
      await syncMirrorPods(kc, name);
      lastSyncError = "";
    } catch (e) {
      // an API server that is still starting (or this control-plane host's own, restarting) is the usual reason
      if (e.message !== lastSyncError) log(`mirror Pod sync: ${e.message}`);
      lastSyncError = e.message;
    }
    await sleep(SYNC_MS);
  }
}

/**
 * The kubelet's static Pods need no API server: they run from the manifests from the kubelet's start, which is how
 * a joining control-plane node's own etcd and API server come up before its kubelet can bootstrap against them.
 */
async function staticPodLoop() {
  for (;;) {
    try {
      syncStaticPods();
    } catch (e) {
      log(`static Pod sync: ${e.message}`);
    }
    await sleep(SYNC_MS);
  }
}

async function main() {
  const name = nodeName();
  log(`kubelet agent for ${name}`);
  await Promise.all([staticPodLoop(), apiLoop(name)]);
}

main().then(
  () => process.exit(0),
  (e) => {
    log(`failed: ${e.stack || e.message}`);
    process.exit(1);
  },
);
