"use strict";
// HTTPS/JSON client for the lab API daemon: kubeconfig loading, authenticated and anonymous requests.
// Requests run in a child process when called synchronously (kubectl and kubeadm are written synchronously).
const fs = require("fs");
const childProcess = require("child_process");
const yaml = require("./yaml.js");

/** Go's os.ReadFile error text for a Node fs error on `shown` ("open /x: permission denied"). */
function goReadError(e, shown) {
  const texts = { EACCES: "permission denied", EPERM: "operation not permitted", ENOENT: "no such file or directory" };
  if (e.code === "EISDIR") return `read ${shown}: is a directory`;
  return `open ${shown}: ${texts[e.code] || e.message}`;
}

/** Reads a kubeconfig (current context) into {server, caPem, certPem, keyPem, token}. */
function loadKubeconfig(file) {
  const cfg = yaml.parse(fs.readFileSync(file, "utf8")) || {};
  const contexts = cfg.contexts || [];
  const ctxName = cfg["current-context"];
  const ctx = (contexts.find((c) => c.name === ctxName) || contexts[0] || {}).context || {};
  const cluster =
    ((cfg.clusters || []).find((c) => c.name === ctx.cluster) || (cfg.clusters || [])[0] || {}).cluster || {};
  const user = ((cfg.users || []).find((u) => u.name === ctx.user) || (cfg.users || [])[0] || {}).user || {};
  const b64 = (s) => (s ? Buffer.from(s, "base64").toString("utf8") : undefined);
  const file_ = (p) => (p ? fs.readFileSync(resolve(p, file), "utf8") : undefined);
  return {
    server: cluster.server,
    caPem: b64(cluster["certificate-authority-data"]) || file_(cluster["certificate-authority"]),
    insecure: cluster["insecure-skip-tls-verify"] === true,
    certPem: b64(user["client-certificate-data"]) || file_(user["client-certificate"]),
    keyPem: b64(user["client-key-data"]) || file_(user["client-key"]),
    token: user.token,
  };
}
function resolve(p, kubeconfigFile) {
  if (p.startsWith("/")) {
    const root = process.env.LAB_FS_ROOT;
    return root && root !== "/" && !p.startsWith(root) ? require("path").join(root, p) : p;
  }
  return require("path").join(require("path").dirname(kubeconfigFile), p);
}

/**
 * One HTTPS request; resolves {status, body, json} or rejects with a Node network error (code ECONNREFUSED,
 * ETIMEDOUT, EHOSTUNREACH, ...). opts: {server, caPem?, certPem?, keyPem?, token?, insecure?, timeoutMs?}
 */
function request(opts, method, urlPath, body) {
  const https = require("https");
  const url = new URL(urlPath, opts.server);
  const payload = body === undefined ? undefined : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  return new Promise((resolvePromise, reject) => {
    const req = https.request(
      {
        method,
        hostname: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port || 443,
        path: url.pathname + url.search,
        ca: opts.caPem,
        cert: opts.certPem,
        key: opts.keyPem,
        rejectUnauthorized: !opts.insecure,
        ...(typeof opts.checkServerIdentity === "function" ? { checkServerIdentity: opts.checkServerIdentity } : {}),
        headers: {
          Accept: "application/json",
          ...(payload
            ? { "Content-Type": opts.contentType || "application/json", "Content-Length": payload.length }
            : {}),
          ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
        },
        timeout: opts.timeoutMs || 10000,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolvePromise({ status: res.statusCode, body: text, json });
        });
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("i/o timeout"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Synchronous form of request() for synchronous callers: runs it in a child Node process. */
function requestSync(opts, method, urlPath, body) {
  const script = `
    const c = require(${JSON.stringify(__filename)});
    const [opts, method, p, body] = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    c.request(opts, method, p, body === null ? undefined : body).then(
      (r) => process.stdout.write(JSON.stringify({ ok: r })),
      (e) => process.stdout.write(JSON.stringify({ err: { code: e.code, message: e.message } })));`;
  const r = childProcess.spawnSync(process.execPath, ["-e", script], {
    input: JSON.stringify([opts, method, urlPath, body === undefined ? null : body]),
    encoding: "utf8",
    env: process.env,
  });
  let out;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    throw new Error(`request helper failed: ${r.stderr}`);
  }
  if (out.err) throw Object.assign(new Error(out.err.message), { code: out.err.code });
  return out.ok;
}

/** Go's net error text for a dial failure, e.g. "dial tcp 10.0.0.1:6443: connect: connection refused". */
function dialError(e, hostPort) {
  const what = {
    ECONNREFUSED: "connect: connection refused",
    EHOSTUNREACH: "connect: no route to host",
    ENETUNREACH: "connect: network is unreachable",
    ETIMEDOUT: "i/o timeout",
    ECONNRESET: "read: connection reset by peer",
  }[e.code];
  return what ? `dial tcp ${hostPort}: ${what}` : e.message;
}

module.exports = { goReadError, loadKubeconfig, request, requestSync, dialError };
