"use strict";
/*
 * apt family doubles: apt-get, apt, apt-cache, apt-mark, dpkg, dpkg-query (ubuntu hosts).
 *
 * Sources: /etc/apt/sources.list, /etc/apt/sources.list.d/*.list (one-line) and *.sources (deb822), parsed
 * like apt 2.x (same "Malformed entry" / "Conflicting values set for option Signed-By" errors).
 * `apt-get update` fetches, per configured (uri, suite, component), what the catalogue's mirror offers:
 *   unknown or unreachable host   Err + "Temporary failure resolving", W: Failed to fetch, exit 0 (like apt)
 *   host known, repository not    Ign/Err 404, E: The repository '...' does not have a Release file., exit 100
 *   key not in signed-by keyring  NO_PUBKEY, E: The repository '...' is not signed., exit 100
 *   (or trusted.gpg.d when no signed-by; an armored key in a *.gpg keyring is ignored, as apt does)
 * What was fetched is kept in $LAB_STATE/apt-lists.json; `install` only sees sources that are configured now
 * AND were fetched by the last successful update of that source.
 * Installing copies $LAB_ROOT/doubles/packages/<name>/ under / and records it in $LAB_STATE/packages.json;
 * packages shipping kubelet.service / containerd.service / docker.service are enabled and started (Debian policy
 * postinst). Depends and Conflicts are the catalogue's, from every mirror (dpkg keeps an installed package's
 * relations whatever the sources say now): a conflict works both ways (installing containerd removes Docker's
 * containerd.io, and the reverse), and what depends on a removed package is removed with it (docker-ce with
 * containerd.io), as apt does.
 */

const fs = require("fs");
const path = require("path");
const lab = require("./double.js");
const pkgs = require("./packages.js");
const serviceManager = require("./service-manager.js");

/** @typedef {import("./double.js").Ctx} Ctx */
/** @typedef {import("./packages.js").Mirror} Mirror */
/** @typedef {import("./packages.js").PackageDb} PackageDb */
/**
 * A source's options ([signed-by=... arch=...] or deb822 fields); signedBy is a keyring path or an inline key.
 * @typedef {{ signedBy?: string | { inline: string }, arch?: string[], trusted?: boolean, [other: string]: unknown }}
 *   SourceOptions
 */
/** @typedef {{ type: string, uri: string, suite: string, comps: string[], opts: SourceOptions, where: string }} SourceEntry */
/** @typedef {{ entries: SourceEntry[], errors: string[], notices: string[], warnings: string[] }} Sources */
/** @typedef {{ fetched: Record<string, { at: string }> }} Lists $LAB_STATE/apt-lists.json: the indexes apt update got */
/** @typedef {{ version: string, mirror: Mirror, entry: SourceEntry }} Offer a version a configured source offers */
/**
 * @typedef {{ yes: boolean, quiet: number, allowHeld: boolean, allowDowngrades: boolean, reinstall: boolean,
 *   purge: boolean, names: string[], verb: string | null, lockTimeout: number }} InstallOptions
 */

const ARCH = "amd64";
const SILENT_IGNORE = [
  /~$/,
  /\.disabled$/,
  /\.bak$/,
  /\.dpkg-[a-z]+$/,
  /\.ucf-[a-z]+$/,
  /\.save$/,
  /\.orig$/,
  /\.distUpgrade$/,
];
/** @type {Record<string, string>} */
const UNIT_OF = {
  kubelet: "kubelet.service",
  containerd: "containerd.service",
  "containerd.io": "containerd.service",
  "docker-ce": "docker.service",
};
/** @type {Record<string, string>} */
const DESCRIPTIONS = {
  kubelet: "Node agent for Kubernetes clusters",
  kubeadm: "Command-line utility for administering a Kubernetes cluster",
  kubectl: "Command-line utility for interacting with a Kubernetes cluster",
  "cri-tools": "Command-line utility for interacting with a container runtime",
  "kubernetes-cni": "Binaries required to provision kubernetes container networking",
  containerd: "daemon to control runC",
  "containerd.io": "An open and reliable container runtime",
  runc: "Open Container Project - runtime",
  "docker-ce": "Docker: the open-source application container engine",
};

// ---------------------------------------------------------------- sources

/**
 * @param {string} text
 * @returns {SourceOptions | null}
 */
function parseOptions(text) {
  /** @type {SourceOptions} */
  const opts = {};
  for (const tok of text.trim().split(/\s+/).filter(Boolean)) {
    const eq = tok.indexOf("=");
    if (eq <= 0) return null;
    let k = tok.slice(0, eq).toLowerCase();
    let v = tok.slice(eq + 1);
    if (k.endsWith("+") || k.endsWith("-")) k = k.slice(0, -1);
    if (k === "signed-by") opts.signedBy = v;
    else if (k === "arch") opts.arch = v.split(",");
    else if (k === "trusted") opts.trusted = v === "yes";
    else opts[k] = v;
  }
  return opts;
}

/**
 * @param {string} file
 * @param {string} text
 * @param {Sources} out
 */
function readOneLine(file, text, out) {
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    let line = lines[n];
    const hash = line.indexOf("#");
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (!line) continue;
    const bad = (/** @type {string} */ what) => {
      out.errors.push(`E: Malformed entry ${lineNo} in list file ${file} (${what})`);
    };
    // A line left after trimming has a first word.
    const m = /** @type {RegExpExecArray} */ (/^(\S+)\s*(.*)$/.exec(line));
    const type = m[1];
    let rest = m[2];
    if (type !== "deb" && type !== "deb-src") {
      out.errors.push(`E: Type '${type}' is not known on line ${lineNo} in source list ${file}`);
      continue;
    }
    /** @type {SourceOptions | null} */
    let opts = {};
    if (rest.startsWith("[")) {
      const close = rest.indexOf("]");
      if (close < 0) {
        bad("[option] unparsable");
        continue;
      }
      opts = parseOptions(rest.slice(1, close));
      if (opts === null) {
        bad("[option] not assignment");
        continue;
      }
      rest = rest.slice(close + 1).trim();
    }
    const toks = rest.split(/\s+/).filter(Boolean);
    if (toks.length === 0) {
      bad("URI");
      continue;
    }
    const uri = toks[0];
    if (!/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
      bad("URI parse");
      continue;
    }
    if (toks.length < 2) {
      bad("Suite");
      continue;
    }
    const suite = toks[1];
    const comps = toks.slice(2);
    if (suite.endsWith("/") && comps.length) {
      bad("absolute Suite Component");
      continue;
    }
    if (!suite.endsWith("/") && !comps.length) {
      bad("Component");
      continue;
    }
    out.entries.push({ type, uri, suite, comps, opts, where: `${file}:${lineNo}` });
  }
}

/**
 * @param {string} file
 * @param {string} text
 * @param {Sources} out
 */
function readDeb822(file, text, out) {
  const stanzas = text.split(/\n\s*\n/);
  let idx = 0;
  for (const st of stanzas) {
    /** @type {Record<string, string>} */
    const fields = {};
    /** @type {string | null} */
    let lastKey = null;
    for (const raw of st.split("\n")) {
      if (raw.startsWith("#")) continue;
      if (/^\s/.test(raw) && lastKey) {
        fields[lastKey] += "\n" + raw.trim();
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw);
      if (m) {
        lastKey = m[1].toLowerCase();
        fields[lastKey] = m[2];
      }
    }
    if (Object.keys(fields).length === 0) continue;
    idx++;
    const bad = (/** @type {string} */ what) =>
      out.errors.push(`E: Malformed stanza ${idx} in source list ${file} (${what})`);
    if ((fields.enabled || "").toLowerCase() === "no") continue;
    if (!fields.types) {
      bad("type");
      continue;
    }
    if (!fields.uris) {
      bad("URI");
      continue;
    }
    if (!fields.suites) {
      bad("Suite");
      continue;
    }
    const suites = fields.suites.split(/\s+/).filter(Boolean);
    const comps = (fields.components || "").split(/\s+/).filter(Boolean);
    if (suites.some((s) => s.endsWith("/")) && comps.length) {
      bad("absolute Suite Component");
      continue;
    }
    if (suites.some((s) => !s.endsWith("/")) && !comps.length) {
      bad("Component");
      continue;
    }
    /** @type {SourceOptions} */
    const opts = {};
    if (fields["signed-by"])
      opts.signedBy = fields["signed-by"].includes("BEGIN PGP")
        ? { inline: fields["signed-by"] }
        : fields["signed-by"].trim();
    if (fields.architectures) opts.arch = fields.architectures.split(/\s+/);
    if (fields.trusted) opts.trusted = fields.trusted === "yes";
    for (const type of fields.types.split(/\s+/).filter(Boolean)) {
      if (type !== "deb" && type !== "deb-src") {
        out.errors.push(`E: Type '${type}' is not known on stanza ${idx} in source list ${file}`);
        continue;
      }
      for (const uri of fields.uris.split(/\s+/).filter(Boolean)) {
        for (const suite of suites) out.entries.push({ type, uri, suite, comps, opts, where: `${file}:${idx}` });
      }
    }
  }
}

/** @returns {Sources} */
function readSources() {
  /** @type {Sources} */
  const out = { entries: [], errors: [], notices: [], warnings: [] };
  const main = "/etc/apt/sources.list";
  if (fs.existsSync(lab.fsPath(main))) readOneLine(main, fs.readFileSync(lab.fsPath(main), "utf8"), out);
  const dir = "/etc/apt/sources.list.d";
  /** @type {string[]} */
  let names = [];
  try {
    names = fs.readdirSync(lab.fsPath(dir)).sort();
  } catch {
    /* none */
  }
  for (const name of names) {
    const file = `${dir}/${name}`;
    const real = lab.fsPath(file);
    if (!fs.statSync(real).isFile()) continue;
    if (name.endsWith(".list")) readOneLine(file, fs.readFileSync(real, "utf8"), out);
    else if (name.endsWith(".sources")) readDeb822(file, fs.readFileSync(real, "utf8"), out);
    else if (!SILENT_IGNORE.some((r) => r.test(name))) {
      out.notices.push(`N: Ignoring file '${name}' in directory '${dir}/' as it has an invalid filename extension`);
    }
  }
  out.entries = out.entries.filter((e) => e.type === "deb");
  // conflicting Signed-By for one source; duplicate targets
  /** @type {Map<string, string>} */
  const seen = new Map();
  /** @type {Map<string, string>} */
  const targets = new Map();
  for (const e of out.entries) {
    const id = `${normUri(e.uri)} ${e.suite}`;
    const sb = typeof e.opts.signedBy === "string" ? e.opts.signedBy : e.opts.signedBy ? "<inline>" : "";
    if (seen.has(id) && seen.get(id) !== sb) {
      out.errors.push(
        `E: Conflicting values set for option Signed-By regarding source ${normUri(e.uri)} ${e.suite}: ${seen.get(id)} != ${sb}`,
      );
    } else seen.set(id, sb);
    for (const c of e.comps.length ? e.comps : [""]) {
      const t = `${id}|${c}`;
      if (targets.has(t)) {
        const what = c ? `${c}/binary-${ARCH}/Packages` : "Packages";
        out.warnings.push(
          `W: Target Packages (${what}) is configured multiple times in ${targets.get(t)} and ${e.where}`,
        );
      } else targets.set(t, e.where);
    }
  }
  if (out.errors.length) out.errors.push("E: The list of sources could not be read.");
  return out;
}

/** @param {string} u */
function normUri(u) {
  return u.endsWith("/") ? u : `${u}/`;
}

/**
 * @param {SourceEntry} e
 * @param {string} file
 */
function label(e, file) {
  const base = normUri(e.uri).replace(/\/$/, "");
  return e.suite.endsWith("/") ? `${base} ${e.suite === "/" ? "" : e.suite} ${file}` : `${base} ${e.suite} ${file}`;
}

/**
 * "https://x/deb  Packages" (flat) or "http://x/ubuntu noble-updates/main amd64 Packages".
 * @param {SourceEntry} e
 */
function indexLabel(e) {
  return e.suite.endsWith("/")
    ? label(e, "Packages")
    : `${normUri(e.uri).replace(/\/$/, "")} ${e.suite}/${e.comps[0]} ${ARCH} Packages`;
}

/**
 * @param {SourceEntry} e
 * @param {string} file
 */
function fetchUrl(e, file) {
  return e.suite.endsWith("/")
    ? `${normUri(e.uri)}${e.suite === "/" ? "" : e.suite}${file}`
    : `${normUri(e.uri)}dists/${e.suite}/${file}`;
}

/**
 * @param {import("./packages.js").Catalogue} cat
 * @param {SourceEntry} e
 */
function findMirror(cat, e) {
  const m = (cat.mirrors || []).find((x) => normUri(x.url) === normUri(e.uri));
  if (!m) return { mirror: null, dist: null };
  return { mirror: m, dist: (m.dists || {})[e.suite] || null };
}

/**
 * @param {SourceEntry} e
 * @param {string} comp
 */
function fetchedKey(e, comp) {
  return `${normUri(e.uri)}|${e.suite}|${comp}`;
}

function keyringFiles() {
  const files = [];
  const tg = "/etc/apt/trusted.gpg";
  if (fs.existsSync(lab.fsPath(tg))) files.push(tg);
  const dir = "/etc/apt/trusted.gpg.d";
  try {
    for (const f of fs.readdirSync(lab.fsPath(dir)).sort()) if (/\.(gpg|asc)$/.test(f)) files.push(`${dir}/${f}`);
  } catch {
    /* none */
  }
  return files;
}

/**
 * null when the repository's key is trusted; else { warnings[] } explaining why not.
 * @param {SourceEntry} e
 * @param {Mirror} mirror
 */
function verify(e, mirror) {
  if (e.opts.trusted) return null;
  /** @type {string[]} */
  const warnings = [];
  let files;
  if (typeof e.opts.signedBy === "string") files = e.opts.signedBy.split(/[\s,]+/).filter(Boolean);
  else if (e.opts.signedBy && e.opts.signedBy.inline) {
    const want = pkgs.dearmor(pkgs.readKey(`key:${mirror.key}`));
    return pkgs.dearmor(Buffer.from(e.opts.signedBy.inline)).indexOf(want.subarray(2, 40)) >= 0 ? null : { warnings };
  } else files = keyringFiles();
  for (const f of files) {
    const real = lab.fsPath(f);
    if (!fs.existsSync(real)) continue;
    const data = fs.readFileSync(real);
    if (f.endsWith(".gpg") && data.toString("latin1").includes("-----BEGIN PGP")) {
      warnings.push(
        `W: ${label(e, "InRelease").replace(/ InRelease$/, "")}: The key(s) in the keyring ${f} are ignored as the file has an unsupported filetype.`,
      );
      continue;
    }
    if (pkgs.keyringHolds(real, `key:${mirror.key}`)) return null;
  }
  return { warnings };
}

// ---------------------------------------------------------------- update

/** @param {string} s */
function fakeBytes(s) {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return 1000 + (h % 120000);
}

/** @param {number} n */
function commas(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * @param {Ctx} ctx
 * @param {number} quiet
 */
function update(ctx, quiet) {
  if (!lab.isRoot()) {
    ctx.out("Reading package lists...\n");
    ctx.fail(
      "E: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)\nE: Unable to lock directory /var/lib/apt/lists/",
      100,
    );
  }
  const src = readSources();
  if (src.errors.length) ctx.fail([...src.notices, ...src.errors].join("\n"), 100);
  const cat = pkgs.loadCatalogue("apt");
  const listsFile = lab.statePath("apt-lists.json");
  const lists = lab.readJson(listsFile, /** @type {Lists} */ ({ fetched: {} }));
  const out = [];
  const tailW = [...src.notices, ...src.warnings];
  const tailE = [];
  let n = 0;
  let got = 0;
  const done = new Set();
  for (const e of src.entries) {
    if (e.opts.arch && !e.opts.arch.includes(ARCH)) continue;
    const id = `${normUri(e.uri)} ${e.suite}`;
    if (done.has(id)) continue;
    done.add(id);
    const comps = [
      ...new Set(
        src.entries
          .filter((x) => `${normUri(x.uri)} ${x.suite}` === id)
          .flatMap((x) => (x.comps.length ? x.comps : [""])),
      ),
    ];
    n++;
    const host = pkgs.urlHost(e.uri);
    const { mirror, dist } = findMirror(cat, e);
    const known = pkgs.knownHosts().has(host);
    if (!known || !pkgs.isReachable(e.uri)) {
      out.push(`Err:${n} ${label(e, "InRelease")}`, `  Temporary failure resolving '${host}'`);
      tailW.push(`W: Failed to fetch ${fetchUrl(e, "InRelease")}  Temporary failure resolving '${host}'`);
      tailW.push("W: Some index files failed to download. They have been ignored, or old ones used instead.");
      continue;
    }
    if (!mirror || !dist) {
      out.push(`Ign:${n} ${label(e, "InRelease")}`);
      n++;
      out.push(`Err:${n} ${label(e, "Release")}`, "  404  Not Found [IP: 198.51.100.7 443]");
      tailE.push(
        `E: The repository '${label(e, "Release")}' does not have a Release file.`,
        "N: Updating from such a repository can't be done securely, and is therefore disabled by default.",
        "N: See apt-secure(8) manpage for repository creation and user configuration details.",
      );
      for (const c of comps) delete lists.fetched[fetchedKey(e, c)];
      continue;
    }
    const bad = verify(e, mirror);
    if (bad) {
      const kid = pkgs.keyId(pkgs.dearmor(pkgs.readKey(`key:${mirror.key}`)));
      const why = `The following signatures couldn't be verified because the public key is not available: NO_PUBKEY ${kid}`;
      out.push(
        `Get:${n} ${label(e, "InRelease")} [${commas(fakeBytes(id))} B]`,
        `Err:${n} ${label(e, "InRelease")}`,
        `  ${why}`,
      );
      tailW.push(...bad.warnings, `W: GPG error: ${label(e, "InRelease")}: ${why}`);
      tailE.push(
        `E: The repository '${label(e, "InRelease")}' is not signed.`,
        "N: Updating from such a repository can't be done securely, and is therefore disabled by default.",
        "N: See apt-secure(8) manpage for repository creation and user configuration details.",
      );
      continue;
    }
    const offered = dist.components || [];
    const fresh = comps.some((c) => !lists.fetched[fetchedKey(e, c)]);
    if (fresh) {
      got += fakeBytes(id);
      out.push(`Get:${n} ${label(e, "InRelease")} [${commas(fakeBytes(id))} B]`);
    } else out.push(`Hit:${n} ${label(e, "InRelease")}`);
    for (const c of comps) {
      if (c && !offered.includes(c)) {
        tailW.push(
          `W: Skipping acquire of configured file '${c}/binary-${ARCH}/Packages' as repository '${label(e, "InRelease")}' doesn't have the component '${c}' (component misspelt in sources.list?)`,
        );
        continue;
      }
      if (!lists.fetched[fetchedKey(e, c)]) {
        n++;
        const sz = fakeBytes(id + c) * 3;
        got += sz;
        out.push(
          `Get:${n} ${e.suite.endsWith("/") ? label(e, "Packages") : `${normUri(e.uri).replace(/\/$/, "")} ${e.suite}/${c} ${ARCH} Packages`} [${commas(sz)} B]`,
        );
      }
      lists.fetched[fetchedKey(e, c)] = { at: lab.now().toISOString() };
    }
  }
  lab.writeJson(listsFile, lists);
  if (got) out.push(`Fetched ${commas(got)} B in 1s (${commas(got)} B/s)`);
  out.push("Reading package lists...");
  if (ctx.name === "apt" && !tailE.length) out.push("All packages are up to date.");
  if (!quiet || quiet < 2) ctx.out(out.join("\n") + "\n");
  const uniqW = [...new Set(tailW)];
  if (uniqW.length || tailE.length) ctx.err([...uniqW, ...tailE].join("\n") + "\n");
  return tailE.length ? 100 : 0;
}

// ---------------------------------------------------------------- install / remove

/**
 * name -> [{ version, mirror, entry }] from the configured and fetched sources.
 * @returns {{ avail: Record<string, Offer[]>, depends: Record<string, string[]>, conflicts: Record<string, string[]>, errors: string[], warnings: string[] }}
 */
function available() {
  const src = readSources();
  const cat = pkgs.loadCatalogue("apt");
  const lists = lab.readJson(lab.statePath("apt-lists.json"), /** @type {Lists} */ ({ fetched: {} }));
  /** @type {Record<string, Offer[]>} */
  const avail = {};
  /** @type {Record<string, string[]>} */
  const depends = {};
  /** @type {Record<string, string[]>} */
  const conflicts = {};
  const seen = new Set();
  for (const e of src.entries) {
    if (e.opts.arch && !e.opts.arch.includes(ARCH)) continue;
    const { mirror, dist } = findMirror(cat, e);
    if (!mirror || !dist) continue;
    const comps = e.comps.length ? e.comps : [""];
    if (!comps.some((c) => lists.fetched[fetchedKey(e, c)])) continue;
    const id = `${normUri(e.uri)} ${e.suite}`;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const [name, versions] of Object.entries(dist.packages || {})) {
      for (const v of versions) {
        (avail[name] = avail[name] || []).push({ version: v, mirror, entry: e });
      }
    }
    Object.assign(depends, mirror.depends || {});
    Object.assign(conflicts, mirror.conflicts || {});
  }
  for (const name of Object.keys(avail)) avail[name].sort((a, b) => pkgs.debCompare(b.version, a.version));
  return { avail, depends, conflicts, errors: src.errors, warnings: src.warnings };
}

/** Depends and Conflicts of every package the catalogue knows, whichever mirror offers it. */
function relations() {
  /** @type {Record<string, string[]>} */
  const depends = {};
  /** @type {Record<string, string[]>} */
  const conflicts = {};
  for (const mirror of pkgs.loadCatalogue("apt").mirrors || []) {
    for (const [name, deps] of Object.entries(mirror.depends || {}))
      depends[name] = [...new Set([...(depends[name] || []), ...deps])];
    for (const [name, others] of Object.entries(mirror.conflicts || {}))
      conflicts[name] = [...new Set([...(conflicts[name] || []), ...others])];
  }
  /**
   * @param {string} a
   * @param {string} b
   */
  const conflict = (a, b) => (conflicts[a] || []).includes(b) || (conflicts[b] || []).includes(a);
  return { depends, conflict };
}

/**
 * `removing` with every installed package that depends on one of them (not those `staying` in a plan), dependents
 * first: the order dpkg removes them in.
 * @param {PackageDb} db
 * @param {string[]} removing
 * @param {Set<string>} [staying]
 */
function withDependents(db, removing, staying = new Set()) {
  const { depends } = relations();
  const all = [...removing];
  for (let grew = true; grew;) {
    grew = false;
    for (const [name, p] of Object.entries(db.packages)) {
      if (p.status === "config-files" || all.includes(name) || staying.has(name)) continue;
      if ((depends[name] || []).some((dep) => all.includes(dep))) {
        all.push(name);
        grew = true;
      }
    }
  }
  return all.reverse();
}

/**
 * @param {string[]} argv
 * @returns {InstallOptions}
 */
function parseInstallArgs(argv) {
  /** @type {InstallOptions} */
  const o = {
    yes: false,
    quiet: 0,
    allowHeld: false,
    allowDowngrades: false,
    reinstall: false,
    purge: false,
    names: [],
    verb: null,
    lockTimeout: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-y" || a === "--yes" || a === "--assume-yes") o.yes = true;
    else if (a === "-q" || a === "--quiet") o.quiet++;
    else if (a === "-qq") o.quiet += 2;
    else if (/^-q=?\d$/.test(a) || /^--quiet=\d$/.test(a)) o.quiet = Number(a.slice(-1));
    else if (a === "-yq" || a === "-qy") {
      o.yes = true;
      o.quiet++;
    } else if (a === "--allow-change-held-packages") o.allowHeld = true;
    else if (a === "--allow-downgrades") o.allowDowngrades = true;
    else if (a === "--reinstall") o.reinstall = true;
    else if (a === "--purge") o.purge = true;
    else if (a === "-o" || a === "-c" || a === "-t" || a === "--target-release") {
      const v = argv[++i] || "";
      if (/^DPkg::Lock::Timeout=/i.test(v)) o.lockTimeout = Number(v.split("=")[1]);
    } else if (a.startsWith("-")) {
      /* tolerated: --no-install-recommends, --allow-unauthenticated, -f, ... */
    } else if (!o.verb) o.verb = a;
    else o.names.push(a);
  }
  return o;
}

/**
 * @param {Ctx} ctx
 * @param {InstallOptions} o
 * @param {"dpkg" | "lists"} what
 */
function lockDpkg(ctx, o, what) {
  const lock = lab.statePath("dpkg-lock-frontend.pid");
  const deadline = Date.now() + (o.lockTimeout || 0) * 1000;
  for (;;) {
    try {
      lab.mkdirp(path.dirname(lock));
      fs.writeFileSync(lock, `${process.pid} ${ctx.name}`, { flag: "wx" });
      process.on("exit", () => {
        try {
          if (fs.readFileSync(lock, "utf8").startsWith(`${process.pid} `)) fs.rmSync(lock);
        } catch {
          /* gone */
        }
      });
      return;
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EEXIST") throw e;
    }
    let holder;
    try {
      holder = fs.readFileSync(lock, "utf8");
    } catch {
      continue;
    }
    const [pid, name] = holder.split(" ");
    let live = true;
    try {
      process.kill(Number(pid), 0);
    } catch (err) {
      live = /** @type {NodeJS.ErrnoException} */ (err).code === "EPERM";
    }
    if (!live) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      const f = what === "lists" ? "/var/lib/apt/lists/lock" : "/var/lib/dpkg/lock-frontend";
      ctx.fail(
        what === "lists"
          ? `E: Could not get lock ${f}. It is held by process ${pid} (${name})\nE: Unable to lock directory /var/lib/apt/lists/`
          : `E: Could not get lock ${f}. It is held by process ${pid} (${name})\nN: Be aware that removing the lock file is not a solution and may break your system.\nE: Unable to acquire the dpkg frontend lock (${f}), is another process using it?`,
        100,
      );
    }
    lab.sleepSeconds(0.5);
  }
}

/** @param {string[]} names */
function wrap(names) {
  const lines = [];
  let cur = " ";
  for (const n of names) {
    if (cur.length + n.length + 1 > 79) {
      lines.push(cur);
      cur = " ";
    }
    cur += ` ${n}`;
  }
  lines.push(cur);
  return lines.join("\n");
}

/**
 * @param {Ctx} ctx
 * @param {string} name
 */
function postinstUnits(ctx, name) {
  const unit = UNIT_OF[name];
  if (!unit) return;
  const units = serviceManager();
  if (!units.findUnit(unit)) return;
  const msgs = units.enable(unit);
  for (const m of msgs) ctx.out(`${m}\n`);
  units.start(unit);
}

/**
 * @param {Ctx} ctx
 * @param {InstallOptions} o
 */
function install(ctx, o) {
  const pre = ["Reading package lists...", "Building dependency tree...", "Reading state information..."];
  if (!lab.isRoot()) {
    ctx.fail(
      "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?",
      100,
    );
  }
  const { avail, depends, errors, warnings } = available();
  if (errors.length) ctx.fail(errors.join("\n"), 100);
  if (warnings.length) ctx.err(warnings.join("\n") + "\n");
  lockDpkg(ctx, o, "dpkg");
  if (o.quiet < 2) ctx.out(pre.join("\n") + "\n");
  const db = pkgs.readDb();
  const errs = [];
  /** @type {Map<string, Offer & { auto: boolean }>} */
  const plan = new Map();
  const planned = (/** @type {string} */ name) => /** @type {Offer & { auto: boolean }} */ (plan.get(name));
  for (const arg of o.names) {
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const want = eq > 0 ? arg.slice(eq + 1) : null;
    const cands = avail[name] || [];
    if (!cands.length) {
      errs.push(`E: Unable to locate package ${name}`);
      continue;
    }
    const c = want ? cands.find((x) => x.version === want) : cands[0];
    if (!c) {
      errs.push(`E: Version '${want}' for '${name}' was not found`);
      continue;
    }
    plan.set(name, { ...c, auto: false });
  }
  if (errs.length) ctx.fail(errs.join("\n"), 100);
  // dependencies (only when not installed)
  const extra = [];
  const unmet = [];
  for (const [name] of [...plan]) {
    for (const dep of depends[name] || []) {
      if (plan.has(dep) || (db.packages[dep] && db.packages[dep].status !== "config-files")) continue;
      const cands = avail[dep] || [];
      if (!cands.length) {
        unmet.push(` ${name} : Depends: ${dep} but it is not installable`);
        continue;
      }
      plan.set(dep, { ...cands[0], auto: true });
      extra.push(dep);
    }
  }
  if (unmet.length) {
    ctx.out(
      "Some packages could not be installed. This may mean that you have\nrequested an impossible situation or if you are using the unstable\ndistribution that some required packages have not yet been created\nor been moved out of Incoming.\nThe following information may help to resolve the situation:\n\nThe following packages have unmet dependencies:\n" +
        unmet.join("\n") +
        "\n",
    );
    ctx.fail("E: Unable to correct problems, you have held broken packages.", 100);
  }
  const { conflict } = relations();
  const conflicting = Object.keys(db.packages).filter(
    (installed) =>
      db.packages[installed].status !== "config-files" &&
      !plan.has(installed) &&
      [...plan.keys()].some((name) => conflict(name, installed)),
  );
  const removeFor = withDependents(db, conflicting, new Set(plan.keys()));
  const fresh = [];
  const upgrades = [];
  const downgrades = [];
  const same = [];
  for (const [name, p] of plan) {
    const cur = db.packages[name];
    if (!cur || cur.status === "config-files") fresh.push(name);
    else {
      const cmp = pkgs.debCompare(p.version, cur.version);
      if (cmp > 0) upgrades.push(name);
      else if (cmp < 0) downgrades.push(name);
      else if (o.reinstall) upgrades.push(name);
      else same.push(name);
    }
  }
  const changing = [...upgrades, ...downgrades, ...removeFor];
  const heldChanged = changing.filter((n) => db.holds.includes(n)).sort();
  const lines = [];
  for (const n of same.sort()) lines.push(`${n} is already the newest version (${planned(n).version}).`);
  if (same.length && plan.get(same[0]) && same.some((n) => !planned(n).auto && db.packages[n].auto)) {
    for (const n of same) if (db.packages[n].auto) lines.push(`${n} set to manually installed.`);
  }
  if (extra.length) lines.push("The following additional packages will be installed:", wrap(extra.sort()));
  if (removeFor.length) lines.push("The following packages will be REMOVED:", wrap([...removeFor].sort()));
  if (fresh.length) lines.push("The following NEW packages will be installed:", wrap(fresh.sort()));
  if (heldChanged.length) lines.push("The following held packages will be changed:", wrap(heldChanged));
  if (upgrades.length) lines.push("The following packages will be upgraded:", wrap(upgrades.sort()));
  if (downgrades.length) lines.push("The following packages will be DOWNGRADED:", wrap(downgrades.sort()));
  const notUp = 0;
  lines.push(
    `${upgrades.length} upgraded, ${fresh.length} newly installed, ${downgrades.length ? `${downgrades.length} downgraded, ` : ""}${removeFor.length} to remove and ${notUp} not upgraded.`,
  );
  const todo = [...fresh, ...upgrades, ...downgrades];
  if (o.quiet < 2) ctx.out(lines.join("\n") + "\n");
  if (heldChanged.length && !o.allowHeld)
    ctx.fail("E: Held packages were changed and -y was used without --allow-change-held-packages.", 100);
  if (downgrades.length && !o.allowDowngrades)
    ctx.fail("E: Packages were downgraded and -y was used without --allow-downgrades.", 100);
  if (!todo.length && !removeFor.length) return 0;
  const total = todo.reduce((s, n) => s + pkgs.fakeSize(n, planned(n).version), 0);
  const head = [
    `Need to get ${pkgs.humanSize(total)} of archives.`,
    `After this operation, ${pkgs.humanSize(total * 4)} of additional disk space will be used.`,
  ];
  if (o.quiet < 2) ctx.out(head.join("\n") + "\n");
  if (!o.yes && (extra.length || removeFor.length || downgrades.length || heldChanged.length)) {
    ctx.out("Do you want to continue? [Y/n] Abort.\n");
    return 1;
  }
  const order = todo.slice().sort();
  const get = [];
  order.forEach((n, i) => {
    const p = planned(n);
    const where = indexLabel(p.entry).replace(/ Packages$/, "");
    const what = p.entry.suite.endsWith("/") ? `${n} ${p.version}` : `${n} ${ARCH} ${p.version}`;
    get.push(`Get:${i + 1} ${where} ${what} [${pkgs.humanSize(pkgs.fakeSize(n, p.version))}]`);
  });
  get.push(`Fetched ${pkgs.humanSize(total)} in 1s (${pkgs.humanSize(total)}/s)`);
  if (o.quiet < 2) ctx.out(get.join("\n") + "\n");
  const dpkgOut = [];
  for (const r of removeFor) {
    dpkgOut.push(`Removing ${r} (${db.packages[r].version}) ...`);
    removePackage(ctx, r, false);
  }
  order.forEach((n, i) => {
    const p = planned(n);
    const cur = pkgs.readDb().packages[n];
    if (!cur || cur.status === "config-files") dpkgOut.push(`Selecting previously unselected package ${n}.`);
    if (i === 0) dpkgOut.push("(Reading database ... 71234 files and directories currently installed.)");
    dpkgOut.push(`Preparing to unpack .../${i}-${n}_${p.version.replace(/^\d+:/, "")}_${ARCH}.deb ...`);
    dpkgOut.push(
      cur && cur.status !== "config-files"
        ? `Unpacking ${n} (${p.version}) over (${cur.version}) ...`
        : `Unpacking ${n} (${p.version}) ...`,
    );
    if (cur && cur.files)
      pkgs.removeFiles(
        cur.files.filter((f) => !f.startsWith("/etc/")),
        false,
      );
    const files = pkgs.installTree(n, "apt", p.version);
    pkgs.updateDb((d) => {
      const prev = d.packages[n];
      d.packages[n] = {
        version: p.version,
        arch: ARCH,
        files: [...new Set([...(prev && prev.files ? prev.files.filter((f) => f.startsWith("/etc/")) : []), ...files])],
        auto: prev && prev.status !== "config-files" ? prev.auto && p.auto : p.auto,
        from: p.mirror.url,
        status: "installed",
      };
    });
  });
  for (const n of order) {
    dpkgOut.push(`Setting up ${n} (${planned(n).version}) ...`);
  }
  if (o.quiet < 2) ctx.out(dpkgOut.join("\n") + "\n");
  for (const n of order) postinstUnits(ctx, n);
  return 0;
}

/**
 * @param {Ctx} _ctx
 * @param {string} name
 * @param {boolean} purge
 */
function removePackage(_ctx, name, purge) {
  const db = pkgs.readDb();
  const cur = db.packages[name];
  if (!cur) return;
  const unit = UNIT_OF[name];
  if (unit) {
    const units = serviceManager();
    if (units.findUnit(unit)) {
      units.stop(unit);
      units.disable(unit);
    }
  }
  pkgs.removeFiles(cur.files, !purge);
  pkgs.updateDb((d) => {
    const keep = !purge && (cur.files || []).some((f) => f.startsWith("/etc/"));
    if (keep)
      d.packages[name] = {
        ...cur,
        status: "config-files",
        files: (cur.files || []).filter((f) => f.startsWith("/etc/")),
      };
    else delete d.packages[name];
    if (!keep) d.holds = d.holds.filter((h) => h !== name);
  });
}

/**
 * @param {Ctx} ctx
 * @param {InstallOptions} o
 * @param {boolean} purge
 */
function remove(ctx, o, purge) {
  if (!lab.isRoot()) {
    ctx.fail(
      "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?",
      100,
    );
  }
  lockDpkg(ctx, o, "dpkg");
  ctx.out("Reading package lists...\nBuilding dependency tree...\nReading state information...\n");
  const db = pkgs.readDb();
  const { avail } = available();
  const todo = [];
  const lines = [];
  for (const name of o.names) {
    const cur = db.packages[name];
    if (!cur && !avail[name]) ctx.fail(`E: Unable to locate package ${name}`, 100);
    if (!cur || (cur.status === "config-files" && !purge)) {
      lines.push(`Package '${name}' is not installed, so not removed`);
      continue;
    }
    todo.push(name);
  }
  todo.splice(0, todo.length, ...withDependents(db, todo));
  if (todo.length)
    lines.push(`The following packages will be REMOVED:`, wrap(todo.map((n) => (purge ? `${n}*` : n)).sort()));
  const held = todo.filter((n) => db.holds.includes(n));
  if (held.length) lines.push("The following held packages will be changed:", wrap(held.sort()));
  lines.push(`0 upgraded, 0 newly installed, ${todo.length} to remove and 0 not upgraded.`);
  ctx.out(lines.join("\n") + "\n");
  if (held.length && !o.allowHeld)
    ctx.fail("E: Held packages were changed and -y was used without --allow-change-held-packages.", 100);
  if (!todo.length) return 0;
  if (!o.yes) {
    ctx.out("Do you want to continue? [Y/n] Abort.\n");
    return 1;
  }
  const out = ["(Reading database ... 71234 files and directories currently installed.)"];
  for (const n of todo) {
    out.push(`Removing ${n} (${db.packages[n].version}) ...`);
    removePackage(ctx, n, purge);
    if (purge) out.push(`Purging configuration files for ${n} (${db.packages[n].version}) ...`);
  }
  ctx.out(out.join("\n") + "\n");
  return 0;
}

// ---------------------------------------------------------------- entry points

/** @param {Ctx} ctx */
function aptGet(ctx) {
  const o = parseInstallArgs(ctx.argv);
  if (ctx.name === "apt" && !process.stdout.isTTY)
    ctx.err("\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\n");
  switch (o.verb) {
    case "update":
      return update(ctx, o.quiet);
    case "install":
    case "reinstall":
      if (o.verb === "reinstall") o.reinstall = true;
      if (!o.names.length) {
        ctx.out(
          "Reading package lists...\nBuilding dependency tree...\nReading state information...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n",
        );
        return 0;
      }
      return install(ctx, o);
    case "remove":
    case "purge":
      return remove(ctx, o, o.verb === "purge" || o.purge);
    case "autoremove":
    case "clean":
    case "autoclean":
      if (o.verb === "autoremove")
        ctx.out(
          "Reading package lists...\nBuilding dependency tree...\nReading state information...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n",
        );
      return 0;
    case undefined:
      ctx.fail("E: No command given", 100);
      return 100;
    default:
      ctx.fail(`E: Invalid operation ${o.verb}`, 100);
      return 100;
  }
}

/** @param {Ctx} ctx */
function aptCache(ctx) {
  const [verb, ...names] = ctx.argv.filter((a) => !a.startsWith("-"));
  const { avail } = available();
  const db = pkgs.readDb();
  if (verb === "madison") {
    const out = [];
    for (const n of names) {
      for (const c of avail[n] || []) out.push(`${n.padStart(10)} | ${c.version} | ${indexLabel(c.entry)}`);
    }
    if (out.length) ctx.out(out.join("\n") + "\n");
    return 0;
  }
  if (verb === "policy") {
    const out = [];
    for (const n of names) {
      const cands = avail[n] || [];
      const cur = db.packages[n] && db.packages[n].status !== "config-files" ? db.packages[n] : null;
      if (!cands.length && !cur) continue;
      out.push(
        `${n}:`,
        `  Installed: ${cur ? cur.version : "(none)"}`,
        `  Candidate: ${cands.length ? cands[0].version : "(none)"}`,
        "  Version table:",
      );
      const versions = [...new Set([...cands.map((c) => c.version), ...(cur ? [cur.version] : [])])].sort((a, b) =>
        pkgs.debCompare(b, a),
      );
      for (const v of versions) {
        out.push(`${cur && cur.version === v ? " *** " : "     "}${v} 500`);
        for (const c of cands.filter((x) => x.version === v)) out.push(`        500 ${indexLabel(c.entry)}`);
        if (cur && cur.version === v) out.push("        100 /var/lib/dpkg/status");
      }
    }
    if (out.length) ctx.out(out.join("\n") + "\n");
    return 0;
  }
  if (verb === "show") {
    for (const n of names) if (!avail[n]) ctx.fail(`E: No packages found`, 100);
    const out = [];
    for (const n of names) {
      for (const c of avail[n])
        out.push(
          `Package: ${n}`,
          `Version: ${c.version}`,
          `Architecture: ${ARCH}`,
          `Description: ${DESCRIPTIONS[n] || n}`,
          "",
        );
    }
    ctx.out(out.join("\n") + "\n");
    return 0;
  }
  ctx.fail(`E: Invalid operation ${verb}`, 100);
  return 100;
}

/** @param {Ctx} ctx */
function aptMark(ctx) {
  const [verb, ...names] = ctx.argv.filter((a) => !a.startsWith("-"));
  const db = pkgs.readDb();
  if (verb === "showhold") {
    const held = db.holds.slice().sort();
    if (held.length) ctx.out(held.join("\n") + "\n");
    return 0;
  }
  if (verb === "hold" || verb === "unhold") {
    if (!lab.isRoot())
      ctx.fail(
        "E: Could not create temporary file for /var/lib/apt/extended_states - mkstemp (13: Permission denied)\nE: Failed to write temporary StateFile /var/lib/apt/extended_states",
        100,
      );
    const { avail } = available();
    /** @type {string[]} */
    const out = [];
    for (const n of names) if (!db.packages[n] && !avail[n]) ctx.fail(`E: Unable to locate package ${n}`, 100);
    pkgs.updateDb((d) => {
      for (const n of names) {
        const held = d.holds.includes(n);
        if (verb === "hold") {
          if (held) out.push(`${n} was already set on hold.`);
          else {
            d.holds.push(n);
            out.push(`${n} set on hold.`);
          }
        } else if (!held) out.push(`${n} was already not on hold.`);
        else {
          d.holds = d.holds.filter((h) => h !== n);
          out.push(`Canceled hold on ${n}.`);
        }
      }
    });
    if (out.length) ctx.out(out.join("\n") + "\n");
    return 0;
  }
  if (verb === "showmanual" || verb === "showauto") {
    const list = Object.entries(db.packages)
      .filter(([, p]) => p.status !== "config-files" && !!p.auto === (verb === "showauto"))
      .map(([n]) => n)
      .sort();
    if (list.length) ctx.out(list.join("\n") + "\n");
    return 0;
  }
  if (verb === "manual" || verb === "auto") {
    pkgs.updateDb((d) => {
      for (const n of names) if (d.packages[n]) d.packages[n].auto = verb === "auto";
    });
    return 0;
  }
  ctx.fail(`E: Invalid operation ${verb}`, 100);
  return 100;
}

/**
 * @param {PackageDb} db
 * @param {string} n
 */
function statusWord(db, n) {
  const p = db.packages[n];
  if (!p) return null;
  if (p.status === "config-files") return "deinstall ok config-files";
  return `${db.holds.includes(n) ? "hold" : "install"} ok installed`;
}

/**
 * @param {PackageDb} db
 * @param {string} n
 * @param {string} field
 */
function formatField(db, n, field) {
  const p = /** @type {Partial<import("./packages.js").InstalledPackage>} */ (db.packages[n] || {});
  switch (field) {
    case "Package":
    case "binary:Package":
      return n;
    case "Version":
      return p.status === "config-files" ? "" : p.version || "";
    case "Architecture":
      return p.arch || ARCH;
    case "Status":
      return statusWord(db, n) || "unknown ok not-installed";
    case "db:Status-Abbrev":
      return p.status === "config-files" ? "rc " : db.holds.includes(n) ? "hi " : "ii ";
    case "db:Status-Status":
      return p.status === "config-files" ? "config-files" : "installed";
    case "Description":
    case "binary:Summary":
      return DESCRIPTIONS[n] || n;
    default:
      return "";
  }
}

/**
 * @param {PackageDb} db
 * @param {string} n
 * @param {string} fmt
 */
function showFormat(db, n, fmt) {
  const unescaped = fmt.replace(/\\n/g, "\n").replace(/\\t/g, "\t");
  return unescaped.replace(/\$\{([^}:;]+(?::[A-Za-z-]+)?)(?:;-?\d+)?\}/g, (_, f) => formatField(db, n, f));
}

/**
 * @param {Ctx} ctx
 * @param {string[]} argv
 */
function dpkgQuery(ctx, argv) {
  /** @type {string | null} */
  let fmt = null;
  /** @type {"W" | "s" | "l" | "L" | null} */
  let mode = null;
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-W" || a === "--show") mode = "W";
    else if (a === "-s" || a === "--status") mode = "s";
    else if (a === "-l" || a === "--list") mode = "l";
    else if (a === "-L" || a === "--listfiles") mode = "L";
    else if (a === "-f" || a === "--showformat") fmt = argv[++i];
    else if (a.startsWith("-f=") || a.startsWith("--showformat=")) fmt = a.slice(a.indexOf("=") + 1);
    else if (a.startsWith("-f") && a.length > 2) fmt = a.slice(2);
    else if (a.startsWith("-")) {
      /* ignore */
    } else names.push(a);
  }
  const db = pkgs.readDb();
  const installedNames = Object.keys(db.packages).sort();
  if (mode === "W") {
    const f = fmt === null ? "${binary:Package}\t${Version}\n" : fmt;
    const pats = names.length ? names : ["*"];
    let code = 0;
    let out = "";
    for (const p of pats) {
      const hits = installedNames.filter((n) => pkgs.globMatch(p, n));
      if (!hits.length) {
        ctx.err(`dpkg-query: no packages found matching ${p}\n`);
        code = 1;
      }
      for (const n of hits) out += showFormat(db, n, f);
    }
    ctx.out(out);
    return code;
  }
  if (mode === "s") {
    if (!names.length)
      ctx.fail(
        "dpkg-query: error: --status needs at least one package name argument\n\nUse --help for help about querying packages.",
        2,
      );
    let code = 0;
    const blocks = [];
    for (const n of names) {
      const p = db.packages[n];
      if (!p) {
        ctx.err(`dpkg-query: package '${n}' is not installed and no information is available\n`);
        code = 1;
        continue;
      }
      blocks.push(
        [
          `Package: ${n}`,
          `Status: ${statusWord(db, n)}`,
          "Priority: optional",
          "Section: admin",
          `Installed-Size: ${Math.round(pkgs.fakeSize(n, p.version) / 250)}`,
          `Maintainer: ${n.startsWith("kube") || n === "cri-tools" ? "Kubernetes Authors <dev@kubernetes.io>" : "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>"}`,
          `Architecture: ${p.arch || ARCH}`,
          `Version: ${p.version}`,
          `Description: ${DESCRIPTIONS[n] || n}`,
        ].join("\n") + "\n",
      );
    }
    if (blocks.length) ctx.out(blocks.join("\n"));
    if (code) ctx.err("Use dpkg --info (= dpkg-deb --info) to examine archive files.\n");
    return code;
  }
  if (mode === "l") {
    const pats = names.length ? names : ["*"];
    const rows = [];
    let code = 0;
    for (const p of pats) {
      const hits = installedNames.filter((n) => pkgs.globMatch(p, n));
      if (!hits.length) {
        ctx.err(`dpkg-query: no packages found matching ${p}\n`);
        code = 1;
      }
      for (const n of hits) {
        const abbrev = formatField(db, n, "db:Status-Abbrev").trim();
        rows.push(
          `${abbrev.padEnd(3)}${n.padEnd(15)} ${(db.packages[n].version || "").padEnd(25)} ${(db.packages[n].arch || ARCH).padEnd(12)} ${DESCRIPTIONS[n] || n}`,
        );
      }
    }
    if (rows.length) {
      ctx.out(
        [
          "Desired=Unknown/Install/Remove/Purge/Hold",
          "| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend",
          "|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)",
          "||/ Name           Version                   Architecture Description",
          "+++-==============-=========================-============-=================================",
          ...rows,
        ].join("\n") + "\n",
      );
    }
    return code;
  }
  if (mode === "L") {
    let code = 0;
    for (const n of names) {
      const p = db.packages[n];
      if (!p) {
        ctx.err(
          `dpkg-query: package '${n}' is not installed\nUse dpkg --contents (= dpkg-deb --contents) to list archive files contents.\n`,
        );
        code = 1;
        continue;
      }
      ctx.out(["/.", ...(p.files || [])].join("\n") + "\n");
    }
    return code;
  }
  ctx.fail("dpkg-query: error: need an action option\n\nUse --help for help about querying packages.", 2);
  return 2;
}

/** @param {Ctx} ctx */
function dpkg(ctx) {
  const a = ctx.argv;
  if (a.includes("--print-architecture")) {
    ctx.out(`${ARCH}\n`);
    return 0;
  }
  if (a.includes("--get-selections")) {
    const db = pkgs.readDb();
    const out = Object.keys(db.packages)
      .sort()
      .map(
        (n) =>
          `${n.padEnd(47)}\t${db.holds.includes(n) ? "hold" : db.packages[n].status === "config-files" ? "deinstall" : "install"}`,
      );
    if (out.length) ctx.out(out.join("\n") + "\n");
    return 0;
  }
  if (a.includes("--compare-versions")) {
    const [v1, op, v2] = a.slice(a.indexOf("--compare-versions") + 1);
    const c = pkgs.debCompare(v1, v2);
    const ok = /** @type {Record<string, boolean>} */ ({
      lt: c < 0,
      "lt-nl": c < 0,
      le: c <= 0,
      eq: c === 0,
      ne: c !== 0,
      ge: c >= 0,
      gt: c > 0,
      "gt-nl": c > 0,
      "<<": c < 0,
      "<=": c <= 0,
      "=": c === 0,
      ">=": c >= 0,
      ">>": c > 0,
    })[op];
    return ok ? 0 : 1;
  }
  if (a.some((x) => ["-s", "--status", "-l", "--list", "-L", "--listfiles", "-W", "--show"].includes(x)))
    return dpkgQuery(ctx, a);
  if (a.some((x) => ["-i", "--install", "-r", "--remove", "-P", "--purge", "--configure"].includes(x))) {
    if (a.includes("--configure") && a.includes("-a")) return 0;
    ctx.fail("lab double: dpkg only plays queries; install packages with apt-get", 2);
  }
  ctx.fail(
    "dpkg: error: need an action option\n\nType dpkg --help for help about installing and deinstalling packages [*];\nUse 'apt' or 'aptitude' for user-friendly package management;\nType dpkg -Dhelp for a list of dpkg debug flag values;\nType dpkg --force-help for a list of forcing options;\nType dpkg-deb --help for help about manipulating *.deb files;\n\nOptions marked [*] produce a lot of output - pipe it through 'less' or 'more' !",
    2,
  );
  return 2;
}

/** @param {string} tool */
function main(tool) {
  return (/** @type {Ctx} */ ctx) => {
    switch (tool) {
      case "apt-get":
      case "apt":
        return aptGet(ctx);
      case "apt-cache":
        return aptCache(ctx);
      case "apt-mark":
        return aptMark(ctx);
      case "dpkg":
        return dpkg(ctx);
      case "dpkg-query":
        return dpkgQuery(ctx, ctx.argv);
      default:
        throw new Error(`unknown apt tool ${tool}`);
    }
  };
}

module.exports = { main, readSources, available };
