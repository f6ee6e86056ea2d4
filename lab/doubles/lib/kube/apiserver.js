"use strict";
/*
 * The lab API daemon: a minimal, REST-shaped stand-in for kube-apiserver (plus the bits of the controller
 * manager that kubeadm relies on: CSR signing, the bootstrap signer and token cleaner, node lifecycle).
 * Started detached by the kubeadm double after `kubeadm init` (pid in $LAB_STATE/apiserver.pid, log in
 * $LAB_LOG/apiserver.log); stopped by `kubeadm reset`. Restartable: `node apiserver.js` serves whatever
 * $LAB_STATE/cluster.json holds (the "apiserver" key says where to listen and which pki files to use).
 *
 * TLS on <advertiseAddress>:<bindPort> with /etc/kubernetes/pki/apiserver.{crt,key}; client certificates
 * signed by ca.crt authenticate as CN (user) / O (groups); a bearer token "<id>.<secret>" matching a live
 * bootstrap token authenticates as system:bootstrap:<id> (groups system:bootstrappers + auth-extra-groups).
 *
 * Routes (JSON bodies are Kubernetes objects; errors are metav1.Status with the usual reason/code):
 *   anonymous      GET  /healthz /livez /readyz                              -> "ok"
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
 *   cert (any)     GET   /api/v1/nodes                                       -> NodeList
 *                  POST  /api/v1/nodes
 *                  GET/PUT/PATCH(merge)/DELETE /api/v1/nodes/{name}
 *                  GET   /api/v1/namespaces/{ns}/{configmaps|secrets}[?fieldSelector=type=...]
 *                  POST  /api/v1/namespaces/{ns}/{configmaps|secrets}
 *                  GET/PUT/DELETE /api/v1/namespaces/{ns}/{configmaps|secrets}/{name}
 *                  GET   /api/v1/pods, /api/v1/namespaces/{ns}/pods           -> empty PodList (no workloads)
 *                  POST  /api/v1/namespaces/{ns}/pods/{name}/eviction          -> 404 (no pods)
 * Expiry follows the LAB clock: bootstrap-token-* secrets past "expiration" are gone (token cleaner); secrets
 * with annotation lab.pulumi-kubeadm/expires (kubeadm-certs, 2h) likewise. A node whose annotation
 * lab.pulumi-kubeadm/kubelet-stopped-at is older than settings.nodeMonitorGracePeriodSeconds (default 40) reads
 * Ready=Unknown (node lifecycle controller).
 */
const fs = require("fs");
const https = require("https");
const crypto = require("crypto");
const lab = require("../double.js");
const pki = require("./pki.js");

const VERSION = "v1.35.4";
const STATE = () => lab.statePath("cluster.json");

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

  if (method === "GET" && ["/healthz", "/livez", "/readyz"].includes(p)) return send(200, "ok");
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

  return lab.withLock("cluster", () => {
    const stored = lab.readJson(STATE(), null);
    if (!stored) return send(503, status(503, "ServiceUnavailable", "the lab cluster state is missing"));
    const st = live(stored);
    const save = (mutate) => {
      const fresh = lab.readJson(STATE(), stored);
      mutate(fresh);
      lab.writeJson(STATE(), fresh);
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
  const st = lab.readJson(STATE(), null);
  if (!st || !st.apiserver) {
    process.stderr.write(`lab apiserver: no "apiserver" in ${STATE()}\n`);
    process.exit(1);
  }
  const config = st.apiserver;
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
  server.listen({ port: config.port, host: config.address }, () => {
    lab.writeJson(lab.statePath("apiserver.json"), { pid: process.pid, address: config.address, port: config.port });
    fs.writeFileSync(lab.statePath("apiserver.pid"), `${process.pid}\n`);
    log(`listening on ${config.address}:${config.port}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (require.main === module) main();

module.exports = { live, liveTokens, clusterInfo };
