"use strict";
/*
 * sysctl double (procps-ng). net.* keys are per network namespace, so they are written for real under
 * $LAB_PROC_SYS (/proc/sys) — but only inside a lab host (the network namespace recorded by init-host in
 * $LAB_STATE/host.json) or when LAB_PROC_SYS points at a test tree; everywhere else, and for every other key
 * (kernel.*, vm.*, fs.*: writing them would change the MACHINE), the value is only recorded in
 * $LAB_STATE/sysctl.json and read back from there. net.bridge.* exists only while br_netfilter is loaded in
 * the modprobe double's state.
 */
const fs = require("fs");
const path = require("path");
const lab = require("./double.js");
const modules = require("./modules.js");

/**
 * What sysctl writes to: a double's ctx, or init-host's sink at boot (whose fail does not stop the run).
 * @typedef {{ argv: string[], out(text: string): void, err(text: string): void, fail(msg: string, code?: number): void }} Output
 */
/** @typedef {{ quiet: boolean, values: boolean, ignore: boolean, names?: boolean }} Options */

const FILE = () => lab.statePath("sysctl.json");
/** @type {Record<string, string>} */
const BRIDGE_DEFAULTS = {
  "net.bridge.bridge-nf-call-iptables": "1",
  "net.bridge.bridge-nf-call-ip6tables": "1",
  "net.bridge.bridge-nf-call-arptables": "1",
};

function netWritable() {
  // a test tree, or a lab host's own network namespace; never the machine's
  if (process.env.LAB_PROC_SYS) return true;
  return lab.inLabHost();
}

/** @param {string} k */
function normKey(k) {
  // "net/ipv4/ip_forward" -> "net.ipv4.ip_forward" (dots inside a slash form stay, e.g. interface names)
  return k.includes("/") ? k.replace(/^\/+/, "").split("/").join(".") : k;
}

/** @param {string} key */
function realPath(key) {
  return path.join(lab.procSys(), ...key.split("."));
}

/** @param {string} key */
function shownPath(key) {
  return `/proc/sys/${key.split(".").join("/")}`;
}

class KeyError extends Error {}

function recorded() {
  return lab.readJson(FILE(), /** @type {Record<string, string>} */ ({}));
}

/** @param {string} key */
function exists(key) {
  if (key.startsWith("net.bridge."))
    return (
      modules.isLoaded("br_netfilter") &&
      (fs.existsSync(realPath(key)) || BRIDGE_DEFAULTS[key] !== undefined || recorded()[key] !== undefined)
    );
  if (recorded()[key] !== undefined) return true;
  return fs.existsSync(realPath(key));
}

/**
 * @param {string} key
 * @returns {string}
 */
function read(key) {
  if (!exists(key)) throw new KeyError(`cannot stat ${shownPath(key)}: No such file or directory`);
  if (key.startsWith("net.") && netWritable() && fs.existsSync(realPath(key))) {
    return fs.readFileSync(realPath(key), "utf8").trim();
  }
  const rec = recorded();
  if (rec[key] !== undefined) return rec[key];
  if (BRIDGE_DEFAULTS[key] !== undefined) return BRIDGE_DEFAULTS[key];
  try {
    return fs.readFileSync(realPath(key), "utf8").trim();
  } catch {
    throw new KeyError(`permission denied on key "${key}"`);
  }
}

/**
 * @param {string} key
 * @param {string} value
 */
function write(key, value) {
  if (!exists(key)) throw new KeyError(`cannot stat ${shownPath(key)}: No such file or directory`);
  if (!lab.isRoot()) throw new KeyError(`permission denied on key "${key}"`);
  if (key.startsWith("net.") && netWritable() && fs.existsSync(realPath(key))) {
    try {
      fs.writeFileSync(realPath(key), `${value}\n`);
      return;
    } catch (caught) {
      const e = /** @type {NodeJS.ErrnoException} */ (caught);
      if (e.code === "EINVAL") throw new KeyError(`setting key "${key}": Invalid argument`);
      if (e.code === "EACCES" || e.code === "EPERM" || e.code === "EROFS")
        throw new KeyError(`permission denied on key "${key}"`);
      throw e;
    }
  }
  lab.updateJson(FILE(), /** @type {Record<string, string>} */ ({}), (rec) => {
    rec[key] = value;
  });
}

/**
 * @param {Output} ctx
 * @param {string} file
 * @param {Options} opts
 * @param {string} [real]
 */
function applyFile(ctx, file, opts, real) {
  let text;
  try {
    text = fs.readFileSync(real || lab.fsPath(file), "utf8");
  } catch {
    ctx.err(`sysctl: cannot open "${file}": No such file or directory\n`);
    return 255;
  }
  let rc = 0;
  for (const raw of text.split("\n")) {
    let line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    let ignore = opts.ignore;
    if (line.startsWith("-")) {
      ignore = true;
      line = line.slice(1);
    }
    const eq = line.indexOf("=");
    if (eq < 0) {
      ctx.err(`sysctl: ${file}(${text.split("\n").indexOf(raw) + 1}): invalid syntax, continuing...\n`);
      continue;
    }
    const key = normKey(line.slice(0, eq).trim());
    const value = line.slice(eq + 1).trim();
    rc |= setOne(ctx, key, value, { ...opts, ignore });
  }
  return rc;
}

/**
 * @param {Output} ctx
 * @param {string} key
 * @param {string} value
 * @param {Options} opts
 */
function setOne(ctx, key, value, opts) {
  try {
    write(key, value);
    if (!opts.quiet) ctx.out(opts.values ? `${value}\n` : `${key} = ${value}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof KeyError)) throw e;
    if (opts.ignore && e.message.startsWith("cannot stat")) return 0;
    ctx.err(`sysctl: ${e.message}\n`);
    return 255;
  }
}

function systemFiles() {
  const dirs = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"];
  const byName = new Map();
  for (const d of dirs) {
    let names;
    try {
      names = fs.readdirSync(lab.fsPath(d));
    } catch {
      continue;
    }
    for (const n of names) if (n.endsWith(".conf") && !byName.has(n)) byName.set(n, `${d}/${n}`);
  }
  const files = [...byName.keys()].sort().map((n) => byName.get(n));
  if (fs.existsSync(lab.fsPath("/etc/sysctl.conf"))) files.push("/etc/sysctl.conf");
  return files;
}

/** @param {Output} ctx */
function main(ctx) {
  /** @type {Options} */
  const opts = { quiet: false, values: false, ignore: false };
  const args = [];
  let mode = "rw";
  let loadFile = null;
  const argv = ctx.argv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-n" || a === "--values") opts.values = true;
    else if (a === "-N" || a === "--names") opts.names = true;
    else if (a === "-q" || a === "--quiet") opts.quiet = true;
    else if (a === "-e" || a === "--ignore") opts.ignore = true;
    else if (a === "-w" || a === "--write") mode = "w";
    else if (a === "--system") mode = "system";
    else if (a === "-a" || a === "-A" || a === "-X" || a === "--all") mode = "all";
    else if (a === "-p" || a === "--load") {
      mode = "load";
      if (argv[i + 1] && !argv[i + 1].startsWith("-")) loadFile = argv[++i];
    } else if (a.startsWith("--load=")) {
      mode = "load";
      loadFile = a.slice(7);
    } else if (a.startsWith("-p") && a.length > 2) {
      mode = "load";
      loadFile = a.slice(2);
    } else if (/^-[nqewN]+$/.test(a)) {
      for (const c of a.slice(1)) {
        if (c === "n") opts.values = true;
        if (c === "q") opts.quiet = true;
        if (c === "e") opts.ignore = true;
        if (c === "w") mode = "w";
        if (c === "N") opts.names = true;
      }
    } else args.push(a);
  }
  if (mode === "system") {
    let rc = 0;
    for (const f of systemFiles()) {
      if (!opts.quiet) ctx.out(`* Applying ${f} ...\n`);
      rc |= applyFile(ctx, f, opts);
    }
    return rc ? 255 : 0;
  }
  if (mode === "load") {
    const files = loadFile ? [loadFile, ...args] : ["/etc/sysctl.conf"];
    let rc = 0;
    for (const f of files) rc |= applyFile(ctx, f, opts);
    return rc ? 255 : 0;
  }
  if (mode === "all") {
    const rec = recorded();
    const keys = Object.keys(rec).sort();
    ctx.out(keys.map((k) => (opts.values ? rec[k] : `${k} = ${rec[k]}`)).join("\n") + (keys.length ? "\n" : ""));
    return 0;
  }
  if (!args.length) {
    ctx.fail(
      "\nUsage:\n sysctl [options] [variable[=value] ...]\n\nOptions:\n  -a, --all            display all variables\n  -w, --write          enable writing a value to variable\n  -p, --load[=<file>]  read values from file\n      --system         read values from all system directories\n\nFor more details see sysctl(8).",
      255,
    );
  }
  let rc = 0;
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq >= 0) {
      rc |= setOne(ctx, normKey(a.slice(0, eq).trim()), a.slice(eq + 1).trim(), opts);
      continue;
    }
    if (mode === "w") {
      ctx.err(`sysctl: "${a}" must be of the form name=value\n`);
      rc = 255;
      continue;
    }
    const key = normKey(a);
    try {
      const v = read(key);
      ctx.out(opts.values ? `${v}\n` : opts.names ? `${key}\n` : `${key} = ${v}\n`);
    } catch (e) {
      if (!(e instanceof KeyError)) throw e;
      if (!opts.ignore) {
        ctx.err(`sysctl: ${e.message}\n`);
        rc = 255;
      }
    }
  }
  return rc ? 255 : 0;
}

module.exports = { main, read, write };
