"use strict";
/*
 * systemd units as the lab plays them (used by systemctl, by the package doubles' post-install
 * steps, and by kubeadm's double to ask "is the runtime reachable / is the kubelet up").
 *
 * Enabled  = the [Install] WantedBy symlink exists under /etc/systemd/system/<target>.wants/ (real files).
 * Running  = $LAB_STATE/units/<unit>.json { started, failed, pid, since, reason }.
 * Hooks (what happens on start, and what "active" means, evaluated on every query):
 *   containerd.service  start parses /etc/containerd/config.toml (absent is fine; a TOML error or a config
 *                       version the installed major cannot read fails the start), then spawns a small detached
 *                       process listening on /run/containerd/containerd.sock (its pid in the state); active
 *                       while that process lives, failed when it died; stop kills it and removes the socket.
 *   kubelet.service     start always succeeds (Restart=always) but the unit is "activating" (auto-restart)
 *                       until /var/lib/kubelet/config.yaml exists, containerd is reachable, and swap is off
 *                       (or the config says failSwapOn: false); then "active". An active kubelet on a
 *                       control-plane host runs its API server static Pod (the lab API daemon, kube/daemon.js).
 *   anything else       active once started.
 *
 * Exports: unitName(n), findUnit(unit) -> {path, dropins[], description, wantedBy[]} | null,
 *   isEnabled(unit), enable(unit) -> [messages], disable(unit) -> [messages], start(unit) -> {ok, reason},
 *   stop(unit), state(unit) -> {state: active|inactive|failed|activating, reason, pid, since},
 *   isActive(unit) -> bool, runtimeReachable() -> {ok, reason}, kubeletStatus() -> state(),
 *   containerdConfig() -> {ok, version, cri, reason}, journal(unit, line), journalLines(unit, n).
 */

const fs = require("fs");
const path = require("path");
const childProcess = require("child_process");
const lab = require("./double.js");
const toml = require("./toml.js");
const pkgs = require("./packages.js");

const UNIT_DIRS = [
  "/etc/systemd/system",
  "/run/systemd/system",
  "/usr/local/lib/systemd/system",
  "/usr/lib/systemd/system",
  "/lib/systemd/system",
];
const SOCKET = "/run/containerd/containerd.sock";

function unitName(n) {
  return /\.(service|socket|target|timer|mount|path|slice|scope)$/.test(n) ? n : `${n}.service`;
}

function statFile(unit) {
  return lab.statePath("units", `${unit}.json`);
}

function readState(unit) {
  return lab.readJson(statFile(unit), { started: false, failed: false });
}

function writeState(unit, st) {
  lab.writeJson(statFile(unit), st);
}

function parseUnitFile(text) {
  const out = { description: "", wantedBy: [], sections: {} };
  let sec = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const m = /^\[(.+)\]$/.exec(line);
    if (m) {
      sec = m[1];
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const k = line.slice(0, eq).trim();
    const v = line.slice(eq + 1).trim();
    (out.sections[sec] = out.sections[sec] || {})[k] = v;
    if (sec === "Unit" && k === "Description") out.description = v;
    if (sec === "Install" && k === "WantedBy") out.wantedBy.push(...v.split(/\s+/).filter(Boolean));
  }
  return out;
}

function findUnit(unit) {
  for (const dir of UNIT_DIRS) {
    const p = path.join(dir, unit);
    let real = lab.fsPath(p);
    try {
      const st = fs.lstatSync(real);
      if (st.isSymbolicLink()) {
        const target = fs.readlinkSync(real);
        if (target === "/dev/null") return { path: p, masked: true, dropins: [], description: "", wantedBy: [] };
        real = path.isAbsolute(target) ? lab.fsPath(target) : path.resolve(path.dirname(real), target);
      }
      const parsed = parseUnitFile(fs.readFileSync(real, "utf8"));
      const dropins = [];
      for (const d of UNIT_DIRS) {
        const dd = path.join(d, `${unit}.d`);
        try {
          for (const f of fs.readdirSync(lab.fsPath(dd)).sort())
            if (f.endsWith(".conf")) dropins.push(path.join(dd, f));
        } catch {
          /* no drop-ins there */
        }
      }
      return { path: p, dropins, ...parsed };
    } catch {
      /* not in this dir */
    }
  }
  return null;
}

function wantsLinks(unit, info) {
  const targets = info.wantedBy.length ? info.wantedBy : [];
  return targets.map((t) => `/etc/systemd/system/${t}.wants/${unit}`);
}

function isEnabled(unit) {
  const info = findUnit(unit);
  if (!info) return null;
  if (!info.wantedBy.length) return "static";
  return wantsLinks(unit, info).some((l) => {
    try {
      fs.lstatSync(lab.fsPath(l));
      return true;
    } catch {
      return false;
    }
  })
    ? "enabled"
    : "disabled";
}

function enable(unit) {
  const info = findUnit(unit);
  const msgs = [];
  for (const l of wantsLinks(unit, info)) {
    const real = lab.fsPath(l);
    try {
      fs.lstatSync(real);
      continue;
    } catch {
      /* create */
    }
    lab.mkdirp(path.dirname(real));
    fs.symlinkSync(info.path, real);
    msgs.push(`Created symlink ${l} → ${info.path}.`);
  }
  return msgs;
}

function disable(unit) {
  const info = findUnit(unit);
  const msgs = [];
  for (const l of wantsLinks(unit, info)) {
    const real = lab.fsPath(l);
    try {
      fs.lstatSync(real);
    } catch {
      continue;
    }
    fs.rmSync(real, { force: true });
    msgs.push(`Removed "${l}".`);
  }
  return msgs;
}

function journal(unit, line) {
  try {
    lab.mkdirp(lab.statePath("units"));
    const ts = lab.now().toISOString();
    fs.appendFileSync(lab.statePath("units", `${unit}.journal`), `${ts} ${lab.host()} ${line}\n`);
  } catch {
    /* best effort */
  }
}

function journalLines(unit, n) {
  try {
    const lines = fs
      .readFileSync(lab.statePath("units", `${unit}.journal`), "utf8")
      .trimEnd()
      .split("\n");
    return lines.slice(-n);
  } catch {
    return [];
  }
}

function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== "EPERM") return false;
  }
  try {
    // a zombie or a recycled pid is not our daemon
    const cl = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cl.includes("containerd");
  } catch {
    return true;
  }
}

/** Reads /etc/containerd/config.toml the way the installed containerd would. */
function containerdConfig() {
  const installed = pkgs.installed("containerd.io") || pkgs.installed("containerd");
  const upstream = installed ? pkgs.upstreamVersion(installed.version) : "1.7.0";
  const major = parseInt(upstream, 10);
  const file = lab.fsPath("/etc/containerd/config.toml");
  if (!fs.existsSync(file)) {
    return {
      ok: true,
      version: major >= 2 ? 3 : 2,
      cri: true,
      major,
      exists: false,
      configPath: major >= 2 ? "/etc/containerd/certs.d:/etc/docker/certs.d" : "",
      mirrors: {},
      sandboxImage: major >= 2 ? "registry.k8s.io/pause:3.10" : "registry.k8s.io/pause:3.8",
      systemdCgroup: false,
    };
  }
  let doc;
  try {
    doc = toml.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    return {
      ok: false,
      major,
      reason: `containerd: failed to load TOML from /etc/containerd/config.toml: ${e.message}`,
    };
  }
  const version = doc.version === undefined ? 1 : doc.version;
  const maxVersion = major >= 2 ? 3 : 2;
  if (typeof version !== "number" || version < 1 || version > maxVersion) {
    return {
      ok: false,
      major,
      version,
      reason: `containerd: unsupported config version \`${version}\``,
    };
  }
  const disabled = Array.isArray(doc.disabled_plugins) ? doc.disabled_plugins : [];
  const criIds = ["cri", "io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"];
  let cri = !disabled.some((p) => criIds.includes(p));
  const plugins = doc.plugins || {};
  const dig = (o, ...ks) => ks.reduce((x, k) => (x && typeof x === "object" ? x[k] : undefined), o);
  let out;
  if (major >= 2) {
    // 2.x reads version 2 configs too (migrated at load)
    const v2 = version < 3;
    const images = v2 ? dig(plugins, "io.containerd.grpc.v1.cri") : dig(plugins, "io.containerd.cri.v1.images");
    const runtime = v2 ? dig(plugins, "io.containerd.grpc.v1.cri") : dig(plugins, "io.containerd.cri.v1.runtime");
    const cp = dig(images, "registry", "config_path");
    out = {
      configPath: cp === undefined ? "/etc/containerd/certs.d:/etc/docker/certs.d" : cp,
      mirrors: {},
      sandboxImage:
        (v2 ? dig(images, "sandbox_image") : dig(images, "pinned_images", "sandbox")) || "registry.k8s.io/pause:3.10",
      systemdCgroup: dig(runtime, "containerd", "runtimes", "runc", "options", "SystemdCgroup") === true,
    };
  } else {
    const c = version === 1 ? dig(plugins, "cri") : dig(plugins, "io.containerd.grpc.v1.cri");
    const mirrors = {};
    for (const [reg, m] of Object.entries(dig(c, "registry", "mirrors") || {})) mirrors[reg] = (m && m.endpoint) || [];
    out = {
      configPath: dig(c, "registry", "config_path") || "",
      mirrors,
      sandboxImage: dig(c, "sandbox_image") || "registry.k8s.io/pause:3.8",
      systemdCgroup: dig(c, "containerd", "runtimes", "runc", "options", "SystemdCgroup") === true,
    };
    if (out.configPath && Object.keys(mirrors).length) {
      cri = false;
      out.criError = "invalid plugin config: `mirrors` cannot be set when `config_path` is provided";
    }
  }
  return { ok: true, version, cri, major, exists: true, ...out };
}

function startContainerd(unit) {
  const cfg = containerdConfig();
  const st = readState(unit);
  if (st.pid && alive(st.pid)) return { ok: true };
  if (!cfg.ok) {
    writeState(unit, { started: true, failed: true, since: lab.now().toISOString(), reason: cfg.reason });
    journal(unit, `containerd[${process.pid}]: ${cfg.reason}`);
    journal(unit, `systemd[1]: ${unit}: Main process exited, code=exited, status=1/FAILURE`);
    journal(unit, `systemd[1]: ${unit}: Failed with result 'exit-code'.`);
    return { ok: false, reason: cfg.reason };
  }
  const sock = lab.fsPath(SOCKET);
  lab.mkdirp(path.dirname(sock));
  try {
    fs.rmSync(sock, { force: true });
  } catch {
    /* stale */
  }
  const daemon = lab.labPath("doubles", "lib", "containerd-daemon.js");
  const child = childProcess.spawn(process.execPath, [daemon, sock], { detached: true, stdio: "ignore" });
  child.unref();
  const deadline = Date.now() + 5000;
  while (!fs.existsSync(sock) && Date.now() < deadline) lab.sleepSeconds(0.02);
  // what the running daemon loaded: later edits of config.toml only count after a restart
  const loaded = {
    cri: cfg.cri,
    configPath: cfg.configPath,
    mirrors: cfg.mirrors,
    sandboxImage: cfg.sandboxImage,
    systemdCgroup: cfg.systemdCgroup,
    version: cfg.version,
    major: cfg.major,
  };
  writeState(unit, { started: true, failed: false, pid: child.pid, since: lab.now().toISOString(), ...loaded });
  require("./modules.js").load("overlay"); // ExecStartPre=-/sbin/modprobe overlay
  journal(unit, `containerd[${child.pid}]: containerd successfully booted`);
  if (!cfg.cri) {
    journal(
      unit,
      `containerd[${child.pid}]: ${cfg.criError ? `failed to load plugin io.containerd.grpc.v1.cri: ${cfg.criError}` : 'skip loading plugin "io.containerd.grpc.v1.cri"... type=io.containerd.grpc.v1'}`,
    );
  }
  return { ok: true };
}

function stopContainerd(unit) {
  const st = readState(unit);
  if (st.pid && alive(st.pid)) {
    try {
      process.kill(st.pid, "SIGTERM");
    } catch {
      /* gone */
    }
    const deadline = Date.now() + 3000;
    while (alive(st.pid) && Date.now() < deadline) lab.sleepSeconds(0.02);
    if (alive(st.pid)) {
      try {
        process.kill(st.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
  fs.rmSync(lab.fsPath(SOCKET), { force: true });
}

/**
 * A running kubelet runs the static Pods in /etc/kubernetes/manifests: on a control-plane host that is the API
 * server, played by the lab API daemon (kube/daemon.js). Checked whenever the kubelet or the runtime starts,
 * since either can come up last after a reboot.
 */
function runStaticPods() {
  if (kubeletState(readState("kubelet.service")).state !== "active") return;
  // The lab's real-control-plane mode (kube/real.js): the real static Pods, and kwok for this node.
  const real = require("./kube/real.js");
  const daemons = require("./kube/daemon.js");
  // kube-vip's Pod is the lab's kube-vip double in both modes (its image has no binary in the lab)
  if (real.enabled()) {
    real.kubeletStarted();
    daemons.ensureKubeVip();
    return;
  }
  daemons.ensureStaticPodDaemon();
  daemons.ensureKubeVip();
}

function start(unit) {
  if (unit === "containerd.service") {
    const result = startContainerd(unit);
    if (result.ok) runStaticPods();
    return result;
  }
  const st = readState(unit);
  if (st.started && !st.failed) return { ok: true };
  writeState(unit, { started: true, failed: false, since: lab.now().toISOString() });
  journal(unit, `systemd[1]: Started ${unit}.`);
  if (unit === "kubelet.service") runStaticPods();
  return { ok: true };
}

function stop(unit) {
  if (unit === "containerd.service") stopContainerd(unit);
  const st = readState(unit);
  if (unit === "kubelet.service") {
    const real = require("./kube/real.js");
    if (real.enabled()) real.kubeletStopped();
  }
  if (st.started) journal(unit, `systemd[1]: Stopped ${unit}.`);
  writeState(unit, { started: false, failed: false, since: lab.now().toISOString() });
}

function swapActive() {
  const sw = lab.readJson(lab.statePath("swap.json"), { active: [] });
  return (sw.active || []).length > 0;
}

function runtimeReachable() {
  const st = state("containerd.service");
  const sockExists = fs.existsSync(lab.fsPath(SOCKET));
  if (st.state !== "active" || !sockExists) {
    return {
      ok: false,
      reason: `validate service connection: validate CRI v1 runtime API for endpoint "unix://${SOCKET}": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${SOCKET}: connect: no such file or directory"`,
    };
  }
  if (readState("containerd.service").cri === false) {
    return {
      ok: false,
      reason: `validate service connection: validate CRI v1 runtime API for endpoint "unix://${SOCKET}": rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService`,
    };
  }
  return { ok: true };
}

function kubeletState(st) {
  if (!st.started) return { state: "inactive", since: st.since };
  const cfgPath = "/var/lib/kubelet/config.yaml";
  const cfgFile = lab.fsPath(cfgPath);
  let reason = null;
  if (!fs.existsSync(cfgFile)) {
    reason = `"command failed" err="failed to load kubelet config file, path: ${cfgPath}, error: failed to load Kubelet config file ${cfgPath}, error failed to read kubelet config file \\"${cfgPath}\\", error: open ${cfgPath}: no such file or directory"`;
  } else {
    const text = fs.readFileSync(cfgFile, "utf8");
    const rt = runtimeReachable();
    if (swapActive() && !/^failSwapOn:\s*false\s*$/m.test(text)) {
      reason = `"command failed" err="failed to run Kubelet: running with swap on is not supported, please disable swap or set --fail-swap-on flag to false"`;
    } else if (!rt.ok) {
      reason = `"command failed" err="failed to run Kubelet: ${rt.reason.replace(/"/g, '\\"')}"`;
    }
  }
  return reason ? { state: "activating", reason, since: st.since } : { state: "active", since: st.since };
}

function state(unit) {
  const st = readState(unit);
  if (unit === "kubelet.service") return kubeletState(st);
  if (!st.started) return { state: "inactive", since: st.since };
  if (st.failed) return { state: "failed", reason: st.reason, since: st.since };
  if (unit === "containerd.service" && !alive(st.pid))
    return { state: "failed", reason: "process died", since: st.since };
  return { state: "active", pid: st.pid, since: st.since };
}

function isActive(unit) {
  return state(unitName(unit)).state === "active";
}

function kubeletStatus() {
  return state("kubelet.service");
}

module.exports = {
  SOCKET,
  unitName,
  findUnit,
  isEnabled,
  enable,
  disable,
  start,
  stop,
  state,
  isActive,
  runtimeReachable,
  kubeletStatus,
  containerdConfig,
  journal,
  journalLines,
  readState,
};
