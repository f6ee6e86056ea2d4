"use strict";
/*
 * firewalld double: `firewall-cmd` (the client) and `firewalld` (the daemon's start and stop, run by the host's
 * systemd from firewalld.service). Lab hosts have no D-Bus firewalld, so the daemon's runtime configuration lives in
 * $LAB_STATE/firewalld/runtime.json, tied to the network namespace it was loaded in: after a reboot (a new network
 * namespace) or `systemctl stop firewalld` it is not running until systemd starts it again.
 *
 * Permanent configuration is firewalld's own files: zones in /etc/firewalld/zones/<zone>.xml (written as firewalld's
 * zone_writer writes them, the previous file kept as <zone>.xml.old), falling back to the package's
 * /usr/lib/firewalld/zones/<zone>.xml; the default zone in /etc/firewalld/firewalld.conf (DefaultZone=).
 *
 * The runtime configuration is ENFORCED: every change is applied as real nftables rules in the host's network
 * namespace (table inet firewalld, input hook): established/related traffic, loopback and ICMP get in, then each
 * interface's zone (the default zone for the rest) accepts its services and ports; everything else is rejected with
 * icmpx admin-prohibited, as firewalld's default zone target does. Outside a lab host (tests) the ruleset is only
 * written to $LAB_STATE/firewalld/ruleset.nft.
 *
 * Exit codes and texts are firewalld 1.3's (Rocky 9): NOT_RUNNING 252 ("FirewallD is not running"; --state prints
 * "not running"), NOT_AUTHORIZED 253 for changes by a non-root user, ALREADY_ENABLED/NOT_ENABLED as warnings with
 * "success", INVALID_PORT 102, INVALID_PROTOCOL 103, INVALID_ZONE 112, queries "yes" (0) / "no" (1).
 */
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const lab = require("./double.js");

const NOT_RUNNING = 252;
const NOT_AUTHORIZED = 253;
const INVALID_PORT = 102;
const INVALID_PROTOCOL = 103;
const INVALID_SERVICE = 101;
const INVALID_ZONE = 112;
const UNKNOWN_ERROR = 254;

const ETC = "/etc/firewalld";
const USR = "/usr/lib/firewalld";

/** @typedef {import("./double.js").Ctx} Ctx */
/**
 * @typedef {{ version: string, target: string, short: string, description: string, interfaces: string[],
 *   sources: string[], services: string[], ports: string[], protocols: string[], icmpBlocks: string[],
 *   forward: boolean, masquerade: boolean }} Zone
 */
/**
 * The running configuration, $LAB_STATE/firewalld/runtime.json; it is the host's only in the network namespace it was
 * loaded in.
 * @typedef {{ netns: string | null, defaultZone: string, zones: Record<string, Zone> }} Runtime
 */

/**
 * The services firewalld ships that the lab's zones use: name -> ports.
 * @type {Record<string, [string, string][]>}
 */
const SERVICES = {
  ssh: [["22", "tcp"]],
  "dhcpv6-client": [["546", "udp"]],
  cockpit: [["9090", "tcp"]],
  http: [["80", "tcp"]],
  https: [["443", "tcp"]],
  "kube-apiserver": [["6443", "tcp"]],
  kubelet: [["10250", "tcp"]],
  etcd: [["2379-2380", "tcp"]],
};

// --- zone files ------------------------------------------------------------------------------------------------

/** @param {string} s */
function unescapeXml(s) {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/** @param {unknown} s */
function escapeXml(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** @param {string} text */
function attrs(text) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const m of text.matchAll(/([\w-]+)="([^"]*)"/g)) out[m[1]] = unescapeXml(m[2]);
  return out;
}

/** @returns {Zone} */
function emptyZone() {
  return {
    version: "",
    target: "default",
    short: "",
    description: "",
    interfaces: [],
    sources: [],
    services: [],
    ports: [],
    protocols: [],
    icmpBlocks: [],
    forward: false,
    masquerade: false,
  };
}

/**
 * A zone file's content: the elements the lab's zones use (rich rules, forward-ports and the like are not read).
 * @param {string} text
 */
function parseZone(text) {
  const zone = emptyZone();
  const open = /<zone\b([^>]*)>/.exec(text);
  if (!open) throw new Error("not a zone file");
  const za = attrs(open[1]);
  if (za.version) zone.version = za.version;
  if (za.target) zone.target = za.target;
  const short = /<short>([\s\S]*?)<\/short>/.exec(text);
  if (short) zone.short = unescapeXml(short[1]);
  const description = /<description>([\s\S]*?)<\/description>/.exec(text);
  if (description) zone.description = unescapeXml(description[1]);
  for (const m of text.matchAll(
    /<(interface|source|service|port|protocol|icmp-block|forward|masquerade)\b([^>]*?)\/>/g,
  )) {
    const a = attrs(m[2]);
    if (m[1] === "interface") zone.interfaces.push(a.name);
    else if (m[1] === "source") zone.sources.push(a.address);
    else if (m[1] === "service") zone.services.push(a.name);
    else if (m[1] === "port") zone.ports.push(`${a.port}/${a.protocol}`);
    else if (m[1] === "protocol") zone.protocols.push(a.value);
    else if (m[1] === "icmp-block") zone.icmpBlocks.push(a.name);
    else if (m[1] === "forward") zone.forward = true;
    else if (m[1] === "masquerade") zone.masquerade = true;
  }
  return zone;
}

/**
 * firewalld's zone_writer: declaration, then short, description, interfaces, sources, services, ports, ...
 * @param {string} _name
 * @param {Zone} zone
 */
function writeZoneXml(_name, zone) {
  const lines = ['<?xml version="1.0" encoding="utf-8"?>'];
  let open = "<zone";
  if (zone.version) open += ` version="${escapeXml(zone.version)}"`;
  if (zone.target && zone.target !== "default") open += ` target="${escapeXml(zone.target)}"`;
  lines.push(`${open}>`);
  if (zone.short) lines.push(`  <short>${escapeXml(zone.short)}</short>`);
  if (zone.description) lines.push(`  <description>${escapeXml(zone.description)}</description>`);
  for (const i of zone.interfaces) lines.push(`  <interface name="${escapeXml(i)}"/>`);
  for (const s of zone.sources) lines.push(`  <source address="${escapeXml(s)}"/>`);
  for (const s of zone.services) lines.push(`  <service name="${escapeXml(s)}"/>`);
  for (const p of zone.ports) {
    const [port, protocol] = p.split("/");
    lines.push(`  <port port="${escapeXml(port)}" protocol="${escapeXml(protocol)}"/>`);
  }
  for (const p of zone.protocols) lines.push(`  <protocol value="${escapeXml(p)}"/>`);
  for (const b of zone.icmpBlocks) lines.push(`  <icmp-block name="${escapeXml(b)}"/>`);
  if (zone.forward) lines.push("  <forward/>");
  if (zone.masquerade) lines.push("  <masquerade/>");
  lines.push("</zone>");
  return lines.join("\n") + "\n";
}

/** @param {string} p */
function readFile(p) {
  try {
    return fs.readFileSync(lab.fsPath(p), "utf8");
  } catch {
    return undefined;
  }
}

function zoneNames() {
  const names = new Set();
  for (const dir of [`${USR}/zones`, `${ETC}/zones`]) {
    let entries;
    try {
      entries = fs.readdirSync(lab.fsPath(dir));
    } catch {
      continue;
    }
    for (const e of entries) if (e.endsWith(".xml")) names.add(e.slice(0, -4));
  }
  return [...names].sort();
}

/**
 * The permanent configuration of a zone: /etc's file when there is one, else the package's.
 * @param {string} name
 */
function permanentZone(name) {
  const text = readFile(`${ETC}/zones/${name}.xml`) ?? readFile(`${USR}/zones/${name}.xml`);
  return text === undefined ? undefined : parseZone(text);
}

/**
 * @param {string} name
 * @param {Zone} zone
 */
function savePermanentZone(name, zone) {
  const file = lab.fsPath(`${ETC}/zones/${name}.xml`);
  lab.mkdirp(path.dirname(file));
  if (fs.existsSync(file)) fs.copyFileSync(file, `${file}.old`);
  const tmp = `${file}.lab-new-${process.pid}`;
  fs.writeFileSync(tmp, writeZoneXml(name, zone), { mode: 0o644 });
  fs.renameSync(tmp, file);
}

function permanentDefaultZone() {
  const text = readFile(`${ETC}/firewalld.conf`) ?? "";
  const m = /^DefaultZone=(\S+)\s*$/m.exec(text);
  return m ? m[1] : "public";
}

// --- runtime -----------------------------------------------------------------------------------------------------

const RUNTIME = () => lab.statePath("firewalld", "runtime.json");

function currentNetns() {
  try {
    return fs.readlinkSync("/proc/self/ns/net");
  } catch {
    return null;
  }
}

/** @returns {Runtime | null} */
function runtime() {
  const st = lab.readJson(RUNTIME(), /** @type {Runtime | null} */ (null));
  if (!st || st.netns !== currentNetns()) return null;
  return st;
}

/** The permanent configuration of every zone (each has a file, so each has a configuration). */
function permanentZones() {
  /** @type {Record<string, Zone>} */
  const zones = {};
  for (const name of zoneNames()) zones[name] = /** @type {Zone} */ (permanentZone(name));
  return zones;
}

/** @returns {Runtime} */
function loadPermanent() {
  return { netns: currentNetns(), defaultZone: permanentDefaultZone(), zones: permanentZones() };
}

/** @param {Runtime} st */
function saveRuntime(st) {
  lab.writeJson(RUNTIME(), st);
  apply(st);
}

/**
 * The nftables ruleset of a runtime configuration.
 * @param {Runtime} st
 */
function ruleset(st) {
  const chains = [];
  const jumps = [];
  /** @param {string} name */
  const zoneChain = (name) => `filter_IN_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  for (const [name, zone] of Object.entries(st.zones)) {
    for (const iface of zone.interfaces) jumps.push(`    iifname "${iface}" goto ${zoneChain(name)}`);
    const rules = [];
    rules.push("    meta l4proto { icmp, ipv6-icmp } accept");
    const ports = [];
    for (const s of zone.services) ports.push(...(SERVICES[s] || []).map(([p, proto]) => `${p}/${proto}`));
    ports.push(...zone.ports);
    for (const p of ports) {
      const [port, proto] = p.split("/");
      rules.push(`    ${proto} dport ${port} accept`);
    }
    for (const proto of zone.protocols) rules.push(`    meta l4proto ${proto} accept`);
    if (zone.target === "ACCEPT") rules.push("    accept");
    else if (zone.target === "DROP") rules.push("    drop");
    else rules.push("    reject with icmpx admin-prohibited");
    chains.push(`  chain ${zoneChain(name)} {\n${rules.join("\n")}\n  }`);
  }
  if (st.zones[st.defaultZone]) jumps.push(`    goto ${zoneChain(st.defaultZone)}`);
  return [
    "table inet firewalld",
    "delete table inet firewalld",
    "table inet firewalld {",
    "  chain filter_INPUT {",
    "    type filter hook input priority filter + 10; policy accept;",
    "    ct state { established, related } accept",
    "    ct status dnat accept",
    '    iifname "lo" accept',
    "    ct state invalid drop",
    "    jump filter_INPUT_ZONES",
    "    reject with icmpx admin-prohibited",
    "  }",
    "  chain filter_INPUT_ZONES {",
    ...jumps,
    "  }",
    ...chains,
    "}",
    "",
  ].join("\n");
}

/**
 * Applies the rules for real inside a lab host; elsewhere (tests) only writes them down.
 * @param {Runtime} st
 */
function apply(st) {
  const file = lab.statePath("firewalld", "ruleset.nft");
  lab.mkdirp(path.dirname(file));
  fs.writeFileSync(file, ruleset(st));
  if (!lab.inLabHost()) return;
  const r = spawnSync("nft", ["-f", file], { encoding: "utf8" });
  if (r.status !== 0) throw lab.exit(UNKNOWN_ERROR, `Error: COMMAND_FAILED: nft -f: ${(r.stderr || "").trim()}\n`);
}

function flush() {
  fs.rmSync(lab.statePath("firewalld", "ruleset.nft"), { force: true });
  if (!lab.inLabHost()) return;
  spawnSync("nft", ["delete", "table", "inet", "firewalld"], { encoding: "utf8" });
}

// --- the daemon --------------------------------------------------------------------------------------------------

/**
 * firewalld --lab-start | --lab-stop: what the unit's ExecStart and ExecStop run.
 * @param {Ctx} ctx
 */
function daemon(ctx) {
  if (ctx.argv.includes("--lab-stop")) {
    fs.rmSync(RUNTIME(), { force: true });
    flush();
    return 0;
  }
  if (!ctx.argv.includes("--lab-start")) ctx.fail("usage: firewalld --lab-start | --lab-stop (the lab's firewalld)", 2);
  saveRuntime(loadPermanent());
  return 0;
}

// --- firewall-cmd ------------------------------------------------------------------------------------------------

/**
 * "6443/tcp", "2379-2380/tcp": checked as firewalld checks them.
 * @param {string} value
 */
function checkPort(value) {
  const m = /^([^/]*)\/(.*)$/.exec(value);
  if (!m)
    throw lab.exit(
      INVALID_PORT,
      `Error: INVALID_PORT: bad port (most likely missing protocol), correct syntax is portid[-portid]/protocol\n`,
    );
  const [, range, proto] = m;
  const bounds = range.split("-");
  const ok =
    bounds.length <= 2 &&
    bounds.every((b) => /^\d+$/.test(b) && Number(b) >= 1 && Number(b) <= 65535) &&
    (bounds.length === 1 || Number(bounds[0]) <= Number(bounds[1]));
  if (!ok) throw lab.exit(INVALID_PORT, `Error: INVALID_PORT: ${range}\n`);
  if (!["tcp", "udp", "sctp", "dccp"].includes(proto))
    throw lab.exit(INVALID_PROTOCOL, `Error: INVALID_PROTOCOL: '${proto}' not in {'tcp'|'udp'|'sctp'|'dccp'}\n`);
  return `${range}/${proto}`;
}

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {{ permanent: boolean, quiet: boolean, zone: string | undefined, actions: [string, string][] }} */
  const opts = { permanent: false, quiet: false, zone: undefined, actions: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    let value = eq > 0 ? arg.slice(eq + 1) : undefined;
    const needsValue = [
      "--zone",
      "--add-port",
      "--remove-port",
      "--query-port",
      "--add-service",
      "--remove-service",
      "--query-service",
      "--get-zone-of-interface",
      "--add-interface",
      "--change-interface",
      "--remove-interface",
    ];
    if (needsValue.includes(flag) && value === undefined) {
      value = argv[++i];
      if (value === undefined) throw lab.exit(2, `firewall-cmd: error: argument ${flag}: expected one argument\n`);
    }
    if (flag === "--permanent") opts.permanent = true;
    else if (flag === "-q" || flag === "--quiet") opts.quiet = true;
    else if (flag === "--zone") opts.zone = value;
    // Only the flags that need a value read it.
    else if (flag.startsWith("--")) opts.actions.push([flag, value ?? ""]);
    else throw lab.exit(2, `firewall-cmd: error: unrecognized arguments: ${arg}\n`);
  }
  return opts;
}

const CHANGES = [
  "--add-port",
  "--remove-port",
  "--add-service",
  "--remove-service",
  "--add-interface",
  "--change-interface",
  "--remove-interface",
  "--reload",
  "--complete-reload",
  "--runtime-to-permanent",
];

/** @param {Ctx} ctx */
function firewallCmd(ctx) {
  const opts = parseArgs(ctx.argv);
  /** @param {string} text */
  const say = (text) => {
    if (!opts.quiet) ctx.out(text);
  };
  if (opts.actions.length === 0) ctx.fail("usage: see firewall-cmd man page\nNo option specified.", 2);
  const [first] = opts.actions[0];
  if (first === "--version") {
    say("1.3.4\n");
    return 0;
  }
  const st = runtime();
  if (first === "--state") {
    if (!st) ctx.fail("not running", NOT_RUNNING);
    say("running\n");
    return 0;
  }
  if (!st) ctx.fail("FirewallD is not running", NOT_RUNNING);
  if (opts.actions.some(([flag]) => CHANGES.includes(flag)) && !lab.isRoot())
    ctx.fail(
      "Authorization failed.\n    Make sure polkit agent is running or run the application as superuser.",
      NOT_AUTHORIZED,
    );

  if (first === "--reload" || first === "--complete-reload") {
    saveRuntime({ ...loadPermanent(), zones: keepInterfaces(loadPermanent().zones, st.zones) });
    say("success\n");
    return 0;
  }
  if (first === "--runtime-to-permanent") {
    for (const [name, zone] of Object.entries(st.zones)) {
      const perm = permanentZone(name);
      if (JSON.stringify(strip(perm)) !== JSON.stringify(strip(zone))) savePermanentZone(name, zone);
    }
    say("success\n");
    return 0;
  }
  if (first === "--get-default-zone") {
    say(`${opts.permanent ? permanentDefaultZone() : st.defaultZone}\n`);
    return 0;
  }
  if (first === "--get-zones") {
    say(`${(opts.permanent ? zoneNames() : Object.keys(st.zones).sort()).join(" ")}\n`);
    return 0;
  }
  if (first === "--get-zone-of-interface") {
    const iface = opts.actions[0][1];
    const zones = opts.permanent ? permanentZones() : st.zones;
    const found = Object.entries(zones).find(([, zone]) => zone.interfaces.includes(iface));
    if (!found) ctx.fail("no zone", 2);
    say(`${found[0]}\n`);
    return 0;
  }
  if (first === "--get-active-zones") {
    const rows = [];
    for (const [name, zone] of Object.entries(st.zones)) {
      if (zone.interfaces.length || zone.sources.length) {
        rows.push(name);
        if (zone.interfaces.length) rows.push(`  interfaces: ${zone.interfaces.join(" ")}`);
        if (zone.sources.length) rows.push(`  sources: ${zone.sources.join(" ")}`);
      }
    }
    say(rows.length ? `${rows.join("\n")}\n` : "");
    return 0;
  }

  const zoneName = opts.zone ?? (opts.permanent ? permanentDefaultZone() : st.defaultZone);
  const zone = opts.permanent ? permanentZone(zoneName) : st.zones[zoneName];
  if (!zone) ctx.fail(`Error: INVALID_ZONE: ${zoneName}`, INVALID_ZONE);

  if (first === "--list-ports") {
    say(`${zone.ports.join(" ")}\n`);
    return 0;
  }
  if (first === "--list-services") {
    say(`${zone.services.join(" ")}\n`);
    return 0;
  }
  if (first === "--list-all") {
    const active = !opts.permanent && (zone.interfaces.length > 0 || zoneName === st.defaultZone);
    say(
      [
        `${zoneName}${active ? " (active)" : ""}`,
        `  target: ${zone.target}`,
        "  icmp-block-inversion: no",
        `  interfaces: ${zone.interfaces.join(" ")}`,
        `  sources: ${zone.sources.join(" ")}`,
        `  services: ${zone.services.join(" ")}`,
        `  ports: ${zone.ports.join(" ")}`,
        `  protocols: ${zone.protocols.join(" ")}`,
        `  forward: ${zone.forward ? "yes" : "no"}`,
        `  masquerade: ${zone.masquerade ? "yes" : "no"}`,
        "  forward-ports: ",
        "  source-ports: ",
        `  icmp-blocks: ${zone.icmpBlocks.join(" ")}`,
        "  rich rules: ",
        "",
      ].join("\n"),
    );
    return 0;
  }
  if (first === "--query-port" || first === "--query-service") {
    const value = first === "--query-port" ? checkPort(opts.actions[0][1]) : opts.actions[0][1];
    const yes = (first === "--query-port" ? zone.ports : zone.services).includes(value);
    say(yes ? "yes\n" : "no\n");
    return yes ? 0 : 1;
  }

  // Sequence options: --add-port=a --add-port=b ...; exit 0 when at least one item succeeded.
  let succeeded = 0;
  let changed = false;
  const codes = new Set();
  for (const [flag, raw] of opts.actions) {
    try {
      if (flag === "--add-port" || flag === "--remove-port") {
        const port = checkPort(raw);
        const [range, proto] = port.split("/");
        const has = zone.ports.includes(port);
        if (flag === "--add-port" && has)
          ctx.err(`Warning: ALREADY_ENABLED: '${range}:${proto}' already in '${zoneName}'\n`);
        else if (flag === "--remove-port" && !has)
          ctx.err(`Warning: NOT_ENABLED: '${range}:${proto}' not in '${zoneName}'\n`);
        else if (flag === "--add-port") zone.ports.push(port);
        else zone.ports = zone.ports.filter((p) => p !== port);
        changed ||= flag === "--add-port" ? !has : has;
      } else if (flag === "--add-service" || flag === "--remove-service") {
        if (!SERVICES[raw])
          throw lab.exit(INVALID_SERVICE, `Error: INVALID_SERVICE: '${raw}' not among existing services\n`);
        const has = zone.services.includes(raw);
        if (flag === "--add-service" && has) ctx.err(`Warning: ALREADY_ENABLED: '${raw}' already in '${zoneName}'\n`);
        else if (flag === "--remove-service" && !has) ctx.err(`Warning: NOT_ENABLED: '${raw}' not in '${zoneName}'\n`);
        else if (flag === "--add-service") zone.services.push(raw);
        else zone.services = zone.services.filter((s) => s !== raw);
        changed ||= flag === "--add-service" ? !has : has;
      } else if (flag === "--add-interface" || flag === "--change-interface" || flag === "--remove-interface") {
        const zones = opts.permanent ? permanentZones() : st.zones;
        for (const [name, other] of Object.entries(zones)) {
          if (name === zoneName || !other.interfaces.includes(raw)) continue;
          if (flag === "--add-interface")
            throw lab.exit(18, `Error: ZONE_CONFLICT: '${raw}' already bound to '${name}'\n`);
          other.interfaces = other.interfaces.filter((i) => i !== raw);
          if (opts.permanent) savePermanentZone(name, other);
        }
        if (flag === "--remove-interface") zone.interfaces = zone.interfaces.filter((i) => i !== raw);
        else if (!zone.interfaces.includes(raw)) zone.interfaces.push(raw);
        changed = true;
      } else {
        throw lab.exit(2, `firewall-cmd: error: unrecognized arguments: ${flag}\n`);
      }
      succeeded++;
    } catch (error) {
      if (!(error instanceof lab.DoubleExit)) throw error;
      if (opts.actions.length === 1) throw error;
      ctx.err(error.stderr.replace(/^Error:/, "Warning:"));
      codes.add(error.code);
    }
  }
  if (changed && opts.permanent) savePermanentZone(zoneName, zone);
  else if (changed) saveRuntime(st);
  if (succeeded === 0) return codes.size === 1 ? [...codes][0] : UNKNOWN_ERROR;
  say("success\n");
  return 0;
}

/** @param {Zone | undefined} zone */
function strip(zone) {
  return zone;
}

/**
 * A reload keeps the runtime's interface bindings that NetworkManager made (here: those in no file).
 * @param {Record<string, Zone>} permanent
 * @param {Record<string, Zone>} running
 */
function keepInterfaces(permanent, running) {
  const bound = new Set(Object.values(permanent).flatMap((z) => z.interfaces));
  for (const [name, zone] of Object.entries(running)) {
    if (!permanent[name]) continue;
    for (const i of zone.interfaces) if (!bound.has(i)) permanent[name].interfaces.push(i);
  }
  return permanent;
}

module.exports = { firewallCmd, daemon, parseZone, writeZoneXml, ruleset, runtime };
