"use strict";
/*
 * The kubelet's static Pods on a lab host, played with the real binaries: reads the manifests the REAL kubeadm
 * wrote (/etc/kubernetes/manifests/*.yaml) and runs each container's command line as a process of the host (so in
 * its network, mount, UTS and PID namespaces), with the binary of the image's name from the lab's tools mount
 * ($LAB_ROOT/tools/<command>, built by tools/setup). No containers: every hostPath of the manifests is mounted at
 * the same path in kubeadm's Pods, so the command lines (certificates, kubeconfigs, data dirs) work as they are.
 *
 * USE (library; the kubeadm/kubelet doubles):
 *   const pods = require((process.env.LAB_ROOT || "/lab") + "/doubles/lib/kube/static-pods.js");
 *   pods.start()                      starts every manifest's Pod (or start(["etcd", ...])); a Pod already
 *                                     running from the same manifest is left alone, one whose manifest changed is
 *                                     restarted (as the kubelet does); returns [{ name, pid, action, error? }]
 *                                     (action "error": that Pod could not run, the others still do)
 *   await pods.waitReady({ timeoutSeconds })   until every running Pod's readiness probe answers 200
 *   pods.stop(names?, { graceSeconds }?)  SIGTERM to all, SIGKILL after the grace period (the manifest's
 *                                     terminationGracePeriodSeconds, default 30 s); waits until they are gone.
 *                                     kubeadm reset removes the Pods through the CRI (StopPodSandbox), which
 *                                     containerd does forcibly: { graceSeconds: 0 } is that. Stopped together,
 *                                     etcd goes first and kube-apiserver's graceful shutdown (removing its
 *                                     endpoint, ...) then waits on it until killed: stop etcd last to avoid that.
 *   pods.status()                     [{ name, running, pid, manifest }]
 * USE (command line): node static-pods.js start|stop [--grace S]|status|wait [--timeout S] [name...]
 *
 * On the host: logs /var/log/lab/static-pods/<name>.log ($LAB_LOG), pid and state /run/lab/static-pods/<name>.*
 * ($LAB_RUN; /run is empty after a reboot, as the processes are gone then). Each Pod is a small sh supervisor
 * (supervise.sh, its process group leader) that restarts the container when it exits, with a back-off as the
 * kubelet's CrashLoopBackOff (shortened: 1 s doubling to 20 s, instead of 10 s to 5 min): kube-controller-manager,
 * for one, exits when the API server is not healthy within 10 s of its start, and the kubelet brings it back.
 *
 * Only what kubeadm's control-plane manifests use is understood; anything else (a hostPath mounted elsewhere
 * than its own path, a container without a command, an image whose version the lab has no binary of) is refused
 * with an error for that Pod, never approximated.
 */
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const http = require("http");
const https = require("https");
const childProcess = require("child_process");

const env = (name, dflt) => (process.env[name] ? process.env[name] : dflt);
const labRoot = () => env("LAB_ROOT", "/lab");
const toolsDir = () => path.join(labRoot(), "tools");
const manifestsDir = () => env("LAB_MANIFESTS", "/etc/kubernetes/manifests");
const runDir = () => path.join(env("LAB_RUN", "/run/lab"), "static-pods");
const logDir = () => path.join(env("LAB_LOG", "/var/log/lab"), "static-pods");

/** The kubelet's grace period for a static Pod (terminationGracePeriodSeconds' default). */
const GRACE_SECONDS = 30;

// ---- YAML: the block style that kubeadm (sigs.k8s.io/yaml) writes ---------------------------------------------

/** Parses block-style YAML (mappings, sequences, plain and quoted scalars, `{}`/`[]`, block scalars). */
function parseYaml(text) {
  const lines = [];
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*(#.*)?$/.test(raw) || raw === "---") {
      lines.push({ blank: true, raw });
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    lines.push({ indent, text: raw.slice(indent), raw });
  }
  let i = 0;
  const skipBlank = () => {
    while (i < lines.length && lines[i].blank) i++;
  };
  const fail = (why) => {
    throw new Error(`YAML line ${i + 1}: ${why}`);
  };

  function parseNode(minIndent) {
    skipBlank();
    if (i >= lines.length || lines[i].indent < minIndent) return null;
    const line = lines[i];
    if (isSeqItem(line.text)) return parseSeq(line.indent);
    if (splitKey(line.text)) return parseMap(line.indent);
    i++;
    return scalarWithContinuation(line.text, line.indent);
  }

  function parseMap(indent) {
    const out = {};
    for (;;) {
      skipBlank();
      if (i >= lines.length || lines[i].indent !== indent || isSeqItem(lines[i].text)) break;
      const kv = splitKey(lines[i].text);
      if (!kv) fail(`expected "key: value", found ${JSON.stringify(lines[i].text)}`);
      i++;
      out[kv.key] = valueAfterKey(kv.rest, indent);
    }
    return out;
  }

  function parseSeq(indent) {
    const out = [];
    for (;;) {
      skipBlank();
      if (i >= lines.length || lines[i].indent !== indent || !isSeqItem(lines[i].text)) break;
      const line = lines[i];
      const item = line.text === "-" ? "" : line.text.slice(2);
      const itemIndent = indent + (line.text.length - line.text.slice(1).trimStart().length);
      if (item.trim() === "") {
        i++;
        out.push(parseNode(indent + 1));
      } else if (isSeqItem(item) || (splitKey(item) && !/^["']/.test(item.trim()))) {
        // "- key: v" / "- - x": the item is a block that starts on this line, at the item text's column.
        lines[i] = { indent: itemIndent, text: item.trimStart(), raw: line.raw };
        out.push(parseNode(itemIndent));
      } else {
        i++;
        out.push(scalarWithContinuation(item, indent));
      }
    }
    return out;
  }

  function valueAfterKey(rest, indent) {
    const r = stripComment(rest).trim();
    if (r === "") {
      skipBlank();
      if (i < lines.length && lines[i].indent > indent) return parseNode(indent + 1);
      // A sequence may sit at its key's own indentation (what sigs.k8s.io/yaml writes).
      if (i < lines.length && lines[i].indent === indent && isSeqItem(lines[i].text)) return parseSeq(indent);
      return null;
    }
    if (/^[|>][-+]?\d*$/.test(r)) return blockScalar(r, indent);
    return scalarWithContinuation(rest, indent);
  }

  function blockScalar(header, indent) {
    const body = [];
    let blockIndent = null;
    while (i < lines.length) {
      const l = lines[i];
      if (!l.blank && l.indent <= indent) break;
      if (!l.blank && blockIndent === null) blockIndent = l.indent;
      body.push(l.blank ? "" : l.raw.slice(blockIndent));
      i++;
    }
    while (body.length && body[body.length - 1] === "") body.pop();
    let text = header[0] === "|" ? body.join("\n") : body.join("\n").replace(/([^\n])\n(?=[^\n])/g, "$1 ");
    if (!header.includes("-")) text += "\n";
    return text;
  }

  /** A scalar whose plain or quoted text may continue on more-indented lines (the emitter folds long ones). */
  function scalarWithContinuation(first, indent) {
    let text = first.trim();
    const quote = text[0] === '"' || text[0] === "'" ? text[0] : null;
    const closed = () => quote && quotedEnd(text, quote) !== -1;
    while (i < lines.length && (quote ? !closed() : true)) {
      const l = lines[i];
      if (!quote && (l.blank || l.indent <= indent)) break;
      if (quote && !l.blank && l.indent <= indent && closed()) break;
      text += l.blank ? "\n" : (text.endsWith("\n") ? "" : " ") + l.text.trim();
      i++;
    }
    return scalar(text);
  }

  const result = parseNode(0);
  skipBlank();
  if (i < lines.length) fail(`unexpected ${JSON.stringify(lines[i].text)}`);
  return result;
}

function isSeqItem(text) {
  return text === "-" || text.startsWith("- ");
}

/** Index of the closing quote of a quoted scalar that starts at 0, or -1. */
function quotedEnd(text, quote) {
  for (let j = 1; j < text.length; j++) {
    if (quote === '"' && text[j] === "\\") j++;
    else if (text[j] === quote) {
      if (quote === "'" && text[j + 1] === "'") j++;
      else return j;
    }
  }
  return -1;
}

/** "key: rest" (the key plain or quoted), or null when the text is not a mapping entry. */
function splitKey(text) {
  let key;
  let after;
  if (text[0] === '"' || text[0] === "'") {
    const end = quotedEnd(text, text[0]);
    if (end === -1) return null;
    key = scalar(text.slice(0, end + 1));
    after = text.slice(end + 1);
    if (!(after === ":" || after.startsWith(": "))) return null;
  } else {
    const m = /^([^#]*?):(?: |$)/.exec(text);
    if (!m || m[1].includes("{") || m[1].includes("[")) return null;
    key = m[1].trim();
    after = text.slice(m[1].length);
  }
  return { key: String(key), rest: after.slice(1) };
}

function stripComment(text) {
  const t = text.trim();
  if (t[0] === '"' || t[0] === "'") return t;
  const m = /(^|\s)#/.exec(t);
  return m ? t.slice(0, m.index) : t;
}

function scalar(raw) {
  const t = stripComment(raw).trim();
  if (t[0] === "'")
    return t
      .slice(1, quotedEnd(t, "'"))
      .replace(/''/g, "'")
      .replace(/ ?\n ?/g, "\n");
  if (t[0] === '"') {
    const body = t.slice(1, quotedEnd(t, '"'));
    return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e) => {
      const simple = { n: "\n", t: "\t", r: "\r", 0: "\0", '"': '"', "\\": "\\", "/": "/", " ": " ", e: "\x1b" };
      if (e in simple) return simple[e];
      if (/^[xuU]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
      return e;
    });
  }
  if (t === "" || t === "~" || t === "null") return null;
  if (t === "true" || t === "false") return t === "true";
  if (t === "{}") return {};
  if (t === "[]") return [];
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

// ---- manifests -------------------------------------------------------------------------------------------------

/** The Pods of the manifests dir, by name: { name, file, text, hash, pod }. */
function readManifests() {
  let entries;
  try {
    entries = fs.readdirSync(manifestsDir());
  } catch (error) {
    if (error.code === "ENOENT") return [];
    throw error;
  }
  const out = [];
  // The kubelet reads every regular file of the dir except hidden ones, whatever its extension.
  for (const entry of entries.sort()) {
    if (entry.startsWith(".")) continue;
    const file = path.join(manifestsDir(), entry);
    if (!fs.statSync(file).isFile()) continue;
    const text = fs.readFileSync(file, "utf8");
    const hash = crypto.createHash("sha256").update(text).digest("hex").slice(0, 16);
    // A file the kubelet cannot read is skipped with an error, the others run.
    const fallback = entry.replace(/\.(ya?ml|json)$/, "");
    let pod;
    try {
      pod = parseYaml(text);
    } catch (error) {
      out.push({ name: fallback, file, text, hash, error: `${file}: ${error.message}` });
      continue;
    }
    if (!pod || pod.kind !== "Pod" || !pod.metadata || !pod.metadata.name) {
      out.push({ name: fallback, file, text, hash, error: `${file}: not a Pod manifest with a metadata.name` });
      continue;
    }
    out.push({ name: pod.metadata.name, file, text, hash, pod });
  }
  return out;
}

const versionCache = new Map();

/** What `<binary> --version` says, reduced to "1.35.4" (kube-*: "Kubernetes v1.35.4"; etcd: "etcd Version: 3.6.6"). */
function binaryVersion(binary) {
  if (!versionCache.has(binary)) {
    const r = childProcess.spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 20_000 });
    const m = /(?:Kubernetes v|etcd Version: )(\d+\.\d+\.\d+)/.exec(`${r.stdout || ""}${r.stderr || ""}`);
    versionCache.set(binary, m ? m[1] : null);
  }
  return versionCache.get(binary);
}

/** The process one Pod's container becomes: { binary, argv, env, cwd, hostPaths } (throws what the lab cannot run). */
function processSpec(manifest) {
  const { pod, name } = manifest;
  const spec = pod.spec || {};
  const containers = spec.containers || [];
  if (containers.length !== 1) {
    throw new Error(`static pod ${name}: ${containers.length} containers; the lab runs Pods of exactly one`);
  }
  if (spec.hostNetwork !== true) {
    throw new Error(`static pod ${name}: not hostNetwork; the lab runs Pods in the host's own network only`);
  }
  const c = containers[0];
  const command = [...(c.command || []), ...(c.args || [])].map(String);
  if (!c.command || c.command.length === 0) {
    throw new Error(`static pod ${name}: container ${c.name} has no command (the image's entrypoint is unknown here)`);
  }
  const binary = path.join(toolsDir(), path.basename(command[0]));
  if (!fs.existsSync(binary)) {
    throw new Error(
      `static pod ${name}: no ${path.basename(command[0])} in ${toolsDir()} for image ${c.image} (tools/setup builds kube-apiserver, kube-controller-manager, kube-scheduler and etcd)`,
    );
  }
  // The image's tag names the version the Pod asks for; the lab has one build of each binary.
  const tag = /:([^:/@]+)(@.*)?$/.exec(String(c.image || ""));
  const want = tag ? tag[1].replace(/^v/, "").replace(/-\d+$/, "") : null;
  const have = binaryVersion(binary);
  if (!want || want !== have) {
    throw new Error(
      `static pod ${name}: image ${c.image} asks for version ${want || "(none)"}, the lab's ${binary} is ${have || "unknown"}`,
    );
  }
  // Containers see their hostPath volumes at their mountPath; on the host itself that holds only when both agree.
  const volumes = new Map((spec.volumes || []).map((v) => [v.name, v]));
  const hostPaths = [];
  for (const m of c.volumeMounts || []) {
    const v = volumes.get(m.name);
    if (!v || !v.hostPath) throw new Error(`static pod ${name}: volume ${m.name} is not a hostPath volume`);
    if (path.normalize(v.hostPath.path) !== path.normalize(m.mountPath)) {
      throw new Error(
        `static pod ${name}: volume ${m.name} mounts ${v.hostPath.path} at ${m.mountPath}; the lab runs Pods on the host's own file system, where that is only possible at the same path`,
      );
    }
    hostPaths.push({ volume: m.name, path: v.hostPath.path, type: v.hostPath.type || "" });
  }
  const podEnv = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOSTNAME: readHostname(),
  };
  for (const e of c.env || []) {
    if (e.valueFrom)
      throw new Error(`static pod ${name}: env ${e.name} uses valueFrom, which the lab does not resolve`);
    podEnv[e.name] = e.value === null || e.value === undefined ? "" : String(e.value);
  }
  return { binary, argv: command.slice(1), env: podEnv, cwd: c.workingDir || "/", hostPaths, container: c };
}

function readHostname() {
  try {
    return fs.readFileSync("/proc/sys/kernel/hostname", "utf8").trim();
  } catch {
    return require("os").hostname();
  }
}

/** What the kubelet does for hostPath volumes before it starts the container (types as in the Pod API). */
function prepareHostPaths(name, hostPaths) {
  for (const { volume, path: p, type } of hostPaths) {
    let st = null;
    try {
      st = fs.statSync(p);
    } catch {
      /* absent */
    }
    const failType = (what) => {
      throw new Error(
        `static pod ${name}: MountVolume.SetUp failed for volume "${volume}" : hostPath type check failed: ${p} is not ${what}`,
      );
    };
    if (type === "DirectoryOrCreate") {
      if (!st) fs.mkdirSync(p, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) failType("a directory");
    } else if (type === "FileOrCreate") {
      if (!st) {
        fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
        fs.writeFileSync(p, "", { mode: 0o644 });
      } else if (!st.isFile()) failType("a file");
    } else if (type === "Directory") {
      if (!st || !st.isDirectory()) failType("a directory");
    } else if (type === "File") {
      if (!st || !st.isFile()) failType("a file");
    } else if (type !== "") {
      if (!st) failType(`a ${type}`);
    }
  }
}

// ---- processes -------------------------------------------------------------------------------------------------

// The restarting loop around each process (the kubelet's part): a script, so that `ps` on the host shows
// "/bin/sh .../supervise.sh <name> <binary> ..." for it.
const SUPERVISOR = path.join(__dirname, "supervise.sh");

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** The supervised process `name` under `dir`: { pid, state } when its group is alive, else null. */
function running(dir, name) {
  let state;
  try {
    state = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), "utf8"));
  } catch {
    return null;
  }
  const pid = Number(state.pid);
  if (!pid || !groupAlive(pid)) return null;
  // The kernel does not hand out a pid that is still some group's id, so a live group with this id is ours, even
  // when its supervisor was killed and only the container is left; a live process of that pid with another
  // command line is a reuse after the whole group died (a reboot keeps no state: /run is a tmpfs).
  let cmdline = null;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    /* supervisor gone, group alive */
  }
  if (cmdline && !(path.basename(cmdline[1] || "") === "supervise.sh" && cmdline[2] === name)) return null;
  return { pid, state };
}

/**
 * Starts `argv` under a restarting supervisor, detached (its own session and process group), stdout and stderr
 * appended to `logFile`; pid and `extra` state in `<dir>/<name>.{pid,json}`.
 */
function supervise({ dir, name, binary, argv, env: procEnv, cwd, logFile, extra }) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o755 });
  const log = fs.openSync(logFile, "a", 0o640);
  const child = childProcess.spawn("/bin/sh", [SUPERVISOR, name, binary, ...argv], {
    detached: true,
    stdio: ["ignore", log, log],
    env: procEnv,
    cwd,
  });
  fs.closeSync(log);
  child.unref();
  const state = { pid: child.pid, binary, argv, startedAt: new Date().toISOString(), log: logFile, ...extra };
  fs.writeFileSync(path.join(dir, `${name}.pid`), `${child.pid}\n`);
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(state, null, 2) + "\n");
  return child.pid;
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Stops supervised processes the way the kubelet stops a Pod's containers, all at once: SIGTERM to each process
 * group, SIGKILL to those still there after their grace period (`graceSeconds`, else the one recorded when it
 * started, else 30 s; noted in their log); returns once no process of any of the groups is left, with the names
 * that were running. kube-apiserver's graceful shutdown still writes to etcd (its endpoint in the kubernetes
 * Service): with etcd stopped at the same moment it runs into the grace period, so callers wanting a quick
 * graceful stop stop etcd last.
 */
function stopSupervisedAll(dir, names, graceSeconds) {
  const groups = [];
  const now = Date.now();
  for (const name of names) {
    const r = running(dir, name);
    if (r) {
      const grace = graceSeconds ?? r.state.graceSeconds ?? GRACE_SECONDS;
      groups.push({ name, pid: r.pid, log: r.state.log, grace, deadline: now + grace * 1000 });
      try {
        process.kill(-r.pid, "SIGTERM");
      } catch {
        /* gone */
      }
    }
  }
  for (;;) {
    const alive = groups.filter((g) => !g.killed && groupAlive(g.pid));
    if (alive.length === 0) break;
    for (const g of alive.filter((x) => Date.now() >= x.deadline)) {
      g.killed = true;
      try {
        if (g.log) fs.appendFileSync(g.log, `lab: ${g.name} still running ${g.grace}s after SIGTERM: SIGKILL\n`);
        process.kill(-g.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    sleepMs(50);
  }
  while (groups.some((g) => groupAlive(g.pid))) sleepMs(20);
  for (const name of names) {
    fs.rmSync(path.join(dir, `${name}.pid`), { force: true });
    fs.rmSync(path.join(dir, `${name}.json`), { force: true });
  }
  return groups.map((g) => g.name);
}

function stopSupervised(dir, name, graceSeconds) {
  return stopSupervisedAll(dir, [name], graceSeconds).length > 0;
}

/** Names of the supervised processes that have state under `dir`. */
function supervisedNames(dir) {
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}

// ---- static Pods -----------------------------------------------------------------------------------------------

function pick(manifests, names) {
  if (!names || names.length === 0) return manifests;
  const byName = new Map(manifests.map((m) => [m.name, m]));
  return names.map((n) => {
    const m = byName.get(n);
    if (!m) throw new Error(`static pod ${n}: no manifest for it in ${manifestsDir()}`);
    return m;
  });
}

/**
 * Starts the Pods of the manifests (all, or `names`). Returns [{ name, pid, action: "started" | "running" |
 * "restarted" | "error", error? }]: as with the kubelet, a Pod that cannot run (an error naming why) does not keep
 * the others from running. A Pod whose manifest changed is stopped before its new version starts (or fails to);
 * Pods whose manifest is gone are stopped.
 */
function start(names) {
  return withLock(() => startUnlocked(names));
}

/**
 * One start or stop at a time on a host: the kubelet double (its sync loop, kubelet-agent.js) and the kubeadm
 * double both start and stop Pods, and two starts racing would run a Pod twice. A lock whose holder is gone is
 * taken over.
 */
function withLock(fn) {
  fs.mkdirSync(runDir(), { recursive: true, mode: 0o755 });
  const lock = path.join(runDir(), ".lock");
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      const holder = Number(fs.readFileSync(lock, "utf8").trim() || 0);
      if (holder && holder !== process.pid && !require("./host.js").processAlive(holder))
        fs.rmSync(lock, { force: true });
      else sleepMs(50);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function startUnlocked(names) {
  const manifests = readManifests();
  const wanted = pick(manifests, names);
  if (!names || names.length === 0) {
    const present = new Set(manifests.map((m) => m.name));
    stopSupervisedAll(
      runDir(),
      supervisedNames(runDir()).filter((n) => !present.has(n)),
    );
  }
  const out = [];
  for (const m of wanted) {
    const r = running(runDir(), m.name);
    if (r && r.state.manifest === m.hash) {
      out.push({ name: m.name, pid: r.pid, action: "running" });
      continue;
    }
    if (r) stopSupervised(runDir(), m.name);
    try {
      if (m.error) throw new Error(m.error);
      const p = processSpec(m);
      prepareHostPaths(m.name, p.hostPaths);
      const pid = supervise({
        dir: runDir(),
        name: m.name,
        binary: p.binary,
        argv: p.argv,
        env: p.env,
        cwd: p.cwd,
        logFile: path.join(logDir(), `${m.name}.log`),
        extra: {
          manifest: m.hash,
          file: m.file,
          probe: readinessProbe(m.pod),
          graceSeconds: m.pod.spec.terminationGracePeriodSeconds ?? GRACE_SECONDS,
        },
      });
      out.push({ name: m.name, pid, action: r ? "restarted" : "started" });
    } catch (error) {
      out.push({ name: m.name, pid: null, action: "error", error: error.message });
    }
  }
  return out;
}

/**
 * Stops the given Pods, or every Pod this host runs; returns the names that were running. `graceSeconds`
 * replaces each Pod's own grace period (crictl's stop timeout, say).
 */
function stop(names, { graceSeconds } = {}) {
  return withLock(() => {
    const list = names && names.length ? names : supervisedNames(runDir());
    return stopSupervisedAll(runDir(), list, graceSeconds);
  });
}

function status() {
  const manifests = new Map(readManifests().map((m) => [m.name, m]));
  const names = new Set([...manifests.keys(), ...supervisedNames(runDir())]);
  return [...names].sort().map((name) => {
    const r = running(runDir(), name);
    const m = manifests.get(name);
    return {
      name,
      running: Boolean(r),
      pid: r ? r.pid : null,
      manifest: m ? m.file : null,
      current: Boolean(r && m && r.state.manifest === m.hash),
    };
  });
}

/**
 * The probe that tells the kubelet a container is ready: readinessProbe, else startupProbe, else livenessProbe
 * (httpGet only; kubeadm uses nothing else), with a named port resolved from the container's ports.
 */
function readinessProbe(pod) {
  const c = ((pod.spec || {}).containers || [])[0] || {};
  const probe = c.readinessProbe || c.startupProbe || c.livenessProbe;
  if (!probe || !probe.httpGet) return null;
  const g = probe.httpGet;
  let port = g.port;
  if (typeof port === "string" && !/^\d+$/.test(port)) {
    const named = (c.ports || []).find((p) => p.name === port);
    if (!named)
      throw new Error(`static pod ${pod.metadata.name}: probe port ${port} is not a named port of the container`);
    port = named.containerPort;
  }
  // hostNetwork: the Pod's IP, the kubelet's default probe host, is the node's; kubeadm always names the host.
  const command = [...(c.command || []), ...(c.args || [])].map(String);
  const flag = (f) => {
    const a = command.find((x) => x.startsWith(`--${f}=`));
    return a ? a.slice(f.length + 3) : null;
  };
  return {
    scheme: String(g.scheme || "HTTP").toLowerCase(),
    host: g.host || flag("advertise-address") || "127.0.0.1",
    port: Number(port),
    path: g.path || "/",
    // The API server's readiness, as kubeadm's own wait does it, with a client certificate it trusts: /readyz
    // then does not depend on anonymous requests being allowed.
    clientCert: flag("kubelet-client-certificate"),
    clientKey: flag("kubelet-client-key"),
  };
}

function probeOnce(probe) {
  return new Promise((resolve) => {
    const mod = probe.scheme === "https" ? https : http;
    const options = { host: probe.host, port: probe.port, path: probe.path, method: "GET", timeout: 5000 };
    if (probe.scheme === "https") {
      // The kubelet does not verify a probed server's certificate.
      options.rejectUnauthorized = false;
      if (probe.clientCert && probe.clientKey) {
        try {
          options.cert = fs.readFileSync(probe.clientCert);
          options.key = fs.readFileSync(probe.clientKey);
        } catch {
          /* probed without one */
        }
      }
    }
    const req = mod.request(options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () =>
        resolve({
          ok: res.statusCode >= 200 && res.statusCode < 400,
          why: `HTTP ${res.statusCode}: ${body.trim().slice(0, 300)}`,
        }),
      );
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ ok: false, why: e.message }));
    req.end();
  });
}

function logTail(name, lines = 15) {
  try {
    return fs
      .readFileSync(path.join(logDir(), `${name}.log`), "utf8")
      .trimEnd()
      .split("\n")
      .slice(-lines)
      .join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Waits until the readiness probe of every running Pod (or of `names`) succeeds; throws after `timeoutSeconds`
 * with what each unready Pod last answered and the tail of its log. A Pod that is not running counts as unready.
 */
async function waitReady({ names, timeoutSeconds = 120, intervalMs = 500 } = {}) {
  const list = names && names.length ? names : supervisedNames(runDir());
  const deadline = Date.now() + timeoutSeconds * 1000;
  const pending = new Map(list.map((n) => [n, "not probed yet"]));
  for (;;) {
    for (const name of [...pending.keys()]) {
      const r = running(runDir(), name);
      if (!r) {
        pending.set(name, "not running");
        continue;
      }
      if (!r.state.probe) {
        pending.delete(name);
        continue;
      }
      const res = await probeOnce(r.state.probe);
      if (res.ok) pending.delete(name);
      else
        pending.set(
          name,
          `${r.state.probe.scheme}://${r.state.probe.host}:${r.state.probe.port}${r.state.probe.path}: ${res.why}`,
        );
    }
    if (pending.size === 0) return;
    if (Date.now() >= deadline) {
      const detail = [...pending].map(([n, why]) => `${n}: ${why}\n  log tail:\n${logTail(n).replace(/^/gm, "    ")}`);
      throw new Error(`static pods not ready after ${timeoutSeconds}s:\n${detail.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

module.exports = {
  start,
  stop,
  status,
  waitReady,
  readManifests,
  processSpec,
  parseYaml,
  supervise,
  stopSupervised,
  stopSupervisedAll,
  running,
  supervisedNames,
  probeOnce,
  GRACE_SECONDS,
};

if (require.main === module) {
  const [verb, ...rest] = process.argv.slice(2);
  const names = [];
  let timeout = 120;
  let grace;
  for (let k = 0; k < rest.length; k++) {
    if (rest[k] === "--timeout") timeout = Number(rest[++k]);
    else if (rest[k] === "--grace") grace = Number(rest[++k]);
    else names.push(rest[k]);
  }
  const main = async () => {
    if (verb === "start") {
      let failed = 0;
      for (const r of start(names)) {
        if (r.action === "error") {
          failed++;
          console.error(`${r.name}: error: ${r.error}`);
        } else console.log(`${r.name}: ${r.action} (pid ${r.pid})`);
      }
      return failed ? 1 : 0;
    } else if (verb === "stop") for (const n of stop(names, { graceSeconds: grace })) console.log(`${n}: stopped`);
    else if (verb === "status") {
      for (const s of status())
        console.log(
          `${s.name}\t${s.running ? `running (pid ${s.pid})` : "stopped"}${s.running && !s.current ? "\t(manifest changed)" : ""}`,
        );
    } else if (verb === "wait") {
      await waitReady({ names, timeoutSeconds: timeout });
      console.log("ready");
    } else {
      console.error("usage: static-pods.js start|stop [--grace S]|status|wait [--timeout S] [name...]");
      return 2;
    }
    return 0;
  };
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(`static-pods: ${error.message}`);
      process.exit(1);
    },
  );
}
