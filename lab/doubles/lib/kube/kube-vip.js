"use strict";
/*
 * kube-vip's static Pod, as the kubelet double runs it (started by daemon.js when an active kubelet finds
 * /etc/kubernetes/manifests/kube-vip.yaml; pid in $LAB_STATE/kube-vip.pid, log in $LAB_LOG/kube-vip.log).
 * Control-plane mode with ARP and leader election, what kubeadm/kube-vip-manifest.ts renders:
 *   - the image must be in the host's CRI store or pullable (lib/images.js: mirrors, blocked registries); until
 *     it is, the Pod does not run (the kubelet's ErrImagePull), checked again every few seconds;
 *   - it talks to the cluster through this host's API server, so it waits until this host serves a cluster;
 *   - leader election is a lease in the lab's etcd (store.js: leases["kube-system/plndr-cp-lock"], holder and
 *     renew time in real time), renewed every vip_retryperiod, taken over once vip_leaseduration passed
 *     without renewal (a switched-off leader's lease runs out);
 *   - the leader adds `address`/32 to `vip_interface` (a real address on the host's real interface, in its
 *     network namespace); a host that is no longer leader removes it. Real kube-vip announces the move with
 *     gratuitous ARP; the lab has no raw sockets, so the control-plane hosts drop their neighbour entry for
 *     the address when the lease changes hands, and other hosts see the move once theirs goes stale (seconds);
 *   - when the manifest goes away (kubeadm reset, kube-vip turned off) it gives the address up and exits, as
 *     the kubelet stops a static Pod whose manifest was removed.
 * With the lab's real control plane (real.js) the lease is what real kube-vip uses: the Lease
 * kube-system/plndr-cp-lock in the real API, through this host's own API server (the manifest's kubeconfig with
 * the server "kubernetes:6443", which its hostAliases resolve to 127.0.0.1), taken with the API's optimistic
 * concurrency (resourceVersion), renewed and taken over as above.
 */
const fs = require("fs");
const childProcess = require("child_process");
const lab = require("../double.js");
const yaml = require("./yaml.js");
const store = require("./store.js");
const client = require("./client.js");

const MANIFEST = "/etc/kubernetes/manifests/kube-vip.yaml";
const LEASE = "kube-system/plndr-cp-lock";
const IMAGE_RETRY_MS = 5000;

function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** The settings kube-vip reads from its environment, or null when the manifest is gone or unreadable. */
function readManifest() {
  let pod;
  try {
    pod = yaml.parse(fs.readFileSync(lab.fsPath(MANIFEST), "utf8"));
  } catch {
    return null;
  }
  const container = (((pod || {}).spec || {}).containers || [])[0] || {};
  const env = Object.fromEntries((container.env || []).map((e) => [e.name, e.value]));
  const address = env.address || env.vip_address;
  if (!address || !env.vip_interface) return null;
  return {
    image: container.image,
    address,
    iface: env.vip_interface,
    cidr: env.vip_cidr || "32",
    leaseSeconds: Number(env.vip_leaseduration || 5),
    retrySeconds: Number(env.vip_retryperiod || 1),
  };
}

function ip(args) {
  return childProcess.spawnSync("ip", args, { encoding: "utf8" });
}

function holdsAddress(vip) {
  return ip(["-o", "addr", "show", "dev", vip.iface]).stdout.includes(` ${vip.address}/${vip.cidr} `);
}

function addAddress(vip) {
  if (holdsAddress(vip)) return;
  const r = ip(["addr", "add", `${vip.address}/${vip.cidr}`, "dev", vip.iface]);
  log(r.status === 0 ? `holding ${vip.address} on ${vip.iface}` : `cannot add ${vip.address}: ${r.stderr.trim()}`);
}

function removeAddress(vip) {
  if (!holdsAddress(vip)) return;
  ip(["addr", "del", `${vip.address}/${vip.cidr}`, "dev", vip.iface]);
  log(`released ${vip.address}`);
}

let imageReady = false;
let imageCheckedAt = 0;

function imagePresent(image) {
  if (imageReady) return true;
  if (Date.now() - imageCheckedAt < IMAGE_RETRY_MS) return false;
  imageCheckedAt = Date.now();
  const images = require("../images.js");
  if (images.find(image).length > 0) return (imageReady = true);
  const pulled = images.pull(image);
  if (pulled.ok) return (imageReady = true);
  log(`ErrImagePull: failed to pull image "${image}": ${pulled.error}`);
  return false;
}

/** The manifest's kubeconfig, for this host's own API server (what kube-vip's hostAliases entry points at). */
function localKubeconfig() {
  const pod = yaml.parse(fs.readFileSync(lab.fsPath(MANIFEST), "utf8"));
  const volume = ((pod.spec || {}).volumes || []).find((v) => v.name === "kubeconfig" && v.hostPath);
  if (!volume) throw new Error("the manifest mounts no kubeconfig");
  const kc = client.loadKubeconfig(lab.fsPath(volume.hostPath.path));
  const tls = require("tls");
  return {
    ...kc,
    server: "https://127.0.0.1:6443",
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity("kubernetes", cert),
  };
}

/** Kubernetes' MicroTime: RFC 3339 with microseconds. */
function microTime(ms) {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** electInCluster's answer when the API could not be asked (not up yet, no quorum): nobody is known to lead. */
const UNKNOWN = Symbol("unknown");

/** As elect(), with the Lease of the real API. */
async function electInCluster(me, vip) {
  let kc;
  try {
    kc = localKubeconfig();
  } catch {
    return UNKNOWN;
  }
  const base = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";
  const url = `${base}/plndr-cp-lock`;
  const now = Date.now();
  let r;
  try {
    r = await client.request(kc, "GET", url);
    if (r.status === 404) {
      const spec = {
        holderIdentity: me,
        leaseDurationSeconds: vip.leaseSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      };
      const lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "plndr-cp-lock" }, spec };
      const c = await client.request(kc, "POST", base, lease);
      return c.status === 201 ? me : UNKNOWN;
    }
    if (r.status !== 200) return UNKNOWN;
    const lease = r.json;
    const spec = lease.spec || {};
    const renewed = Date.parse(spec.renewTime || 0);
    const expired = !spec.holderIdentity || now - renewed > (spec.leaseDurationSeconds || vip.leaseSeconds) * 1000;
    if (spec.holderIdentity !== me && !expired) return spec.holderIdentity;
    const taking = spec.holderIdentity !== me;
    lease.spec = {
      ...spec,
      holderIdentity: me,
      leaseDurationSeconds: vip.leaseSeconds,
      renewTime: microTime(now),
      ...(taking ? { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions || 0) + 1 } : {}),
    };
    // a 409 means another candidate wrote first: it leads, seen on the next round
    const u = await client.request(kc, "PUT", url, lease);
    return u.status === 200 ? me : taking ? UNKNOWN : spec.holderIdentity;
  } catch {
    return UNKNOWN;
  }
}

/** Takes or renews the lease when free, expired or ours; returns the holder after the attempt. */
function elect(clusterId, me, vip) {
  const now = Date.now();
  const st = store.update(clusterId, (s) => {
    s.leases = s.leases || {};
    const lease = s.leases[LEASE];
    const expired = !lease || now - lease.renewTime > vip.leaseSeconds * 1000;
    if (!lease || lease.holder === me || expired) {
      s.leases[LEASE] = {
        holder: me,
        renewTime: now,
        acquireTime: lease && lease.holder === me ? lease.acquireTime : now,
      };
    }
  });
  return st.leases[LEASE].holder;
}

let lastHolder = null;
let lastVip = null;

async function tick(me) {
  const vip = readManifest();
  if (!vip) {
    if (lastVip) removeAddress(lastVip);
    log("manifest removed: stopping");
    process.exit(0);
  }
  lastVip = vip;
  if (!imagePresent(vip.image)) return;
  let holder;
  if (require("./real.js").enabled()) {
    holder = await electInCluster(me, vip);
    // unanswered: a leader that cannot renew its lease steps down, as kube-vip's leader election does
    if (holder === UNKNOWN) holder = lastHolder === me ? null : lastHolder;
  } else {
    const config = store.hostConfig();
    if (!config || !config.cluster || !store.read(config.cluster)) return;
    try {
      holder = elect(config.cluster, me, vip);
    } catch (e) {
      log(`leader election: ${e.message}`);
      return;
    }
  }
  if (holder !== lastHolder) {
    log(`leader is ${holder}`);
    // what the new leader's gratuitous ARP would make every neighbour do
    ip(["neigh", "flush", "to", vip.address, "dev", vip.iface]);
    lastHolder = holder;
  }
  if (holder === me) addAddress(vip);
  else removeAddress(vip);
}

function main() {
  const me = lab.host();
  const stop = () => {
    if (lastVip) removeAddress(lastVip);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  fs.writeFileSync(lab.statePath("kube-vip.pid"), `${process.pid}\n`);
  log(`kube-vip for ${me} started`);
  const loop = async () => {
    try {
      await tick(me);
    } catch (e) {
      log(`error: ${e.stack || e}`);
    }
    const vip = lastVip || { retrySeconds: 1 };
    setTimeout(loop, vip.retrySeconds * 1000);
  };
  loop();
}

if (require.main === module) main();

module.exports = { readManifest };
