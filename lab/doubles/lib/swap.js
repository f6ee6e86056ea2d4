"use strict";
// swapon / swapoff doubles. State: $LAB_STATE/swap.json { "devices": { name: { type, size, used, kib } },
// "active": [{ name, type, size, used, kib, prio }] }: the devices the host has (set by init-host; no real file or
// partition backs them) and those on. `swapon -a` activates the swap lines of /etc/fstab that are not commented out
// and whose device the host has. A device turned on without a priority (-p, fstab's pri=) gets the kernel's
// automatic one: one below the lowest automatic one in use, from -2.
const fs = require("fs");
const lab = require("./double.js");

/** @typedef {import("./double.js").Ctx} Ctx */
/** @typedef {{ type: string, size: string, used: string, kib: number }} Device */
/** @typedef {Device & { name: string, prio: number }} Active */
/** @typedef {{ devices: Record<string, Device>, active: Active[] }} SwapState */

const FILE = () => lab.statePath("swap.json");

/** @returns {SwapState} */
function read() {
  const st = lab.readJson(FILE(), /** @type {Partial<SwapState>} */ ({}));
  st.active = st.active || [];
  st.devices = st.devices || {};
  return /** @type {SwapState} */ (st);
}

/** The swap lines of /etc/fstab swapon -a and systemd act on: [{ name, priority (pri=, or undefined) }]. */
function fstabEntries() {
  let text;
  try {
    text = fs.readFileSync(lab.fsPath("/etc/fstab"), "utf8");
  } catch {
    return [];
  }
  const out = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const f = line.split(/\s+/);
    const options = (f[3] || "").split(",");
    if (f.length < 3 || f[2] !== "swap" || options.includes("noauto")) continue;
    const pri = options.map((o) => /^pri=(-?\d+)$/.exec(o)).find((m) => m !== null);
    out.push({ name: f[0], priority: pri ? Number(pri[1]) : undefined });
  }
  return out;
}

function fstabSwaps() {
  return fstabEntries().map((e) => e.name);
}

/**
 * Turns a device the host has on (state only; the caller writes it), at PRIORITY or the kernel's automatic one.
 * @param {SwapState} st
 * @param {string} name
 * @param {number} [priority]
 */
function activate(st, name, priority) {
  const automatic = st.active.map((s) => s.prio).filter((p) => p < 0);
  const prio = priority ?? (automatic.length ? Math.min(...automatic) - 1 : -2);
  st.active.push({ name, ...st.devices[name], prio });
}

/** @param {Ctx} ctx */
function swapoff(ctx) {
  const all = ctx.argv.includes("-a") || ctx.argv.includes("--all");
  const names = ctx.argv.filter((a) => !a.startsWith("-"));
  const st = read();
  if (!all && !names.length) ctx.fail("swapoff: bad usage\nTry 'swapoff --help' for more information.", 1);
  if (!lab.isRoot()) {
    if (st.active.length || names.length)
      ctx.fail(`swapoff: ${names[0] || st.active[0].name}: swapoff failed: Operation not permitted`, 4);
    return 0;
  }
  const targets = all ? st.active.map((s) => s.name) : names;
  let code = 0;
  for (const n of targets) {
    if (!st.active.some((s) => s.name === n)) {
      ctx.err(`swapoff: ${n}: swapoff failed: Invalid argument\n`);
      code = 4;
      continue;
    }
    st.active = st.active.filter((s) => s.name !== n);
  }
  lab.writeJson(FILE(), st);
  return code;
}

/** @param {Ctx} ctx */
function swapon(ctx) {
  const st = read();
  const show = ctx.argv.some((a) => a === "--show" || a.startsWith("--show=")) || ctx.argv.length === 0;
  const summary = ctx.argv.includes("-s") || ctx.argv.includes("--summary");
  if (summary) {
    const rows = ["Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority"];
    for (const s of st.active) rows.push(`${s.name.padEnd(40)}${s.type}\t\t${s.kib}\t\t0\t\t${s.prio}`);
    ctx.out(rows.join("\n") + "\n");
    return 0;
  }
  if (show) {
    if (!st.active.length) return 0;
    const noHead = ctx.argv.includes("--noheadings");
    const all = ["NAME", "TYPE", "SIZE", "USED", "PRIO"];
    // --show=NAME,PRIO picks columns, as util-linux does; an unknown one is its error.
    const picked =
      ctx.argv
        .find((a) => a.startsWith("--show="))
        ?.slice("--show=".length)
        .split(",") ?? all;
    const unknown = picked.find((c) => !all.includes(c.toUpperCase()));
    if (unknown !== undefined) ctx.fail(`swapon: unknown column: ${unknown}`, 1);
    const columns = picked.map((c) => all.indexOf(c.toUpperCase()));
    const table = [all, ...st.active.map((s) => [s.name, s.type, s.size, s.used, String(s.prio)])].map((r) =>
      columns.map((i) => r[i]),
    );
    const w = columns.map((_, i) => Math.max(...table.map((r) => r[i].length)));
    // Text columns are left-aligned (the last one unpadded), numbers right-aligned.
    const fmt = (/** @type {string[]} */ r) =>
      r
        .map((cell, i) => (columns[i] >= 2 ? cell.padStart(w[i]) : i === r.length - 1 ? cell : cell.padEnd(w[i])))
        .join(" ");
    // --raw: one space between columns, no padding (and util-linux's \x20 for a space in a name).
    const raw = (/** @type {string[]} */ r) => r.map((cell) => cell.replace(/ /g, "\\x20")).join(" ");
    const rows = (noHead ? table.slice(1) : table).map(ctx.argv.includes("--raw") ? raw : fmt);
    ctx.out(rows.join("\n") + "\n");
    return 0;
  }
  if (!lab.isRoot()) ctx.fail("swapon: cannot open /swap.img: Permission denied", 1);
  const all = ctx.argv.includes("-a") || ctx.argv.includes("--all");
  // -p N / --priority N / --priority=N / -pN: the priority the kernel gives the device (without it, its own).
  let priority;
  const operands = [];
  for (let i = 0; i < ctx.argv.length; i++) {
    const a = ctx.argv[i];
    if (a === "--") {
      operands.push(...ctx.argv.slice(i + 1));
      break;
    } else if (a === "-p" || a === "--priority") priority = ctx.argv[++i];
    else if (a.startsWith("--priority=")) priority = a.slice("--priority=".length);
    else if (/^-p./.test(a)) priority = a.slice(2);
    else if (!a.startsWith("-")) operands.push(a);
  }
  if (priority !== undefined && !/^-?\d+$/.test(priority))
    ctx.fail(`swapon: failed to parse priority: '${priority}'`, 1);
  const entries = all ? fstabEntries() : operands.map((name) => ({ name, priority: undefined }));
  let code = 0;
  for (const { name: n, priority: fstabPriority } of entries) {
    if (st.active.some((s) => s.name === n)) {
      if (!all) {
        ctx.err(`swapon: ${n}: swapon failed: Device or resource busy\n`);
        code = 1;
      }
      continue;
    }
    const dev = st.devices[n];
    if (!dev) {
      ctx.err(`swapon: cannot open ${n}: No such file or directory\n`);
      code = all ? code : 1;
      continue;
    }
    activate(st, n, priority !== undefined ? Number(priority) : fstabPriority);
  }
  lab.writeJson(FILE(), st);
  return code;
}

function active() {
  return read().active;
}

module.exports = {
  swapon,
  swapoff,
  active,
  fstabSwaps,
  fstabEntries,
  activate,
  read,
  write: (/** @type {SwapState} */ st) => lab.writeJson(FILE(), st),
};
