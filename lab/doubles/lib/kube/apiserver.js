"use strict";
/*
 * The lab API daemon: a minimal, REST-shaped stand-in for kube-apiserver (plus the bits of the controller
 * manager that kubeadm relies on: CSR signing, the bootstrap signer and token cleaner, node lifecycle), one per
 * control-plane host. Started detached by the kubeadm double after `kubeadm init` or `kubeadm join
 * --control-plane`, and by the kubelet double when it starts on a control-plane host (its static Pod); pid in
 * $LAB_STATE/apiserver.pid, log in $LAB_LOG/apiserver.log; stopped by `kubeadm reset`. Every control plane of a
 * cluster serves the same state, the lab's etcd (store.js): $LAB_STATE/cluster.json says where this one listens,
 * with which pki files, and which cluster it serves.
 *
 * TLS on <advertiseAddress>:<bindPort> with /etc/kubernetes/pki/apiserver.{crt,key}; client certificates
 * signed by ca.crt authenticate as CN (user) / O (groups); a bearer token "<id>.<secret>" matching a live
 * bootstrap token authenticates as system:bootstrap:<id> (groups system:bootstrappers + auth-extra-groups).
 *
 * etcd quorum: the daemon checks every second which members' API daemons accept connections (store.js); one that
 * failed two checks in a row is dead. While fewer than a majority of the voting members are alive, /readyz fails ("[-]etcd failed") and every other API
 * request fails like kube-apiserver without etcd (500, "etcdserver: request timed out").
 *
 * Routes (JSON bodies are Kubernetes objects; errors are metav1.Status with the usual reason/code):
 *   anonymous      GET  /healthz /livez                                      -> "ok"
 *   anonymous      GET  /readyz                                              -> "ok", or 500 without etcd quorum
 *   anonymous      GET  /version                                             -> version.Info
 *   anonymous      GET  /api/v1/namespaces/kube-public/configmaps/cluster-info
 *                        data.kubeconfig + one "jws-kubeconfig-<token id>" per live signing token
 *   bootstrap      GET  /api/v1/namespaces/kube-system/configmaps/{kubeadm-config,kubelet-config}
 *   bootstrap      GET  /api/v1/namespaces/kube-system/secrets/kubeadm-certs  (control-plane join)
 *   bootstrap      GET  /api/v1/nodes/{name}
 *   bootstrap      POST /apis/certificates.k8s.io/v1/certificatesigningrequests
 *                        spec.request = base64 PEM CSR (O=system:nodes, CN=system:node:<name>); answered
 *                        approved and signed at once (status.certificate = base64 PEM, 1 year, capped at CA)
 *   cert (node)    GET/POST/PUT/PATCH /api/v1/nodes[/{name}]                 (a node may only write itself)
 *   cert (any)     GET   /api/v1/nodes[?labelSelector=a,b=c,d!=e,!f]         -> NodeList
 *                  POST  /api/v1/nodes
 *                  GET/PUT/PATCH(merge)/DELETE /api/v1/nodes/{name}
 *                  GET   /api/v1/namespaces/{ns}/{configmaps|secrets}[?fieldSelector=type=...]
 *                  POST  /api/v1/namespaces/{ns}/{configmaps|secrets}
 *                  GET/PUT/DELETE /api/v1/namespaces/{ns}/{configmaps|secrets}/{name}
 *                  GET   /api/v1/pods, /api/v1/namespaces/{ns}/pods           -> empty PodList (no workloads)
 *                  POST  /api/v1/namespaces/{ns}/pods/{name}/eviction          -> 404 (no pods)
 *   cert (admin)   the etcd member API kubeadm uses (its etcd client, here behind the daemon; lab-only paths):
 *                  GET    /lab/etcd/members                                  -> { members: [...] }
 *                  POST   /lab/etcd/members            { name, address, port, isLearner } -> the member
 *                  POST   /lab/etcd/members/{id}/promote
 *                  DELETE /lab/etcd/members/{id}                             -> { members: [...] }
 *                  (without quorum: 500 "etcdserver: re-configuration failed due to not enough started members")
 * Expiry follows the LAB clock: bootstrap-token-* secrets past "expiration" are gone (token cleaner); secrets
 * with annotation lab.pulumi-kubeadm/expires (kubeadm-certs, 2h) likewise. A node whose annotation
 * lab.pulumi-kubeadm/kubelet-stopped-at is older than settings.nodeMonitorGracePeriodSeconds (default 40) reads
 * Ready=Unknown (node lifecycle controller).
 */
const fs = require("fs");
const https = require("https");
const net = require("net");
const crypto = require("crypto");
const lab = require("../double.js");
const pki = require("./pki.js");
const store = require("./store.js");

const VERSION = "v1.35.4";
/** How often the daemon looks at the other members, and how long a connection attempt may take. */
const MEMBER_PROBE_MS = 1000;

function log(msg) {
  process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
}

function status(code, reason, message, details) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, details, code };
}
const notFound = (resource, name) =>
  status(404, "NotFound", `${resource} "${name}" not found`, { name, kind: resource });
const exists = (resource, name) =>
  status(409, "AlreadyExists", `${resource} "${name}" already exists`, { name, kind: resource });

function nowDate() {
  return lab.now();
}

function labSettings() {
  const s = lab.readJson(lab.labPath("settings.json"), {}) || {};
  return {
    grace: Number.isFinite(Number(s.nodeMonitorGracePeriodSeconds)) ? Number(s.nodeMonitorGracePeriodSeconds) : 40,
  };
}

function b64d(s) {
  return Buffer.from(s || "", "base64").toString("utf8");
}

/** Applies the controllers' view of time to the stored state (returns a filtered deep copy). */
function live(state) {
  const now = nowDate();
  const st = JSON.parse(JSON.stringify(state));
  for (const [key, s] of Object.entries(st.secrets || {})) {
    let exp = null;
    if (s.type === "bootstrap.kubernetes.io/token" && s.data && s.data.expiration)
      exp = new Date(b64d(s.data.expiration));
    const ann = (s.metadata.annotations || {})["lab.pulumi-kubeadm/expires"];
    if (ann) exp = new Date(ann);
    if (exp && exp <= now) delete st.secrets[key];
  }
  const grace = labSettings().grace;
  for (const n of Object.values(st.nodes || {})) {
    const stopped = (n.metadata.annotations || {})["lab.pulumi-kubeadm/kubelet-stopped-at"];
    if (stopped && now - new Date(stopped) >= grace * 1000) {
      for (const c of n.status.conditions || []) {
        if (c.type === "Ready") {
          c.status = "Unknown";
          c.reason = "NodeStatusUnknown";
          c.message = "Kubelet stopped posting node status.";
        }
      }
    }
  }
  return st;
}

function liveTokens(st) {
  return Object.values(st.secrets || {})
    .filter((s) => s.type === "bootstrap.kubernetes.io/token" && s.metadata.namespace === "kube-system")
    .map((s) => ({
      id: b64d(s.data["token-id"]),
      secret: b64d(s.data["token-secret"]),
      signing: b64d(s.data["usage-bootstrap-signing"]) === "true",
      auth: b64d(s.data["usage-bootstrap-authentication"]) === "true",
      groups: b64d(s.data["auth-extra-groups"]).split(",").filter(Boolean),
    }));
}

function clusterInfo(st) {
  const cm = JSON.parse(JSON.stringify((st.configmaps || {})["kube-public/cluster-info"] || null));
  if (!cm) return null;
  for (const t of liveTokens(st)) {
    if (t.signing) cm.data[`jws-kubeconfig-${t.id}`] = pki.jwsDetached(cm.data.kubeconfig, t.id, t.secret);
  }
  return cm;
}

function authenticate(req, st) {
  const sock = req.socket;
  if (sock.authorized) {
    const cert = sock.getPeerCertificate();
    if (cert && cert.raw) {
      const subj = pki.subjectOf(Buffer.from(pki.pem("CERTIFICATE", cert.raw)));
      return { user: subj.CN, groups: subj.O, kind: "cert" };
    }
  }
  const auth = req.headers.authorization || "";
  const m = /^Bearer ([a-z0-9]{6})\.([a-z0-9]{16})$/.exec(auth);
  if (m) {
    const t = liveTokens(st).find((x) => x.id === m[1] && x.secret === m[2] && x.auth);
    if (t)
      return { user: `system:bootstrap:${t.id}`, groups: ["system:bootstrappers", ...t.groups], kind: "bootstrap" };
    return { invalid: true };
  }
  return null;
}

function nodeView(n) {
  return n;
}

/** Equality-based label selectors, as kubectl -l sends them: "a", "!a", "a=b", "a==b", "a!=b", comma = and. */
function matchesSelector(labels, selector) {
  if (!selector) return true;
  return selector
    .split(",")
    .map((term) => term.trim())
    .filter(Boolean)
    .every((term) => {
      let m = /^!\s*(.+)$/.exec(term);
      if (m) return !(m[1] in labels);
      m = /^([^!=]+)!=(.*)$/.exec(term);
      if (m) return labels[m[1].trim()] !== m[2].trim();
      m = /^([^!=]+)==?(.*)$/.exec(term);
      if (m) return labels[m[1].trim()] === m[2].trim();
      return term in labels;
    });
}

/**
 * Failed probes in a row per member (reset by a success). A member is dead after two, about as long as etcd
 * takes to notice a lost peer; a single failed probe (a daemon that just started) does not cost the quorum.
 */
const failures = new Map();
const DEAD_AFTER_FAILURES = 2;

function isAlive(member) {
  return (failures.get(member.id) || 0) < DEAD_AFTER_FAILURES;
}

function probeMembers(config, self) {
  const st = store.read(config.cluster);
  for (const member of store.members(st)) {
    if (member.apiServer === self) {
      failures.set(member.id, 0);
      continue;
    }
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(member.apiServer || "");
    if (!m) continue;
    const socket = net.connect({ host: m[1], port: Number(m[2]) });
    const done = (ok) => {
      failures.set(member.id, ok ? 0 : (failures.get(member.id) || 0) + 1);
      socket.destroy();
    };
    socket.setTimeout(MEMBER_PROBE_MS, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  }
}

/** etcd's view: a majority of the voting members must be alive (a member not probed yet counts as alive). */
function hasQuorum(st) {
  const voting = store.votingMembers(st);
  if (voting.length === 0) return true;
  return voting.filter(isAlive).length >= Math.floor(voting.length / 2) + 1;
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch {
        resolve(null);
      }
    });
  });
}

function mergePatch(target, patch) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out = target && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function stamp(obj, kind) {
  obj.apiVersion = obj.apiVersion || "v1";
  obj.kind = kind;
  obj.metadata = obj.metadata || {};
  obj.metadata.uid = obj.metadata.uid || crypto.randomUUID();
  obj.metadata.creationTimestamp =
    obj.metadata.creationTimestamp ||
    nowDate()
      .toISOString()
      .replace(/\.\d+Z$/, "Z");
  obj.metadata.resourceVersion = String(Date.now());
  return obj;
}

function signCsr(csrObj, config) {
  const csrPem = Buffer.from(csrObj.spec.request, "base64").toString("utf8");
  const parsed = pki.parseCsr(csrPem);
  const now = nowDate();
  const cert = pki.issueClientCert({
    caCertPem: fs.readFileSync(config.caFile),
    caKeyPem: fs.readFileSync(config.caKeyFile),
    spkiDer: parsed.spkiDer,
    subject: parsed.subject,
    // The lab clock moves only the doubles' time: Node's TLS checks client certificates against the real clock,
    // so a certificate issued after `lab clock advance` must already be valid in real time too.
    notBefore: new Date(Math.min(now.getTime(), Date.now()) - 5 * 60 * 1000),
    notAfter: new Date(now.getTime() + 365 * 24 * 3600 * 1000),
  });
  stamp(csrObj, "CertificateSigningRequest");
  csrObj.apiVersion = "certificates.k8s.io/v1";
  csrObj.metadata.name = csrObj.metadata.name || `csr-${crypto.randomBytes(3).toString("hex")}`;
  csrObj.status = {
    conditions: [
      {
        type: "Approved",
        status: "True",
        reason: "AutoApproved",
        message: "Auto approving kubelet client certificate after SubjectAccessReview.",
      },
    ],
    certificate: Buffer.from(cert).toString("base64"),
  };
  return { csr: csrObj, subject: parsed.subject };
}

async function handle(req, res, config) {
  const url = new URL(req.url, "https://x");
  const p = url.pathname.replace(/\/+$/, "") || "/";
  const send = (code, obj) => {
    const text = typeof obj === "string" ? obj : JSON.stringify(obj);
    res.writeHead(code, { "Content-Type": typeof obj === "string" ? "text/plain" : "application/json" });
    res.end(text);
  };
  const method = req.method;
  const body = method === "GET" || method === "DELETE" ? undefined : await readBody(req);
  log(`${method} ${req.url}`);

  if (method === "GET" && ["/healthz", "/livez"].includes(p)) return send(200, "ok");
  if (method === "GET" && p === "/readyz") {
    const st = store.read(config.cluster);
    if (st && hasQuorum(st)) return send(200, "ok");
    return send(500, "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\nreadyz check failed\n");
  }
  const [major, minor] = VERSION.slice(1).split(".");
  if (method === "GET" && p === "/version") {
    return send(200, {
      major,
      minor,
      gitVersion: VERSION,
      gitCommit: "",
      gitTreeState: "clean",
      buildDate: "",
      goVersion: process.version,
      compiler: "gc",
      platform: "linux/amd64",
    });
  }

  return store.withClusterLock(config.cluster, () => {
    const stored = store.read(config.cluster);
    if (!stored) return send(503, status(503, "ServiceUnavailable", "the lab cluster state is missing"));
    if (!hasQuorum(stored)) {
      return send(500, status(500, "InternalError", "etcdserver: request timed out"));
    }
    const st = live(stored);
    const save = (mutate) => {
      const fresh = store.read(config.cluster) || stored;
      mutate(fresh);
      store.writeLocked(config.cluster, fresh);
    };

    if (method === "GET" && p === "/api/v1/namespaces/kube-public/configmaps/cluster-info") {
      const cm = clusterInfo(st);
      return cm ? send(200, cm) : send(404, notFound("configmaps", "cluster-info"));
    }

    const who = authenticate(req, st);
    if (!who || who.invalid) return send(401, status(401, "Unauthorized", "Unauthorized"));
    const forbidden = (verb, resource, name) =>
      send(
        403,
        status(
          403,
          "Forbidden",
          `${resource} "${name || ""}" is forbidden: User "${who.user}" cannot ${verb} resource "${resource}" in API group "" at the cluster scope`,
        ),
      );

    // CSR: signed at once (csrapprover + signer)
    if (method === "POST" && p === "/apis/certificates.k8s.io/v1/certificatesigningrequests") {
      if (!body || !body.spec || !body.spec.request)
        return send(400, status(400, "BadRequest", "spec.request is required"));
      try {
        const { csr, subject } = signCsr(body, config);
        if (
          who.kind === "bootstrap" &&
          !(subject.O.includes("system:nodes") && /^system:node:/.test(subject.CN || ""))
        ) {
          return forbidden("create", "certificatesigningrequests", csr.metadata.name);
        }
        return send(201, csr);
      } catch (e) {
        return send(400, status(400, "BadRequest", `invalid certificate request: ${e.message}`));
      }
    }

    const isAdmin = who.kind === "cert" && !/^system:node:/.test(who.user);
    const nodeSelf =
      who.kind === "cert" && /^system:node:/.test(who.user) ? who.user.slice("system:node:".length) : null;

    // Nodes
    let m = /^\/api\/v1\/nodes(?:\/([^/]+))?(\/status)?$/.exec(p);
    if (m) {
      const name = m[1] && decodeURIComponent(m[1]);
      const nodes = st.nodes || {};
      if (who.kind === "bootstrap" && !(method === "GET" && name))
        return forbidden(method.toLowerCase(), "nodes", name);
      if (nodeSelf && method !== "GET" && name && name !== nodeSelf)
        return forbidden(method.toLowerCase(), "nodes", name);
      if (!name && method === "GET") {
        return send(200, {
          kind: "NodeList",
          apiVersion: "v1",
          metadata: { resourceVersion: String(Date.now()) },
          items: Object.values(nodes)
            .filter((n) => matchesSelector(n.metadata.labels || {}, url.searchParams.get("labelSelector")))
            .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
            .map(nodeView),
        });
      }
      if (!name && method === "POST") {
        if (!body || !body.metadata || !body.metadata.name)
          return send(400, status(400, "BadRequest", "metadata.name is required"));
        if (nodeSelf && body.metadata.name !== nodeSelf) return forbidden("create", "nodes", body.metadata.name);
        if (nodes[body.metadata.name]) return send(409, exists("nodes", body.metadata.name));
        const node = stamp(body, "Node");
        save((s) => {
          s.nodes = s.nodes || {};
          s.nodes[node.metadata.name] = node;
        });
        return send(201, node);
      }
      if (!name)
        return send(
          405,
          status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"),
        );
      const node = nodes[name];
      if (!node) return send(404, notFound("nodes", name));
      if (method === "GET") return send(200, nodeView(node));
      if (method === "DELETE") {
        if (!isAdmin) return forbidden("delete", "nodes", name);
        save((s) => delete s.nodes[name]);
        return send(200, {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: { name, kind: "nodes", uid: node.metadata.uid },
        });
      }
      if (method === "PUT" || method === "PATCH") {
        if (!body) return send(400, status(400, "BadRequest", "invalid body"));
        const next = method === "PUT" ? body : mergePatch(stored.nodes[name], body);
        next.metadata.name = name;
        stamp(next, "Node");
        save((s) => {
          s.nodes[name] = next;
        });
        return send(200, live({ nodes: { [name]: next } }).nodes[name]);
      }
    }

    // etcd members (what kubeadm's etcd client does on join and reset)
    m = /^\/lab\/etcd\/members(?:\/([0-9a-f]+))?(\/promote)?$/.exec(p);
    if (m) {
      if (!isAdmin) return forbidden(method.toLowerCase(), "etcd members", m[1]);
      const list = store.members(stored);
      if (method === "GET" && !m[1]) return send(200, { members: list });
      if (method === "POST" && !m[1]) {
        if (!body || !body.name || !body.address || !body.port)
          return send(400, status(400, "BadRequest", "name, address and port are required"));
        const member = store.memberFor(body.name, body.address, body.port, body.isLearner);
        if (list.some((x) => x.peerURLs[0] === member.peerURLs[0]))
          return send(409, status(409, "AlreadyExists", "etcdserver: Peer URLs already exists"));
        if (list.some((x) => x.isLearner) && body.isLearner)
          return send(500, status(500, "InternalError", "etcdserver: too many learner members in cluster"));
        save((s) => {
          s.etcd = s.etcd || { members: [] };
          s.etcd.members.push(member);
        });
        return send(201, member);
      }
      const member = list.find((x) => x.id === m[1]);
      if (!member) return send(404, status(404, "NotFound", "etcdserver: member not found"));
      if (method === "POST" && m[2]) {
        // kubeadm promotes a learner once its API server answered: it is alive, whatever the last probe saw.
        failures.set(member.id, 0);
        save((s) => {
          for (const x of s.etcd.members) if (x.id === member.id) x.isLearner = false;
        });
        return send(200, { ...member, isLearner: false });
      }
      if (method === "DELETE" && !m[2]) {
        // Removing a voting member is a configuration change the remaining majority must agree to.
        const rest = list.filter((x) => x.id !== member.id && !x.isLearner);
        const up = rest.filter(isAlive).length;
        if (!member.isLearner && rest.length > 0 && up < Math.floor(rest.length / 2) + 1) {
          return send(
            500,
            status(500, "InternalError", "etcdserver: re-configuration failed due to not enough started members"),
          );
        }
        save((s) => {
          s.etcd.members = s.etcd.members.filter((x) => x.id !== member.id);
        });
        return send(200, { members: list.filter((x) => x.id !== member.id) });
      }
      return send(405, status(405, "MethodNotAllowed", "method not allowed"));
    }

    // Pods: the lab runs no workloads
    if (method === "GET" && (p === "/api/v1/pods" || /^\/api\/v1\/namespaces\/[^/]+\/pods$/.test(p))) {
      return send(200, {
        kind: "PodList",
        apiVersion: "v1",
        metadata: { resourceVersion: String(Date.now()) },
        items: [],
      });
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(\/eviction)?$/.exec(p);
    if (m) return send(404, notFound("pods", m[2]));

    // ConfigMaps and Secrets
    m = /^\/api\/v1\/namespaces\/([^/]+)\/(configmaps|secrets)(?:\/([^/]+))?$/.exec(p);
    if (m) {
      const [, ns, resource, rawName] = m;
      const name = rawName && decodeURIComponent(rawName);
      const kind = resource === "configmaps" ? "ConfigMap" : "Secret";
      const coll = st[resource] || {};
      if (who.kind === "bootstrap") {
        const ok =
          method === "GET" &&
          ns === "kube-system" &&
          ((resource === "configmaps" && ["kubeadm-config", "kubelet-config"].includes(name)) ||
            (resource === "secrets" && name === "kubeadm-certs"));
        if (!ok) return forbidden(method.toLowerCase(), resource, name);
      } else if (!isAdmin && !(method === "GET" && resource === "configmaps")) {
        return forbidden(method.toLowerCase(), resource, name);
      }
      if (!name && method === "GET") {
        let items = Object.values(coll).filter((o) => o.metadata.namespace === ns);
        const fs_ = url.searchParams.get("fieldSelector");
        const tm = fs_ && /^type=(.+)$/.exec(fs_);
        if (tm) items = items.filter((o) => o.type === tm[1]);
        items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
        return send(200, { kind: `${kind}List`, apiVersion: "v1", metadata: {}, items });
      }
      if (!name && method === "POST") {
        if (!body || !body.metadata || !body.metadata.name)
          return send(400, status(400, "BadRequest", "metadata.name is required"));
        const key = `${ns}/${body.metadata.name}`;
        if (coll[key]) return send(409, exists(resource, body.metadata.name));
        body.metadata.namespace = ns;
        const obj = stamp(body, kind);
        save((s) => {
          s[resource] = s[resource] || {};
          s[resource][key] = obj;
        });
        return send(201, obj);
      }
      if (!name) return send(405, status(405, "MethodNotAllowed", "method not allowed"));
      const key = `${ns}/${name}`;
      if (method === "GET") {
        const obj = key === "kube-public/cluster-info" ? clusterInfo(st) : coll[key];
        return obj ? send(200, obj) : send(404, notFound(resource, name));
      }
      if (method === "PUT") {
        if (!body) return send(400, status(400, "BadRequest", "invalid body"));
        body.metadata = body.metadata || {};
        body.metadata.name = name;
        body.metadata.namespace = ns;
        if (coll[key]) body.metadata.creationTimestamp = coll[key].metadata.creationTimestamp;
        const obj = stamp(body, kind);
        save((s) => {
          s[resource] = s[resource] || {};
          s[resource][key] = obj;
        });
        return send(200, obj);
      }
      if (method === "DELETE") {
        if (!coll[key]) return send(404, notFound(resource, name));
        save((s) => delete s[resource][key]);
        return send(200, {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: { name, kind: resource },
        });
      }
    }

    return send(404, status(404, "NotFound", "the server could not find the requested resource"));
  });
}

function main() {
  const hostConfig = store.hostConfig();
  if (!hostConfig || !hostConfig.apiserver || !hostConfig.cluster) {
    process.stderr.write(`lab apiserver: no "apiserver" and "cluster" in ${lab.statePath("cluster.json")}\n`);
    process.exit(1);
  }
  const config = { ...hostConfig.apiserver, cluster: hostConfig.cluster };
  const self = store.hostPort(config.address, config.port);
  const server = https.createServer(
    {
      cert: fs.readFileSync(config.certFile),
      key: fs.readFileSync(config.keyFile),
      ca: fs.readFileSync(config.caFile),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      handle(req, res, config).catch((e) => {
        log(`error: ${e.stack || e}`);
        try {
          res.writeHead(500, { "Content-Type": "application/json" });
          res.end(JSON.stringify(status(500, "InternalError", String(e.message || e))));
        } catch {
          /* already answered */
        }
      });
    },
  );
  server.on("error", (e) => {
    log(`listen error: ${e.message}`);
    process.exit(1);
  });
  // kube-apiserver binds every address (--bind-address 0.0.0.0), which is how a virtual IP on the host reaches
  // it; outside a lab host (the doubles' tests, on the machine) only the advertised address is bound.
  const bindAddress = lab.inLabHost() ? "0.0.0.0" : config.address;
  server.listen({ port: config.port, host: bindAddress }, () => {
    probeMembers(config, self);
    setInterval(() => {
      probeMembers(config, self);
      // The kubelet starts a static Pod as soon as its manifest appears: kube-vip's is placed after a join.
      require("./daemon.js").ensureKubeVip();
    }, MEMBER_PROBE_MS).unref();
    lab.writeJson(lab.statePath("apiserver.json"), { pid: process.pid, address: config.address, port: config.port });
    fs.writeFileSync(lab.statePath("apiserver.pid"), `${process.pid}\n`);
    log(`listening on ${bindAddress}:${config.port} (advertised ${config.address})`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (require.main === module) main();

module.exports = { live, liveTokens, clusterInfo, matchesSelector };
