"use strict";
/*
 * curl double: serves only the lab mirrors' files (catalogue "files" of apt.json and yum.json). Supports
 * -f -s -S -L (and combined -fsSL), -o/--output FILE, -O, --retry N, --connect-timeout/-m N (ignored),
 * -H (ignored). Unknown host or a host made unreachable ($LAB_ROOT/network.json "unreachable", or blocked in
 * registries.json) -> "curl: (6) Could not resolve host: <host>" exit 6; known host, unknown path -> 404:
 * with -f "curl: (22) The requested URL returned error: 404" exit 22, without -f a 404 page, exit 0.
 * HTTPS needs the CA bundle: on a host whose package db has no ca-certificates and no
 * /etc/ssl/certs/ca-certificates.crt (a minimal install), curl 8 on Ubuntu fails with exit 77.
 */
const fs = require("fs");
const path = require("path");
const lab = require("./double.js");
const pkgs = require("./packages.js");

/** @param {import("./double.js").Ctx} ctx */
function main(ctx) {
  /** @type {{ fail: boolean, silent: boolean, showError: boolean, output: string | null, remoteName: boolean, urls: string[] }} */
  const o = { fail: false, silent: false, showError: false, output: null, remoteName: false, urls: [] };
  const argv = ctx.argv;
  const withValue = new Set([
    "-H",
    "--header",
    "--retry",
    "--retry-delay",
    "--retry-max-time",
    "--connect-timeout",
    "-m",
    "--max-time",
    "-A",
    "--user-agent",
    "-u",
    "--user",
    "-X",
    "--request",
    "-d",
    "--data",
    "-e",
    "--referer",
    "--proto",
    "--tlsv1.2",
    "-w",
    "--write-out",
    "--cacert",
  ]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-o" || a === "--output") o.output = argv[++i];
    else if (a === "-O" || a === "--remote-name") o.remoteName = true;
    else if (a === "--fail" || a === "-f") o.fail = true;
    else if (a === "--silent" || a === "-s") o.silent = true;
    else if (a === "--show-error" || a === "-S") o.showError = true;
    else if (
      a === "--location" ||
      a === "-L" ||
      a === "-k" ||
      a === "--insecure" ||
      a === "-4" ||
      a === "-6" ||
      a === "--compressed"
    )
      continue;
    else if (withValue.has(a)) i++;
    else if (/^-[a-zA-Z]+$/.test(a)) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        if (c === "f") o.fail = true;
        else if (c === "s") o.silent = true;
        else if (c === "S") o.showError = true;
        else if (c === "O") o.remoteName = true;
        else if (c === "o") {
          o.output = a.slice(j + 1) || argv[++i];
          break;
        }
      }
    } else if (a.startsWith("--")) continue;
    else o.urls.push(a);
  }
  /**
   * @param {number} code
   * @param {string} msg
   */
  const errOut = (code, msg) => {
    if (!o.silent || o.showError) ctx.err(`curl: (${code}) ${msg}\n`);
    return code;
  };
  if (!o.urls.length) {
    ctx.err("curl: try 'curl --help' or 'curl --manual' for more information\n");
    return 2;
  }
  let rc = 0;
  for (const url of o.urls) {
    let u;
    try {
      u = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
    } catch {
      rc = errOut(3, "URL rejected: Malformed input to a URL function");
      continue;
    }
    const host = u.hostname;
    if (!pkgs.knownHosts().has(host) || !pkgs.isReachable(u.href)) {
      rc = errOut(6, `Could not resolve host: ${host}`);
      continue;
    }
    if (u.protocol === "https:" && !caBundle()) {
      rc = errOut(77, "error setting certificate file: /etc/ssl/certs/ca-certificates.crt");
      continue;
    }
    const body = pkgs.servedFile(u.href) || pkgs.servedFile(url);
    let data;
    if (!body) {
      if (o.fail) {
        rc = errOut(22, "The requested URL returned error: 404");
        continue;
      }
      data = Buffer.from(
        "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n</body>\r\n</html>\r\n",
      );
    } else data = body;
    let out = o.output;
    if (!out && o.remoteName) out = path.basename(u.pathname) || "index.html";
    if (out && out !== "-") {
      const real = path.isAbsolute(out) ? lab.fsPath(out) : path.resolve(out);
      try {
        fs.writeFileSync(real, data);
      } catch (e) {
        if (!o.silent || o.showError)
          ctx.err(
            `Warning: Failed to open the file ${out}: ${/** @type {NodeJS.ErrnoException} */ (e).code === "ENOENT" ? "No such file or directory" : "Permission denied"}\n`,
          );
        rc = errOut(23, "Failure writing output to destination");
        continue;
      }
    } else process.stdout.write(data);
  }
  return rc;
}

/**
 * Whether TLS can be set up: the bundle is there, or the package db lacks ca-certificates only because it holds no
 * installed system at all (a test's, which init-host did not fill with a base system).
 */
function caBundle() {
  if (fs.existsSync(lab.fsPath("/etc/ssl/certs/ca-certificates.crt"))) return true;
  const db = pkgs.readDb();
  const ca = db.packages["ca-certificates"];
  const baseSystem = Object.values(db.packages).some((p) => p.base);
  return !baseSystem || (ca !== undefined && ca.status === "installed");
}

module.exports = { main };
