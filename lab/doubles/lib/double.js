"use strict";
/*
 * lab/doubles/lib/double.js — the one shared runtime of every lab double.
 *
 * USE (node double, e.g. lab/doubles/bin/systemctl):
 *
 *   #!/usr/bin/env node
 *   'use strict';
 *   const lab = require((process.env.LAB_ROOT || '/lab') + '/doubles/lib/double.js');
 *   lab.runDouble('systemctl', process.argv.slice(2), (ctx) => { ...; return 0; });
 *
 *   (Doubles are COPIED to /usr/local/bin or /usr/bin on a host, so never require by __dirname:
 *   always through LAB_ROOT, which is /lab on a host and /lab/doubles is the repo's lab/doubles.)
 *
 * USE (sh double): run the prelude, which logs, applies faults and durations, and exits non-zero
 * when the command must stop there:
 *
 *   node "${LAB_ROOT:-/lab}/doubles/lib/double.js" prelude mytool "$@" || exit $?
 *
 * ENVIRONMENT (all optional; defaults are what a lab host uses):
 *   LAB_ROOT     lab-wide inputs (clock, catalogue, faults, registries, doubles)   default /lab
 *   LAB_STATE    per-host state of the doubles                                     default /var/lib/lab
 *   LAB_LOG      per-host log dir (commands.log)                                   default /var/log/lab
 *   LAB_HOST     host name used for /lab/faults/<host>.json                        default os.hostname()
 *   LAB_FS_ROOT  prefix for every product-visible file path (/etc, /usr, /run ...)  default /
 *   LAB_PROC_SYS the sysctl tree                                                    default /proc/sys
 *   Tests point all of these into a temp dir; a double must resolve EVERY path through fsPath()/statePath().
 *
 * runDouble(name, argv, impl, opts?)
 *   1. appends one line to $LAB_LOG/commands.log:  "<ISO lab time> uid=<uid> <name> <args shell-quoted>"
 *      (opts.redact(argv) -> argv replaces secrets; see redactFlags()).
 *   2. looks up $LAB_ROOT/faults/<host>.json and $LAB_ROOT/durations.json for the most specific key
 *      matching this invocation (see matchKey()) and applies it, in this order:
 *        dropSsh: true     SIGKILL the nearest "sshd: user@..." ancestor (and its "[priv]" monitor), exit 255
 *        hang: seconds     sleep that long, then carry on
 *        delaySeconds: n   sleep n seconds, then carry on
 *        fail: "message"   print message (newline added) to stderr, exit with exitCode (default 1)
 *        times: n          (optional, with any of the above) the fault fires only n times on this host
 *                          (counted in $LAB_STATE/faults-fired.json)
 *      durations.json { "<key>": seconds } adds a fixed sleep before the impl runs.
 *   3. calls impl(ctx) (may be async); its return value (number) is the exit code (undefined = 0).
 *      Throwing lab.exit(code, stderrText) / ctx.fail(msg, code) ends the run with that code and text.
 *      Any other exception is a double bug: printed with "lab double <name>: internal error", exit 70.
 *
 * matchKey(key, name, argv): key = "name word1 word2 ..." — name must equal the double's name and each
 *   following word must occur, in order, as a whole argument of argv (options in between are skipped),
 *   e.g. "apt-get install" matches `apt-get -y -q install kubelet`. The longest matching key wins.
 *
 * ctx (passed to impl):
 *   name, argv, host
 *   fsPath(p)            '/etc/x' -> $LAB_FS_ROOT/etc/x
 *   statePath(...parts)  -> $LAB_STATE/...
 *   labPath(...parts)    -> $LAB_ROOT/...
 *   out(text) / err(text) write to stdout / stderr (no newline added)
 *   fail(msg, code=1)    throws: msg + '\n' to stderr, exit code
 *   now()                Date shifted by $LAB_ROOT/clock seconds
 *
 * Other exports: exit(code, stderrText) (creates the throwable), DoubleExit, fsPath, statePath, labPath,
 *   logPath, host(), now(), sleepSeconds(s), readJson(file, dflt), writeJson(file, obj) (atomic),
 *   updateJson(file, dflt, fn) (locked read-modify-write; fn mutates or returns the new value),
 *   withLock(name, fn), withLockIn(dir, name, fn) (the lock in a given dir: state shared by hosts),
 *   redactFlags(argv, flags), shellQuote(arg), matchKey, logCommand(name, argv),
 *   applyFaults(name, argv) (what step 2 does; throws DoubleExit), procSys(), mkdirp(dir),
 *   inLabHost() (true only inside a lab host: its / is init.sh's "lab-root" tmpfs), isRoot() (root, or LAB_UID=0).
 */

const fs = require("fs");
const os = require("os");
const path = require("path");

/**
 * What a double's implementation is handed (see "ctx" above).
 * @typedef {{
 *   name: string,
 *   argv: string[],
 *   host: string,
 *   fsPath: (p: string) => string,
 *   statePath: (...parts: string[]) => string,
 *   labPath: (...parts: string[]) => string,
 *   now: () => Date,
 *   out: (text: string) => void,
 *   err: (text: string) => void,
 *   fail: (msg: string, code?: number) => never,
 * }} Ctx
 */

/**
 * A fault a test puts in /lab/faults/<host>.json (see runDouble above).
 * @typedef {{ times?: number, dropSsh?: boolean, hang?: number, delaySeconds?: number, fail?: string | boolean,
 *   exitCode?: number }} Fault
 */

/**
 * $LAB_STATE/host.json, written by init-host at every boot.
 * @typedef {{ host: string, distro: "ubuntu" | "rocky", family: "apt" | "yum", netns: string | null, boots: number,
 *   bootedAt: string }} HostRecord
 */

class DoubleExit extends Error {
  /**
   * @param {number} code
   * @param {string} [stderr]
   */
  constructor(code, stderr) {
    super(`exit ${code}`);
    this.code = code;
    this.stderr = stderr || "";
  }
}

/**
 * @param {number} code
 * @param {string} [stderr]
 */
function exit(code, stderr) {
  return new DoubleExit(code, stderr);
}

/**
 * @param {string} name
 * @param {string} dflt
 */
function env(name, dflt) {
  const v = process.env[name];
  return v === undefined || v === "" ? dflt : v;
}

/** @param {string[]} parts */
function labPath(...parts) {
  return path.join(env("LAB_ROOT", "/lab"), ...parts);
}

/** @param {string[]} parts */
function statePath(...parts) {
  return path.join(env("LAB_STATE", "/var/lib/lab"), ...parts);
}

/** @param {string[]} parts */
function logPath(...parts) {
  return path.join(env("LAB_LOG", "/var/log/lab"), ...parts);
}

/** @param {string} p */
function fsPath(p) {
  const root = env("LAB_FS_ROOT", "/");
  if (!path.isAbsolute(p)) throw new Error(`fsPath needs an absolute path: ${p}`);
  return root === "/" ? path.normalize(p) : path.join(root, p);
}

function procSys() {
  return env("LAB_PROC_SYS", "/proc/sys");
}

/** True inside a lab host: its / is the tmpfs "lab-root" that lab/hosts/init.sh mounts (never on the machine). */
function inLabHost() {
  try {
    for (const line of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
      const f = line.split(" ");
      if (f[4] !== "/") continue;
      const dash = f.indexOf("-");
      if (dash > 0 && f[dash + 2] === "lab-root") return true;
    }
  } catch {
    /* no procfs */
  }
  return false;
}

/** Root, or the user a test plays (LAB_UID). */
function isRoot() {
  return (process.env.LAB_UID !== undefined ? Number(process.env.LAB_UID) : uid()) === 0;
}

function host() {
  return env("LAB_HOST", os.hostname());
}

/** @param {string} dir */
function mkdirp(dir) {
  fs.mkdirSync(dir, { recursive: true });
}

/**
 * The JSON in FILE, or DFLT when there is none; what the file holds is the caller's to know.
 * @template T
 * @param {string} file
 * @param {T} dflt
 * @returns {T}
 */
function readJson(file, dflt) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code === "ENOENT") return dflt;
    throw e;
  }
  if (text.trim() === "") return dflt;
  return JSON.parse(text);
}

/**
 * @param {string} file
 * @param {unknown} obj
 */
function writeJson(file, obj) {
  mkdirp(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(obj, null, 2) + "\n");
  fs.renameSync(tmp, file);
}

/** @param {number | string} s */
function sleepSeconds(s) {
  const ms = Math.max(0, Math.round(Number(s) * 1000));
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * @template T
 * @param {string} name
 * @param {() => T} fn
 * @returns {T}
 */
function withLock(name, fn) {
  return withLockIn(statePath("locks"), name, fn);
}

/**
 * withLock with the lock directory given: for state several hosts share (under /lab).
 * @template T
 * @param {string} dir
 * @param {string} name
 * @param {() => T} fn
 * @returns {T}
 */
function withLockIn(dir, name, fn) {
  mkdirp(dir);
  const lock = path.join(dir, `${name}.lock`);
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EEXIST") throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 30000) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        /* raced with the holder */
      }
      if (Date.now() > deadline) throw new Error(`lock ${lock} held too long`, { cause: e });
      sleepSeconds(0.02);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * @template T
 * @param {string} file
 * @param {T} dflt
 * @param {(cur: T) => T | void} fn
 * @returns {T}
 */
function updateJson(file, dflt, fn) {
  return withLock(path.basename(file), () => {
    const cur = readJson(file, JSON.parse(JSON.stringify(dflt)));
    const next = fn(cur);
    const val = next === undefined ? cur : next;
    writeJson(file, val);
    return val;
  });
}

function clockOffsetSeconds() {
  try {
    const v = parseFloat(fs.readFileSync(labPath("clock"), "utf8").trim());
    return Number.isFinite(v) ? v : 0;
  } catch {
    return 0;
  }
}

function now() {
  return new Date(Date.now() + clockOffsetSeconds() * 1000);
}

/** @param {unknown} a */
function shellQuote(a) {
  const s = String(a);
  if (s !== "" && /^[A-Za-z0-9_@%+=:,./~^-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * @param {string[]} argv
 * @param {string[]} flags
 */
function redactFlags(argv, flags) {
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    if (eq > 0 && flags.includes(a.slice(0, eq))) {
      out.push(`${a.slice(0, eq)}=[redacted]`);
    } else if (flags.includes(a) && i + 1 < argv.length) {
      out.push(a, "[redacted]");
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

function uid() {
  return typeof process.getuid === "function" ? process.getuid() : -1;
}

/**
 * @param {string} name
 * @param {string[]} argv
 */
function logCommand(name, argv) {
  try {
    mkdirp(logPath());
    const line = `${now().toISOString()} uid=${uid()} ${[name, ...argv].map(shellQuote).join(" ")}\n`;
    fs.appendFileSync(logPath("commands.log"), line);
  } catch {
    /* logging must never break a double */
  }
}

/**
 * @param {string} key
 * @param {string} name
 * @param {string[]} argv
 */
function matchKey(key, name, argv) {
  const words = String(key).trim().split(/\s+/);
  if (words[0] !== name) return false;
  let i = 0;
  for (const w of words.slice(1)) {
    while (i < argv.length && argv[i] !== w) i++;
    if (i >= argv.length) return false;
    i++;
  }
  return true;
}

/**
 * @param {Record<string, unknown>} table
 * @param {string} name
 * @param {string[]} argv
 * @returns {string | null}
 */
function bestKey(table, name, argv) {
  let best = null;
  for (const key of Object.keys(table || {})) {
    if (!matchKey(key, name, argv)) continue;
    if (best === null || key.trim().split(/\s+/).length > best.trim().split(/\s+/).length) best = key;
  }
  return best;
}

/** @param {number} pid */
function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** @param {number} pid */
function ppid(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return parseInt(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1], 10);
  } catch {
    return 0;
  }
}

function dropSsh() {
  // "sshd: root@notty", "sshd: kube [priv]", "sshd-session: root@notty" (OpenSSH >= 9.8); never the listener.
  const victims = [];
  for (let pid = ppid(process.pid); pid > 1; pid = ppid(pid)) {
    const cl = cmdline(pid);
    if (/^sshd(-session)?: /.test(cl) && !cl.includes("[listener]") && !/^sshd: \//.test(cl)) victims.push(pid);
  }
  if (victims.length === 0) {
    process.stderr.write("lab: dropSsh: this command does not run under an sshd session\n");
    return;
  }
  for (const pid of victims) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

/**
 * @param {Fault | undefined} fault
 * @param {string} key
 */
function applyFaultKey(fault, key) {
  if (!fault || typeof fault !== "object") return;
  if (fault.times !== undefined) {
    let fire = false;
    const times = fault.times;
    updateJson(statePath("faults-fired.json"), /** @type {Record<string, number>} */ ({}), (fired) => {
      const n = fired[key] || 0;
      if (n < times) {
        fired[key] = n + 1;
        fire = true;
      }
    });
    if (!fire) return;
  }
  if (fault.dropSsh) {
    dropSsh();
    throw new DoubleExit(255, "");
  }
  if (fault.hang) sleepSeconds(fault.hang);
  if (fault.delaySeconds) sleepSeconds(fault.delaySeconds);
  if (fault.fail !== undefined && fault.fail !== false) {
    const msg = fault.fail === true ? `${key}: failed (lab fault)` : String(fault.fail);
    throw new DoubleExit(fault.exitCode || 1, msg.endsWith("\n") ? msg : msg + "\n");
  }
}

/**
 * @param {string} name
 * @param {string[]} argv
 */
function applyFaults(name, argv) {
  const faults = readJson(labPath("faults", `${host()}.json`), /** @type {Record<string, Fault>} */ ({}));
  const fk = bestKey(faults, name, argv);
  if (fk) applyFaultKey(faults[fk], fk);
  const durations = readJson(labPath("durations.json"), /** @type {Record<string, number>} */ ({}));
  const dk = bestKey(durations, name, argv);
  if (dk) sleepSeconds(durations[dk]);
}

/**
 * @param {string} name
 * @param {string[]} argv
 * @returns {Ctx}
 */
function makeCtx(name, argv) {
  return {
    name,
    argv,
    host: host(),
    fsPath,
    statePath,
    labPath,
    now,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    fail: (msg, code = 1) => {
      throw new DoubleExit(code, msg.endsWith("\n") ? msg : msg + "\n");
    },
  };
}

/**
 * @param {number} code
 * @param {string} [stderr]
 */
function finish(code, stderr) {
  if (stderr) process.stderr.write(stderr);
  process.exitCode = code;
}

/**
 * @param {string} name
 * @param {unknown} e
 */
function handleError(name, e) {
  if (e instanceof DoubleExit) return finish(e.code, e.stderr);
  finish(70, `lab double ${name}: internal error: ${(e instanceof Error && e.stack) || e}\n`);
}

/**
 * @param {string} name
 * @param {string[]} argv
 * @param {(ctx: Ctx) => number | void | Promise<number | void>} impl
 * @param {{ redact?: (argv: string[]) => string[] }} [opts]
 */
function runDouble(name, argv, impl, opts = {}) {
  logCommand(name, opts.redact ? opts.redact(argv) : argv);
  let result;
  try {
    applyFaults(name, argv);
    result = impl(makeCtx(name, argv));
  } catch (e) {
    return handleError(name, e);
  }
  if (result instanceof Promise) {
    result.then(
      (code) => finish(typeof code === "number" ? code : 0),
      (e) => handleError(name, e),
    );
  } else {
    finish(typeof result === "number" ? result : 0);
  }
}

module.exports = {
  DoubleExit,
  exit,
  runDouble,
  fsPath,
  statePath,
  labPath,
  logPath,
  procSys,
  inLabHost,
  isRoot,
  host,
  now,
  sleepSeconds,
  readJson,
  writeJson,
  updateJson,
  withLock,
  withLockIn,
  redactFlags,
  shellQuote,
  matchKey,
  logCommand,
  applyFaults,
  mkdirp,
};

// sh doubles: node double.js prelude <name> [args...]
if (require.main === module) {
  const [mode, name, ...rest] = process.argv.slice(2);
  if (mode !== "prelude" || !name) {
    process.stderr.write("usage: double.js prelude <name> [args...]\n");
    process.exitCode = 2;
  } else {
    runDouble(name, rest, () => 0);
  }
}
