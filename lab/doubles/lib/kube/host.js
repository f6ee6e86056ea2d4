"use strict";
// What the kube doubles read from and do to "their" host: paths (through LAB_FS_ROOT), the state other doubles
// keep (systemctl units, swap, pulled images, registries), lab settings, the real kubeadm, process helpers.
const fs = require("fs");
const os = require("os");
const path = require("path");
const childProcess = require("child_process");
const lab = require("../double.js");

const KUBERNETES_VERSION = "v1.35.4";

/** Lab-wide knobs in $LAB_ROOT/settings.json, with the lab's short defaults. */
function settings() {
  const s = lab.readJson(lab.labPath("settings.json"), {}) || {};
  return {
    discoveryTimeoutSeconds: num(s.discoveryTimeoutSeconds, 10),
    discoveryRetrySeconds: num(s.discoveryRetrySeconds, 1),
    kubeletHealthTimeoutSeconds: num(s.kubeletHealthTimeoutSeconds, 5),
    apiServerStartSeconds: num(s.apiServerStartSeconds, 10),
    // real control plane (controlPlane: "real"): how long init waits for the static Pods, join for the kubelet's
    // TLS bootstrap
    realControlPlaneStartSeconds: num(s.realControlPlaneStartSeconds, 180),
    tlsBootstrapTimeoutSeconds: num(s.tlsBootstrapTimeoutSeconds, 120),
  };
}
function num(v, d) {
  const n = Number(v);
  return v === undefined || v === null || !Number.isFinite(n) ? d : n;
}

function read(p) {
  try {
    return fs.readFileSync(lab.fsPath(p), "utf8");
  } catch {
    return null;
  }
}
function exists(p) {
  try {
    fs.lstatSync(lab.fsPath(p));
    return true;
  } catch {
    return false;
  }
}
function write(p, content, mode = 0o644) {
  const f = lab.fsPath(p);
  lab.mkdirp(path.dirname(f));
  fs.writeFileSync(f, content, { mode });
  fs.chmodSync(f, mode);
}
function rm(p) {
  fs.rmSync(lab.fsPath(p), { recursive: true, force: true });
}
function dirEntries(p) {
  try {
    return fs.readdirSync(lab.fsPath(p));
  } catch {
    return null;
  }
}

// systemd units and the runtime, as the systemctl double plays them (lib/units.js).
function units() {
  return require("../units.js");
}

function unitActive(unit) {
  return units().isActive(unit);
}

function unitEnabled(unit) {
  const s = units().isEnabled(units().unitName(unit));
  return s === null || s === "enabled" || s === "static" || s === true;
}

function unitExists(unit) {
  return units().findUnit(units().unitName(unit)) !== null;
}

/** What the running containerd loaded (units.js state): its major version and CRI sandbox image. */
function runtimeLoaded() {
  const st = units().readState("containerd.service") || {};
  return { major: Number(st.major) || null, sandboxImage: st.sandboxImage || null };
}

/** containerd implements the CRI RuntimeConfig method (cgroup driver detection) from 2.0 on. */
function runtimeConfigImplemented() {
  const major = runtimeLoaded().major;
  return major === null || major >= 2;
}

/** kubeadm's CRI check: null when the runtime answers on `criSocket`, else the error text after "could not connect to the container runtime: ". */
function runtimeError(criSocket) {
  const u = units();
  const sock = criSocket.replace(/^unix:\/\//, "").replace(/^\/var\/run\//, "/run/");
  if (sock !== u.SOCKET) {
    return `validate service connection: validate CRI v1 runtime API for endpoint "${criSocket}": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${criSocket.replace(/^unix:\/\//, "")}: connect: no such file or directory"`;
  }
  const r = u.runtimeReachable();
  if (r.ok) return null;
  return r.reason
    .split(`"unix://${u.SOCKET}"`)
    .join(`"${criSocket}"`)
    .split(`dial unix ${u.SOCKET}:`)
    .join(`dial unix ${criSocket.replace(/^unix:\/\//, "")}:`);
}

/** Starts/stops a unit the way `systemctl` would: through the systemctl double on PATH, or its library. */
function systemctl(args) {
  // On a lab host `systemctl` is the double. Under LAB_FS_ROOT (tests) never run the machine's own: use the library.
  const testRoot = process.env.LAB_FS_ROOT && process.env.LAB_FS_ROOT !== "/";
  if (!testRoot) {
    const r = childProcess.spawnSync("systemctl", args, { encoding: "utf8", env: process.env });
    if (!r.error) return { status: r.status, stdout: r.stdout || "", stderr: r.stderr || "" };
  }
  const u = units();
  const [verb, unit] = args;
  if (verb === "daemon-reload") return { status: 0, stdout: "", stderr: "" };
  if (verb === "start" || verb === "restart") {
    if (verb === "restart") u.stop(u.unitName(unit));
    const res = u.start(u.unitName(unit));
    return { status: res.ok ? 0 : 1, stdout: "", stderr: res.ok ? "" : res.reason };
  }
  if (verb === "stop") {
    u.stop(u.unitName(unit));
    return { status: 0, stdout: "", stderr: "" };
  }
  return { status: 1, stdout: "", stderr: `systemctl ${verb}: not available` };
}

/** The swap double's state: swap is on while $LAB_STATE/swap.json lists active devices. */
function swapOn() {
  const sw = lab.readJson(lab.statePath("swap.json"), { active: [] }) || {};
  return Array.isArray(sw.active) && sw.active.length > 0;
}

/** The host's name: its UTS hostname on a lab host (LAB_HOST in tests). */
function hostname() {
  return lab.host().toLowerCase();
}

function isRoot() {
  return typeof process.getuid !== "function" || process.getuid() === 0;
}

/** The real kubeadm for offline phases: $LAB_ROOT/tools/kubeadm. */
function realKubeadm() {
  return lab.labPath("tools", "kubeadm");
}

/**
 * Runs the real kubeadm. With LAB_FS_ROOT set (tests), it runs chrooted there through --rootfs so every path it
 * writes (/etc/kubernetes, /var/lib/kubelet) lands in the test's root.
 */
function runRealKubeadm(args, opts = {}) {
  const root = process.env.LAB_FS_ROOT;
  const full = root && root !== "/" && opts.rootfs !== false ? [...args, "--rootfs", root] : args;
  const r = childProcess.spawnSync(realKubeadm(), full, { encoding: "utf8", env: process.env, input: opts.input });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout || "", stderr: r.stderr || "" };
}

/** Whether TCP `port` can be bound on `address` in this network namespace right now (a real bind). */
function portFree(port, address) {
  const script = `const s=require('net').createServer();s.once('error',e=>{process.stdout.write(e.code);process.exit(0)});s.listen({port:${Number(port)},host:${JSON.stringify(address || "0.0.0.0")},exclusive:true},()=>{process.stdout.write('FREE');s.close()})`;
  const r = childProcess.spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  return r.stdout === "FREE" || r.stdout === "EADDRNOTAVAIL";
}

function firstHostIPv4() {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list || []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return null;
}

/** Whether a process exists (EPERM: it does, owned by someone else). */
function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

/** The pid recorded in pidFile while that process lives; null otherwise. */
function livePid(pidFile) {
  try {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    return pid && processAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** This host's source address on the route towards a server URL's host, as the kernel would pick it. */
function addressTowards(server) {
  try {
    const u = new URL(server);
    const r = childProcess.spawnSync("ip", ["-o", "route", "get", u.hostname.replace(/^\[|\]$/g, "")], {
      encoding: "utf8",
    });
    const m = / src (\S+)/.exec(r.stdout || "");
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

module.exports = {
  KUBERNETES_VERSION,
  lab,
  settings,
  read,
  exists,
  write,
  rm,
  dirEntries,
  unitActive,
  unitEnabled,
  unitExists,
  runtimeLoaded,
  runtimeConfigImplemented,
  runtimeError,
  systemctl,
  swapOn,
  hostname,
  isRoot,
  realKubeadm,
  runRealKubeadm,
  portFree,
  firstHostIPv4,
  processAlive,
  livePid,
  addressTowards,
};
