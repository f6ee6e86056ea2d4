"use strict";
// modprobe / lsmod doubles. Module state: $LAB_STATE/modules.json { "loaded": ["overlay", ...] }.
// Never touches the machine's kernel. Known modules are those a Kubernetes node prepares (and their deps).
const os = require("os");
const lab = require("./double.js");

/** @typedef {import("./double.js").Ctx} Ctx */
/** @typedef {{ loaded: string[] }} ModulesState */

/** @type {Record<string, { size: number, deps: string[] }>} */
const KNOWN = {
  overlay: { size: 212992, deps: [] },
  br_netfilter: { size: 32768, deps: ["bridge"] },
  bridge: { size: 421888, deps: ["stp", "llc"] },
  stp: { size: 12288, deps: ["llc"] },
  llc: { size: 16384, deps: [] },
  ip_vs: { size: 229376, deps: ["nf_conntrack", "nf_defrag_ipv6", "libcrc32c"] },
  ip_vs_rr: { size: 12288, deps: ["ip_vs"] },
  ip_vs_wrr: { size: 12288, deps: ["ip_vs"] },
  ip_vs_sh: { size: 12288, deps: ["ip_vs"] },
  nf_conntrack: { size: 196608, deps: ["nf_defrag_ipv6", "nf_defrag_ipv4", "libcrc32c"] },
  nf_defrag_ipv6: { size: 24576, deps: [] },
  nf_defrag_ipv4: { size: 12288, deps: [] },
  libcrc32c: { size: 12288, deps: [] },
  ip_tables: { size: 32768, deps: [] },
  iptable_nat: { size: 12288, deps: ["ip_tables", "nf_nat"] },
  iptable_filter: { size: 12288, deps: ["ip_tables"] },
  nf_nat: { size: 61440, deps: ["nf_conntrack"] },
  xt_conntrack: { size: 12288, deps: ["nf_conntrack"] },
  vxlan: { size: 155648, deps: ["ip6_udp_tunnel", "udp_tunnel"] },
  ip6_udp_tunnel: { size: 16384, deps: [] },
  udp_tunnel: { size: 32768, deps: [] },
  rbd: { size: 126976, deps: ["libceph"] },
  libceph: { size: 585728, deps: ["libcrc32c"] },
  nbd: { size: 65536, deps: [] },
  dm_crypt: { size: 65536, deps: [] },
};

const FILE = () => lab.statePath("modules.json");

/** @param {string} name */
function canonical(name) {
  return name.replace(/-/g, "_");
}

/** @returns {string[]} */
function loaded() {
  return lab.readJson(FILE(), /** @type {ModulesState} */ ({ loaded: [] })).loaded || [];
}

/** @param {string} name */
function isLoaded(name) {
  return loaded().includes(canonical(name));
}

/**
 * @param {string} name
 * @param {string[]} [acc]
 */
function closure(name, acc = []) {
  for (const d of KNOWN[name].deps) closure(d, acc);
  if (!acc.includes(name)) acc.push(name);
  return acc;
}

/** @param {string} name */
function load(name) {
  const n = canonical(name);
  if (!KNOWN[n]) return false;
  lab.updateJson(FILE(), /** @type {ModulesState} */ ({ loaded: [] }), (st) => {
    for (const m of closure(n)) if (!st.loaded.includes(m)) st.loaded.push(m);
  });
  return true;
}

/**
 * @param {string} n
 * @param {string[]} list
 */
function users(n, list) {
  return list.filter((m) => KNOWN[m] && KNOWN[m].deps.includes(n));
}

/** @param {Ctx} ctx */
function modprobe(ctx) {
  let remove = false;
  let quiet = false;
  let dry = false;
  const names = [];
  for (const a of ctx.argv) {
    if (a === "-r" || a === "--remove") remove = true;
    else if (a === "-q" || a === "--quiet") quiet = true;
    else if (a === "-n" || a === "--dry-run") dry = true;
    else if (a === "-a" || a === "--all" || a === "-v" || a === "--verbose" || a === "-b") continue;
    else if (a.startsWith("-")) continue;
    else names.push(a);
  }
  if (!names.length) ctx.fail("modprobe: ERROR: missing parameters. See -h.", 1);
  const targets = ctx.argv.includes("-a") || ctx.argv.includes("--all") || remove ? names : names.slice(0, 1);
  for (const raw of targets) {
    const n = canonical(raw);
    if (!KNOWN[n]) {
      if (remove && !quiet) ctx.fail(`modprobe: FATAL: Module ${raw} not found.`, 1);
      if (quiet) return 1;
      ctx.fail(`modprobe: FATAL: Module ${raw} not found in directory /lib/modules/${os.release()}`, 1);
    }
    if (dry) continue;
    if (remove) {
      const cur = loaded();
      if (!cur.includes(n)) continue;
      const u = users(n, cur);
      if (u.length) ctx.fail(`modprobe: FATAL: Module ${n} is in use.`, 1);
      if (!lab.isRoot()) ctx.fail(`modprobe: ERROR: could not remove '${n}': Operation not permitted`, 1);
      lab.updateJson(FILE(), /** @type {ModulesState} */ ({ loaded: [] }), (st) => {
        st.loaded = st.loaded.filter((m) => m !== n);
      });
      continue;
    }
    if (isLoaded(n)) continue;
    if (!lab.isRoot()) ctx.fail(`modprobe: ERROR: could not insert '${n}': Operation not permitted`, 1);
    load(n);
  }
  return 0;
}

/** @param {Ctx} ctx */
function lsmod(ctx) {
  const cur = loaded();
  const rows = ["Module                  Size  Used by"];
  for (const m of cur.slice().reverse()) {
    const u = users(m, cur);
    rows.push(
      `${m.padEnd(19)} ${String(KNOWN[m] ? KNOWN[m].size : 16384).padStart(8)}  ${u.length}${u.length ? " " + u.join(",") : ""}`,
    );
  }
  ctx.out(rows.join("\n") + "\n");
  return 0;
}

module.exports = { modprobe, lsmod, isLoaded, load, loaded, KNOWN };
