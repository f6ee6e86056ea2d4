"use strict";
/*
 * Package database and catalogue shared by the apt and yum families (and readable by any double:
 * e.g. kubelet --version reads its own version here).
 *
 *   db  = $LAB_STATE/packages.json
 *         { "packages": { "<name>": { "version", "arch", "files": [abs paths], "auto": bool,
 *                                      "base": bool (present from host creation, no file tree),
 *                                      "from": "<mirror url>" } },
 *           "holds": ["kubelet", ...] }
 *   catalogue = $LAB_ROOT/catalogue/<apt|yum>.json (see lab/catalogue/README.md)
 *   trees     = $LAB_ROOT/doubles/packages/<tree>/  (copied under $LAB_FS_ROOT/ on install), then, on a lab with
 *               real nodes, $LAB_ROOT/packages/<tree>/ over it: the real binaries (lab/real-packages.ts)
 */

const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const lab = require("./double.js");

/**
 * @typedef {{ version: string, arch?: string, files?: string[], auto?: boolean, base?: boolean, from?: string,
 *   status?: string, [more: string]: unknown }} InstalledPackage
 * @typedef {{ keyId: string, userId: string, fingerprint: string }} RpmKey
 * @typedef {{ packages: Record<string, InstalledPackage>, holds: string[], rpmKeys?: RpmKey[] }} PackageDb
 * @typedef {Record<string, string[]>} Versions package name → the versions a mirror offers
 * @typedef {{ url: string, key?: string, comment?: string, depends?: Record<string, string[]>,
 *   conflicts?: Record<string, string[]>, dists?: Record<string, { packages: Versions, components?: string[] }>,
 *   packages?: Versions }} Mirror
 * @typedef {{ keys?: Record<string, string>, mirrors?: Mirror[], files?: Record<string, string> }} Catalogue
 */

const DB = () => lab.statePath("packages.json");

/** @returns {PackageDb} */
function readDb() {
  const db = lab.readJson(DB(), /** @type {Partial<PackageDb>} */ ({}));
  db.packages = db.packages || {};
  db.holds = db.holds || [];
  return /** @type {PackageDb} */ (db);
}

/** @param {(db: PackageDb) => PackageDb | void} fn */
function updateDb(fn) {
  return lab.updateJson(DB(), /** @type {PackageDb} */ ({ packages: {}, holds: [] }), (db) => {
    db.packages = db.packages || {};
    db.holds = db.holds || [];
    return fn(db);
  });
}

/** @param {string} name */
function installed(name) {
  return readDb().packages[name] || null;
}

/**
 * Upstream version of an installed package: "1.35.4-1.1" -> "1.35.4", "1:2.1.4-1~ubuntu" -> "2.1.4".
 * @param {string | undefined} version
 */
function upstreamVersion(version) {
  if (!version) return null;
  let v = version.replace(/^\d+:/, "");
  const dash = v.lastIndexOf("-");
  if (dash > 0) v = v.slice(0, dash);
  return v;
}

/**
 * @param {"apt" | "yum"} family
 * @returns {Catalogue}
 */
function loadCatalogue(family) {
  const file = lab.labPath("catalogue", `${family}.json`);
  const cat = lab.readJson(file, /** @type {Catalogue | null} */ (null));
  if (!cat) throw new Error(`lab catalogue missing: ${file}`);
  return cat;
}

/** @param {string} ref */
function readKey(ref) {
  // ref "key:<name>" or a path relative to the catalogue dir
  const cats = ["apt", "yum"].map(
    (f) => lab.readJson(lab.labPath("catalogue", `${f}.json`), /** @type {Catalogue} */ ({})) || {},
  );
  /** @type {string | null | undefined} */
  let rel = ref;
  if (ref.startsWith("key:")) {
    const name = ref.slice(4);
    rel = null;
    for (const c of cats) if (c.keys && c.keys[name]) rel = c.keys[name];
    if (!rel) throw new Error(`lab catalogue: unknown key ${name}`);
  }
  return fs.readFileSync(lab.labPath("catalogue", rel));
}

/**
 * Binary OpenPGP bytes from armored or binary input (what `gpg --dearmor` yields for one block).
 * @param {Buffer} buf
 */
function dearmor(buf) {
  const text = buf.toString("latin1");
  if (!text.includes("-----BEGIN PGP")) return buf;
  const lines = text.split(/\r?\n/);
  let i = lines.findIndex((l) => l.startsWith("-----BEGIN PGP"));
  i++;
  while (i < lines.length && lines[i].trim() !== "") i++; // armor headers
  const body = [];
  for (i++; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l.startsWith("-----END") || l.startsWith("=")) break;
    body.push(l);
  }
  return Buffer.from(body.join(""), "base64");
}

/**
 * First OpenPGP packet: { tag, body } (old and new packet formats).
 * @param {Buffer} b
 */
function firstPacket(b) {
  if (!b || b.length < 3) return null;
  const h = b[0];
  let tag;
  let len;
  let off;
  if (h & 0x40) {
    tag = h & 0x3f;
    const o = b[1];
    if (o < 192) [len, off] = [o, 2];
    else if (o < 224) [len, off] = [((o - 192) << 8) + b[2] + 192, 3];
    else [len, off] = [b.readUInt32BE(2), 6];
  } else {
    tag = (h >> 2) & 0x0f;
    const lt = h & 3;
    if (lt === 0) [len, off] = [b[1], 2];
    else if (lt === 1) [len, off] = [b.readUInt16BE(1), 3];
    else [len, off] = [b.readUInt32BE(1), 5];
  }
  return { tag, body: b.subarray(off, off + len) };
}

/**
 * All OpenPGP packets: [{ tag, body }].
 * @param {Buffer} binary
 */
function packets(binary) {
  const out = [];
  let b = binary;
  while (b && b.length >= 2) {
    const p = firstPacket(b);
    if (!p) break;
    out.push(p);
    const consumed = p.body.byteOffset - b.byteOffset + p.body.length;
    if (consumed <= 0) break;
    b = b.subarray(consumed);
  }
  return out;
}

/**
 * { keyId, fingerprint, userId } of an armored/binary public key.
 * @param {Buffer} data
 */
function keyInfo(data) {
  const bin = dearmor(data);
  const all = packets(bin);
  const pk = all.find((p) => p.tag === 6);
  const uid = all.find((p) => p.tag === 13);
  if (!pk) return null;
  const len = pk.body.length;
  const fp = crypto
    .createHash("sha1")
    .update(Buffer.from([0x99, (len >> 8) & 0xff, len & 0xff]))
    .update(pk.body)
    .digest("hex")
    .toUpperCase();
  return { keyId: fp.slice(-16), fingerprint: fp, userId: uid ? uid.body.toString("utf8") : "" };
}

/**
 * Long key ID (16 hex, upper case) of the primary key (v4 fingerprint's last 8 bytes).
 * @param {Buffer} binary
 */
function keyId(binary) {
  const p = firstPacket(binary);
  if (!p || p.tag !== 6) return null;
  const len = p.body.length;
  const hdr = Buffer.from([0x99, (len >> 8) & 0xff, len & 0xff]);
  return crypto.createHash("sha1").update(hdr).update(p.body).digest("hex").toUpperCase().slice(-16);
}

/**
 * Does the keyring file (armored or binary) hold the primary key of `ref`?
 * @param {string} keyringFile
 * @param {string} ref
 */
function keyringHolds(keyringFile, ref) {
  let data;
  try {
    data = fs.readFileSync(keyringFile);
  } catch {
    return false;
  }
  const p = firstPacket(dearmor(readKey(ref)));
  return p !== null && p.body.length > 0 && dearmor(data).indexOf(p.body) >= 0;
}

/** Hosts the lab network cannot reach: $LAB_ROOT/network.json unreachable[] + registries.json blocked[]. */
function unreachableHosts() {
  const net = lab.readJson(lab.labPath("network.json"), /** @type {{ unreachable?: string[] }} */ ({})) || {};
  const reg = lab.readJson(lab.labPath("registries.json"), /** @type {{ blocked?: string[] }} */ ({})) || {};
  return new Set([...(net.unreachable || []), ...(reg.blocked || [])]);
}

/** @param {string} url */
function urlHost(url) {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

/** @param {string} url */
function isReachable(url) {
  const h = urlHost(url);
  return h !== null && !unreachableHosts().has(h);
}

/** @param {string} u */
function normUrl(u) {
  return u.replace(/\/+$/, "");
}

/**
 * Files served by the lab's mirrors (curl): url -> Buffer, from both catalogues' "files".
 * @param {string} url
 */
function servedFile(url) {
  for (const family of ["apt", "yum"]) {
    const cat = lab.readJson(lab.labPath("catalogue", `${family}.json`), /** @type {Catalogue | null} */ (null));
    if (!cat) continue;
    const files = cat.files || {};
    if (files[url] !== undefined) return readKey(files[url]);
  }
  return null;
}

/** Host names known to the catalogues (for curl's "could not resolve" vs HTTP 404). */
function knownHosts() {
  /** @type {Set<string | null>} */
  const hosts = new Set();
  for (const family of ["apt", "yum"]) {
    const cat = lab.readJson(lab.labPath("catalogue", `${family}.json`), /** @type {Catalogue | null} */ (null));
    if (!cat) continue;
    for (const u of Object.keys(cat.files || {})) hosts.add(urlHost(u));
    for (const m of cat.mirrors || []) hosts.add(urlHost(m.url.replace(/\$\w+/g, "x")));
  }
  hosts.delete(null);
  return hosts;
}

/**
 * @param {string} dir
 * @param {string} [rel]
 * @returns {string[]}
 */
function walk(dir, rel = "") {
  const out = [];
  for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, ent.name);
    if (ent.name === ".gitkeep" || ent.name === ".keep") continue;
    if (ent.isDirectory()) out.push(...walk(dir, r));
    else out.push(r);
  }
  return out;
}

/**
 * Copies the package's tree (packages/<name>/, then packages/<name>+<family>/ over it) under the fs root. Existing files under /etc that differ are kept
 * (config files are never overwritten: rpm writes <file>.rpmnew, dpkg keeps the admin's version).
 * Returns the list of absolute paths (as seen on the host) the package owns.
 * @param {string} tree
 * @param {"apt" | "yum"} family
 * @param {string} [version] the version being installed, as the catalogue names it ("1.34.4-1.1")
 */
function installTree(tree, family, version) {
  const files = [];
  // On real nodes the package's binaries are the real ones; of the double's tree only what the distribution's
  // package brings besides them (unit files, /etc) is kept, so no double stays beside a real tool.
  const real = realTree(tree, version);
  const keep = fs.existsSync(real) ? (/** @type {string} */ rel) => /^(etc|usr\/lib\/systemd)\//.test(rel) : () => true;
  for (const dir of [tree, `${tree}+${family}`])
    files.push(...copyTree(lab.labPath("doubles", "packages", dir), family, keep));
  files.push(...copyTree(real, family));
  return [...new Set(files)];
}

/**
 * The real binaries of a package at a version: packages/<name>@<upstream version>/ where the lab has that version
 * (the Kubernetes packages at the version the upgrade tests start from, lab/real-packages.ts), else packages/<name>/,
 * the pinned version's: the lab builds two Kubernetes versions, and the catalogue offers more (1.35.3, 1.30.x) so
 * that version choices and holds can be tested without a build each.
 * @param {string} tree
 * @param {string} [version]
 */
function realTree(tree, version) {
  const upstream = upstreamVersion(version);
  if (upstream) {
    const versioned = lab.labPath("packages", `${tree}@${upstream}`);
    if (fs.existsSync(versioned)) return versioned;
  }
  return lab.labPath("packages", tree);
}

/**
 * @param {string} src
 * @param {"apt" | "yum"} family
 * @param {(rel: string) => boolean} [keep]
 */
function copyTree(src, family, keep = () => true) {
  if (!fs.existsSync(src)) return [];
  const files = [];
  for (const rel of walk(src)) {
    if (!keep(rel.split(path.sep).join("/"))) continue;
    const abs = "/" + rel.split(path.sep).join("/");
    const dst = lab.fsPath(abs);
    const from = path.join(src, rel);
    const st = fs.statSync(from);
    recordCreatedDirs(path.posix.dirname(abs));
    lab.mkdirp(path.dirname(dst));
    if (abs.startsWith("/etc/") && fs.existsSync(dst)) {
      const same = fs.readFileSync(dst).equals(fs.readFileSync(from));
      if (!same && family === "yum") fs.copyFileSync(from, dst + ".rpmnew");
      files.push(abs);
      continue;
    }
    const tmp = `${dst}.lab-new-${process.pid}`;
    fs.copyFileSync(from, tmp);
    fs.chmodSync(tmp, st.mode & 0o7777);
    fs.renameSync(tmp, dst);
    files.push(abs);
  }
  return files;
}

const CREATED_DIRS = "package-dirs.json";

/**
 * Remembers the directories a package install is about to create: only those go away with packages.
 * @param {string} dir
 */
function recordCreatedDirs(dir) {
  const missing = [];
  for (let d = dir; d !== "/" && !fs.existsSync(lab.fsPath(d)); d = path.posix.dirname(d)) missing.push(d);
  if (missing.length === 0) return;
  const created = lab.readJson(lab.statePath(CREATED_DIRS), /** @type {string[]} */ ([]));
  lab.writeJson(lab.statePath(CREATED_DIRS), [...new Set([...created, ...missing])]);
}

/**
 * Deletes a package's files; keepConfig keeps those under /etc (apt remove without purge).
 * @param {string[] | undefined} files
 * @param {boolean} keepConfig
 */
function removeFiles(files, keepConfig) {
  for (const abs of files || []) {
    if (keepConfig && abs.startsWith("/etc/")) continue;
    fs.rmSync(lab.fsPath(abs), { force: true });
  }
  // Like dpkg and rpm: directories that packages brought are removed once empty (deepest first), while
  // directories the system had before (/etc/sysconfig on Rocky, /usr/bin) stay.
  const created = lab.readJson(lab.statePath(CREATED_DIRS), /** @type {string[]} */ ([]));
  const kept = [];
  for (const dir of [...created].sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(lab.fsPath(dir));
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== "ENOENT") kept.push(dir);
    }
  }
  lab.writeJson(lab.statePath(CREATED_DIRS), kept);
}

/**
 * Debian version comparison (dpkg --compare-versions semantics).
 * @param {string} a
 * @param {string} b
 */
function debCompare(a, b) {
  /**
   * @param {string} v
   * @returns {[number, string, string]}
   */
  const split = (v) => {
    let epoch = 0;
    let rest = v;
    const c = v.indexOf(":");
    if (c >= 0) {
      epoch = parseInt(v.slice(0, c), 10) || 0;
      rest = v.slice(c + 1);
    }
    const d = rest.lastIndexOf("-");
    return d >= 0 ? [epoch, rest.slice(0, d), rest.slice(d + 1)] : [epoch, rest, "0"];
  };
  /** @param {string | undefined} ch */
  const order = (ch) => {
    if (ch === "~") return -1;
    if (ch === undefined || ch === "") return 0;
    if (/[A-Za-z]/.test(ch)) return ch.charCodeAt(0);
    return ch.charCodeAt(0) + 256;
  };
  /**
   * @param {string} x
   * @param {string} y
   */
  const part = (x, y) => {
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      while ((i < x.length && !/\d/.test(x[i])) || (j < y.length && !/\d/.test(y[j]))) {
        const ox = i < x.length && !/\d/.test(x[i]) ? order(x[i]) : 0;
        const oy = j < y.length && !/\d/.test(y[j]) ? order(y[j]) : 0;
        if (ox !== oy) return ox - oy;
        if (i < x.length && !/\d/.test(x[i])) i++;
        if (j < y.length && !/\d/.test(y[j])) j++;
      }
      let nx = "";
      let ny = "";
      while (i < x.length && /\d/.test(x[i])) nx += x[i++];
      while (j < y.length && /\d/.test(y[j])) ny += y[j++];
      const diff = (parseInt(nx || "0", 10) || 0) - (parseInt(ny || "0", 10) || 0);
      if (diff !== 0) return diff;
    }
    return 0;
  };
  const [ea, ua, ra] = split(a);
  const [eb, ub, rb] = split(b);
  if (ea !== eb) return ea - eb;
  return part(ua, ub) || part(ra, rb);
}

/**
 * rpm version comparison (rpmvercmp on version then release).
 * @param {string} a
 * @param {string} b
 */
function rpmCompare(a, b) {
  /** @param {string} s */
  const seg = (s) => s.match(/[0-9]+|[A-Za-z]+|~|\^/g) || [];
  /**
   * @param {string} x
   * @param {string} y
   */
  const cmp = (x, y) => {
    const sx = seg(x);
    const sy = seg(y);
    for (let i = 0; i < Math.max(sx.length, sy.length); i++) {
      const p = sx[i];
      const q = sy[i];
      if (p === "~" || q === "~") {
        if (p !== q) return p === "~" ? -1 : 1;
        continue;
      }
      if (p === undefined) return -1;
      if (q === undefined) return 1;
      const pn = /^\d/.test(p);
      const qn = /^\d/.test(q);
      if (pn && !qn) return 1;
      if (!pn && qn) return -1;
      if (pn) {
        const d = BigInt(p) - BigInt(q);
        if (d !== 0n) return d > 0n ? 1 : -1;
      } else if (p !== q) return p < q ? -1 : 1;
    }
    return 0;
  };
  return cmp(a, b);
}

/** @param {number} bytes */
function humanSize(bytes) {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/**
 * A stable fake size for a package (bytes), so output is deterministic.
 * @param {string} name
 * @param {string} version
 */
function fakeSize(name, version) {
  const h = crypto.createHash("md5").update(`${name}=${version}`).digest();
  return 2e6 + (h.readUInt32BE(0) % 30e6);
}

/**
 * Shell-style pattern (`*`, `?`) as dpkg-query and dnf match package and repository names.
 * @param {string} pattern
 * @param {string} name
 */
function globMatch(pattern, name) {
  const re = new RegExp(
    "^" +
      pattern
        .replace(/[.+^$()|[\]\\{}]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".") +
      "$",
  );
  return re.test(name);
}

module.exports = {
  globMatch,
  readDb,
  updateDb,
  installed,
  upstreamVersion,
  loadCatalogue,
  readKey,
  dearmor,
  keyId,
  keyInfo,
  packets,
  keyringHolds,
  unreachableHosts,
  urlHost,
  isReachable,
  normUrl,
  servedFile,
  knownHosts,
  installTree,
  removeFiles,
  debCompare,
  rpmCompare,
  humanSize,
  fakeSize,
};
