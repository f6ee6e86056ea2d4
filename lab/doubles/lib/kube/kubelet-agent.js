"use strict";
/*
 * The kubelet's API side in the lab's real-control-plane mode (real.js), a detached process the kubelet double
 * starts with the kubelet: with only /etc/kubernetes/bootstrap-kubelet.conf it performs the kubelet's TLS
 * bootstrap (an ECDSA key, a CertificateSigningRequest for system:node:<name> / system:nodes with signer
 * kubernetes.io/kube-apiserver-client-kubelet, posted with the bootstrap token; the real controller-manager
 * approves and signs it through the RBAC kubeadm's bootstrap-token phase installed), writes
 * /var/lib/kubelet/pki/kubelet-client-current.pem and /etc/kubernetes/kubelet.conf; then, with kubelet.conf,
 * registers the Node (the kubelet's initial node status) and starts kwok for it (kwok.js), and exits. Log:
 * /var/log/lab/kubelet-agent.log.
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

async function main() {
  const name = nodeName();
  log(`kubelet agent for ${name}`);
  for (;;) {
    try {
      if (!host.exists(KUBELET_CONF)) {
        if (host.exists(BOOTSTRAP)) await tlsBootstrap(name);
        else {
          await sleep(1000);
          continue;
        }
      }
      const kc = client.loadKubeconfig(lab.fsPath(KUBELET_CONF));
      const address = flagsEnv()["node-ip"] || host.addressTowards(kc.server) || host.firstHostIPv4();
      await register(kc, name, address);
      const r = kwok.start({ kubeconfig: lab.fsPath(KUBELET_CONF), node: name, nodeIP: address });
      log(`kwok ${r.action} (pid ${r.pid})`);
      return;
    } catch (e) {
      log(`not yet: ${e.message}`);
      await sleep(1000);
    }
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    log(`failed: ${e.stack || e.message}`);
    process.exit(1);
  },
);
