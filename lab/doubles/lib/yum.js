"use strict";
/*
 * yum family doubles: dnf, yum (the same program, dnf 4 as on Rocky 9) and rpm.
 *
 * Repositories: /etc/yum.repos.d/*.repo (INI; $releasever from /etc/os-release VERSION_ID's major, $basearch
 * x86_64). A repo's baseurl must be a catalogue mirror (yum.json) on a reachable host, else dnf fails like dnf
 * ("Curl error (6): Couldn't resolve host name" / "Status code: 404", then "Failed to download metadata").
 * exclude= hides packages unless --disableexcludes=<repo>|all ("All matches were filtered out by exclude
 * filtering for argument", as dnf >= 4.2 says; an unknown name or version: "No match for argument").
 * gpgcheck=1 needs the repo's key: imported with rpm --import, or fetched from a gpgkey= URL served by the lab.
 * Installing copies $LAB_ROOT/doubles/packages/<name>/ (plus <name>+yum/) under / and records it in
 * $LAB_STATE/packages.json (shared with rpm). RPM policy: services are NOT enabled or started on install.
 */

const fs = require("fs");
const path = require("path");
const lab = require("./double.js");
const pkgs = require("./packages.js");
const serviceManager = require("./service-manager.js");

/** @typedef {import("./double.js").Ctx} Ctx */
/** @typedef {ReturnType<typeof readRepos>[number]} Repo */
/** @typedef {{ repo: Repo, mirror: import("./packages.js").Mirror }} Loaded a repository and what its mirror offers */
/** @typedef {{ name: string, version: string, entry: Loaded, dep?: boolean, explicit?: boolean }} Candidate */
/**
 * @typedef {{ yes: boolean, quiet: boolean, verb: string | null, names: string[], disableExcludes: string[],
 *   enableRepos: string[], disableRepos: string[], onlyRepos: string[], nogpgcheck: boolean, showMeta: boolean,
 *   allowErasing: boolean, showDuplicates: boolean, installed: boolean, available: boolean, addRepo?: string }} Options
 */

const ARCH = "x86_64";
const NOARCH = new Set(["container-selinux"]);

function releasever() {
  try {
    const m = /^VERSION_ID="?([0-9]+)/m.exec(fs.readFileSync(lab.fsPath("/etc/os-release"), "utf8"));
    if (m) return m[1];
  } catch {
    /* default */
  }
  return "9";
}

/** @param {string} s */
function expand(s) {
  return s
    .replace(/\$\{?releasever\}?/g, releasever())
    .replace(/\$\{?basearch\}?/g, ARCH)
    .replace(/\$\{?arch\}?/g, ARCH)
    .replace(/\$\{?rltype\}?/g, "")
    .replace(/\$\{?contentdir\}?/g, "pub/rocky");
}

class ConfigError extends Error {}

/**
 * @param {string} file
 * @param {string} text
 */
function parseIni(file, text) {
  /** @type {{ id: string, opts: Record<string, string>, file: string, last?: string }[]} */
  const sections = [];
  /** @type {(typeof sections)[number] | null} */
  let cur = null;
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n];
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    /**
     * @param {string} what
     * @returns {never}
     */
    const fail = (what) => {
      throw new ConfigError(`Config error: Parsing file '${file}' failed: IniParser: ${what} at line ${n + 1}`);
    };
    if (line.startsWith("[")) {
      if (!line.includes("]")) fail("Missing ']'");
      const name = line.slice(1, line.indexOf("]")).trim();
      if (!name) fail("Empty section name");
      if (
        line.slice(line.indexOf("]") + 1).trim() &&
        !line
          .slice(line.indexOf("]") + 1)
          .trim()
          .startsWith("#")
      )
        fail("Text after section");
      cur = { id: name, opts: {}, file };
      sections.push(cur);
      continue;
    }
    if (/^\s/.test(raw) && cur && cur.last) {
      cur.opts[cur.last] += ` ${line}`;
      continue;
    }
    if (!cur) fail("Missing section header");
    const eq = line.indexOf("=");
    if (eq < 0) fail("Missing '='");
    const key = line.slice(0, eq).trim();
    if (!key) fail("Missing key");
    cur.opts[key] = line.slice(eq + 1).trim();
    cur.last = key;
  }
  return sections;
}

/**
 * @param {string | undefined} v
 * @param {boolean} dflt
 */
function truthy(v, dflt) {
  if (v === undefined) return dflt;
  return ["1", "yes", "true", "on", "True"].includes(String(v).trim());
}

function readRepos() {
  const dir = "/etc/yum.repos.d";
  /** @type {string[]} */
  let names = [];
  try {
    names = fs.readdirSync(lab.fsPath(dir)).sort();
  } catch {
    /* none */
  }
  const repos = [];
  for (const name of names) {
    if (!name.endsWith(".repo")) continue;
    const file = `${dir}/${name}`;
    for (const s of parseIni(file, fs.readFileSync(lab.fsPath(file), "utf8"))) {
      const o = s.opts;
      repos.push({
        id: s.id,
        file,
        name: expand(o.name || s.id),
        baseurls: o.baseurl
          ? o.baseurl
              .split(/[\s,]+/)
              .filter(Boolean)
              .map(expand)
          : [],
        mirrorlist: o.mirrorlist || o.metalink || null,
        enabled: truthy(o.enabled, true),
        gpgcheck: truthy(o.gpgcheck, false),
        gpgkeys: (o.gpgkey || "")
          .split(/[\s,]+/)
          .filter(Boolean)
          .map(expand),
        exclude: (o.exclude || o.excludepkgs || "").split(/[\s,]+/).filter(Boolean),
        skipIfUnavailable: truthy(o.skip_if_unavailable, false),
      });
    }
  }
  return repos;
}

/**
 * @param {import("./packages.js").Catalogue} cat
 * @param {string} url
 */
function findMirror(cat, url) {
  /** @param {string} u */
  const norm = (u) => u.replace(/\/+$/, "");
  return (cat.mirrors || []).find((m) => norm(expand(m.url)) === norm(url)) || null;
}

/** @param {string} v */
function splitVR(v) {
  const noEpoch = v.replace(/^\d+:/, "");
  const d = noEpoch.lastIndexOf("-");
  return d < 0 ? { version: noEpoch, release: "" } : { version: noEpoch.slice(0, d), release: noEpoch.slice(d + 1) };
}

/** @param {string} name */
function archOf(name) {
  return NOARCH.has(name) ? "noarch" : ARCH;
}

/**
 * @param {string} name
 * @param {string} v
 */
function nevra(name, v) {
  return `${name}-${v.replace(/^\d+:/, "")}.${archOf(name)}`;
}

/**
 * Loads metadata of the enabled repos. Returns { repos: [{repo, mirror}], errors: [...] }
 * @param {Ctx} ctx
 * @param {Options} o
 * @returns {Loaded[]}
 */
function loadRepos(ctx, o) {
  const cat = pkgs.loadCatalogue("yum");
  let repos;
  try {
    repos = readRepos();
  } catch (e) {
    if (e instanceof ConfigError) ctx.fail(e.message, 1);
    throw e;
  }
  const enabled = repos.filter(
    (r) =>
      (r.enabled && !o.disableRepos.some((g) => pkgs.globMatch(g, r.id))) ||
      o.enableRepos.some((g) => pkgs.globMatch(g, r.id)),
  );
  /** @type {Loaded[]} */
  const loaded = [];
  const lines = [];
  for (const r of enabled) {
    if (o.onlyRepos.length && !o.onlyRepos.some((g) => pkgs.globMatch(g, r.id))) continue;
    if (!r.baseurls.length && !r.mirrorlist) ctx.fail(`Error: Cannot find a valid baseurl for repo: ${r.id}`, 1);
    const url = r.baseurls[0] || expand(/** @type {string} */ (r.mirrorlist));
    const host = pkgs.urlHost(url);
    const repomd = `${url.replace(/\/+$/, "")}/repodata/repomd.xml`;
    let err = null;
    if (!host || !pkgs.knownHosts().has(host) || !pkgs.isReachable(url)) {
      err = `  - Curl error (6): Couldn't resolve host name for ${repomd} [Could not resolve host: ${host}]`;
    } else if (!findMirror(cat, url)) {
      err = `  - Status code: 404 for ${repomd} (IP: 198.51.100.7)`;
    }
    if (err) {
      const msg = `Errors during downloading metadata for repository '${r.id}':\n${err}\nError: Failed to download metadata for repo '${r.id}': Cannot download repomd.xml: Cannot download repodata/repomd.xml: All mirrors were tried`;
      if (r.skipIfUnavailable) {
        lines.push(`${msg.split("\nError:")[0]}\nIgnoring repositories: ${r.id}`);
        continue;
      }
      if (!o.quiet && lines.length) ctx.out(lines.join("\n") + "\n");
      ctx.fail(msg, 1);
    }
    loaded.push({ repo: r, mirror: /** @type {import("./packages.js").Mirror} */ (findMirror(cat, url)) });
    lines.push(
      `${r.name.slice(0, 46).padEnd(46)} ${String(10 + (r.id.length % 40)).padStart(3)} kB/s | ${(1.2 + r.id.length / 10).toFixed(1)} kB     00:00`,
    );
  }
  if (!o.quiet && lines.length && o.showMeta) ctx.out(lines.join("\n") + "\n");
  return loaded;
}

/**
 * @param {Loaded} entry
 * @param {string} name
 * @param {Options} o
 */
function excluded(entry, name, o) {
  if (o.disableExcludes.includes("all") || o.disableExcludes.includes(entry.repo.id)) return false;
  return entry.repo.exclude.some((g) => pkgs.globMatch(g, name));
}

/**
 * [{ name, version, entry }] sorted newest first, for a name, over loaded repos; `withExcluded` ignores excludes.
 * @param {Loaded[]} loaded
 * @param {string} name
 * @param {Options} o
 * @param {boolean} withExcluded
 * @returns {Candidate[]}
 */
function candidates(loaded, name, o, withExcluded) {
  /** @type {Candidate[]} */
  const out = [];
  for (const entry of loaded) {
    if (!withExcluded && excluded(entry, name, o)) continue;
    for (const v of (entry.mirror.packages || {})[name] || []) out.push({ name, version: v, entry });
  }
  return out.sort((a, b) => pkgs.rpmCompare(b.version.replace(/^\d+:/, ""), a.version.replace(/^\d+:/, "")));
}

/**
 * spec -> { name, match(version) } alternatives: "kubelet", "kubelet-1.35.4", "kubelet-1.35.4-150500.1.1[.x86_64]".
 * @param {string} spec
 */
function specAlternatives(spec) {
  /** @type {{ name: string, match: (version: string) => boolean }[]} */
  const alts = [{ name: spec, match: () => true }];
  let s = spec;
  const arch = /\.(x86_64|noarch)$/.exec(s);
  if (arch) {
    s = s.slice(0, -arch[0].length);
    alts.push({ name: s, match: () => true });
  }
  const parts = s.split("-");
  for (let k = 1; k <= 2 && k < parts.length; k++) {
    const name = parts.slice(0, parts.length - k).join("-");
    const vr = parts.slice(parts.length - k).join("-");
    alts.push({
      name,
      match: (/** @type {string} */ v) => {
        const { version, release } = splitVR(v);
        return k === 1 ? version === vr : `${version}-${release}` === vr;
      },
    });
  }
  return alts;
}

/**
 * @param {Loaded[]} loaded
 * @param {string} spec
 * @param {Options} o
 * @returns {{ ok?: Candidate, filtered?: boolean, missing?: boolean }}
 */
function resolveSpec(loaded, spec, o) {
  for (const alt of specAlternatives(spec)) {
    const c = candidates(loaded, alt.name, o, false).filter((x) => alt.match(x.version));
    if (c.length) return { ok: c[0] };
  }
  for (const alt of specAlternatives(spec)) {
    const c = candidates(loaded, alt.name, o, true).filter((x) => alt.match(x.version));
    if (c.length) return { filtered: true };
  }
  return { missing: true };
}

/**
 * @param {string[]} argv
 * @returns {Options}
 */
function parseArgs(argv) {
  /** @type {Options} */
  const o = {
    yes: false,
    quiet: false,
    verb: null,
    names: [],
    disableExcludes: [],
    enableRepos: [],
    disableRepos: [],
    onlyRepos: [],
    nogpgcheck: false,
    showMeta: true,
    allowErasing: false,
    showDuplicates: false,
    installed: false,
    available: false,
  };
  /** @param {string} v */
  const listOpt = (v) => v.split(",").filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    /** @param {string} flag */
    const val = (flag) => (a === flag ? argv[++i] : a.startsWith(`${flag}=`) ? a.slice(flag.length + 1) : null);
    let v;
    if (a === "-y" || a === "--assumeyes") o.yes = true;
    else if (a === "-q" || a === "--quiet") o.quiet = true;
    else if (a === "--nogpgcheck") o.nogpgcheck = true;
    else if (a === "--allowerasing") o.allowErasing = true;
    else if (a === "--showduplicates") o.showDuplicates = true;
    else if (a === "--installed" || (a === "installed" && o.verb === "list")) o.installed = true;
    else if (a === "--available" || (a === "available" && o.verb === "list")) o.available = true;
    else if ((v = val("--disableexcludes")) !== null || (v = val("--disableexcludepkgs")) !== null)
      o.disableExcludes.push(...listOpt(v));
    else if ((v = val("--enablerepo")) !== null) o.enableRepos.push(...listOpt(v));
    else if ((v = val("--disablerepo")) !== null) o.disableRepos.push(...listOpt(v));
    else if ((v = val("--repo")) !== null || (v = val("--repoid")) !== null) o.onlyRepos.push(...listOpt(v));
    else if (
      val("--setopt") !== null ||
      val("--releasever") !== null ||
      val("-x") !== null ||
      val("--exclude") !== null
    )
      continue;
    else if (a === "--add-repo") o.addRepo = argv[++i];
    else if (a.startsWith("--add-repo=")) o.addRepo = a.slice(11);
    else if (a.startsWith("-")) continue;
    else if (!o.verb) o.verb = a;
    else o.names.push(a);
  }
  return o;
}

function rpmKeys() {
  return pkgs.readDb().rpmKeys || [];
}

/** @param {Buffer} data */
function importKey(data) {
  const info = pkgs.keyInfo(data);
  if (!info) return null;
  pkgs.updateDb((db) => {
    db.rpmKeys = db.rpmKeys || [];
    if (!db.rpmKeys.some((k) => k.keyId === info.keyId))
      db.rpmKeys.push({ keyId: info.keyId, userId: info.userId, fingerprint: info.fingerprint });
  });
  return info;
}

/** @param {string} url */
function keyData(url) {
  if (url.startsWith("file://")) {
    try {
      return fs.readFileSync(lab.fsPath(url.slice(7)));
    } catch {
      return null;
    }
  }
  if (!pkgs.isReachable(url)) return null;
  return pkgs.servedFile(url);
}

/** @param {string} fp */
function fpGroups(fp) {
  const g = fp.match(/.{4}/g) || [];
  return `${g.slice(0, 5).join(" ")}  ${g.slice(5).join(" ")}`;
}

/** @param {[string, Candidate[]][]} rows */
function table(rows) {
  const head = " Package                 Architecture  Version                          Repository       Size";
  const sep = "=".repeat(head.length);
  const out = [sep, head, sep];
  for (const [title, list] of rows) {
    if (!list.length) continue;
    out.push(`${title}:`);
    for (const p of list) {
      const size = `${(pkgs.fakeSize(p.name, p.version) / 1e6).toFixed(1)} M`;
      out.push(
        ` ${p.name.padEnd(23)} ${archOf(p.name).padEnd(13)} ${p.version.padEnd(32)} ${p.entry.repo.id.padEnd(12)} ${size.padStart(8)}`,
      );
    }
  }
  return out.join("\n");
}

/**
 * @param {Ctx} ctx
 * @param {Options} o
 */
function install(ctx, o) {
  if (!lab.isRoot())
    ctx.fail("Error: This command has to be run with superuser privileges (under the root user on most systems).", 1);
  const loaded = loadRepos(ctx, o);
  const db = pkgs.readDb();
  /** @type {Map<string, Candidate>} */
  const plan = new Map();
  const missing = [];
  const msgs = [];
  for (const spec of o.names) {
    const r = resolveSpec(loaded, spec, o);
    if (r.ok) plan.set(r.ok.name, { ...r.ok, explicit: true });
    else {
      msgs.push(
        r.filtered
          ? `All matches were filtered out by exclude filtering for argument: ${spec}`
          : `No match for argument: ${spec}`,
      );
      missing.push(spec);
    }
  }
  if (missing.length) {
    ctx.out(msgs.join("\n") + "\n");
    ctx.fail(`Error: Unable to find a match: ${missing.join(" ")}`, 1);
  }
  // dependencies
  const problems = [];
  for (const [name, p] of [...plan]) {
    for (const dep of (p.entry.mirror.depends || {})[name] || []) {
      if (plan.has(dep) || (db.packages[dep] && db.packages[dep].status !== "config-files")) continue;
      /** @type {Candidate[]} */
      const c = [];
      for (const entry of loaded)
        if (!excluded(entry, dep, o))
          for (const v of (entry.mirror.packages || {})[dep] || []) c.push({ name: dep, version: v, entry });
      c.sort((a, b) => pkgs.rpmCompare(b.version.replace(/^\d+:/, ""), a.version.replace(/^\d+:/, "")));
      if (!c.length) {
        problems.push(`  - nothing provides ${dep} needed by ${nevra(name, p.version)} from ${p.entry.repo.id}`);
        continue;
      }
      plan.set(dep, { ...c[0], dep: true });
    }
  }
  if (problems.length) {
    ctx.fail(
      `Error: \n Problem: cannot install the best candidate for the job\n${problems.join("\n")}\n(try to add '--skip-broken' to skip uninstallable packages or '--nobest' to use not only best candidate packages)`,
      1,
    );
  }
  /** @type {Candidate[]} */
  const installing = [];
  /** @type {Candidate[]} */
  const deps = [];
  /** @type {Candidate[]} */
  const upgrading = [];
  /** @type {Candidate[]} */
  const downgrading = [];
  /** @type {Candidate[]} */
  const already = [];
  for (const [name, p] of plan) {
    const cur = db.packages[name];
    if (!cur || cur.status === "config-files") (p.dep ? deps : installing).push(p);
    else {
      const c = pkgs.rpmCompare(p.version.replace(/^\d+:/, ""), cur.version.replace(/^\d+:/, ""));
      if (c > 0) upgrading.push(p);
      else if (c < 0) downgrading.push(p);
      else already.push(p);
    }
  }
  /**
   * @param {Candidate} a
   * @param {Candidate} b
   */
  const byName = (a, b) => a.name.localeCompare(b.name);
  [installing, deps, upgrading, downgrading].forEach((l) => l.sort(byName));
  const out = [];
  for (const p of already) out.push(`Package ${nevra(p.name, p.version)} is already installed.`);
  out.push("Dependencies resolved.");
  const todo = [...installing, ...deps, ...upgrading, ...downgrading];
  if (!todo.length) {
    out.push("Nothing to do.", "Complete!");
    if (!o.quiet) ctx.out(out.join("\n") + "\n");
    return 0;
  }
  out.push(
    table([
      ["Installing", installing],
      ["Upgrading", upgrading],
      ["Downgrading", downgrading],
      ["Installing dependencies", deps],
    ]),
    "",
    "Transaction Summary",
    "=".repeat(92),
  );
  if (installing.length + deps.length)
    out.push(`Install    ${installing.length + deps.length} Package${installing.length + deps.length > 1 ? "s" : ""}`);
  if (upgrading.length) out.push(`Upgrade    ${upgrading.length} Package${upgrading.length > 1 ? "s" : ""}`);
  if (downgrading.length) out.push(`Downgrade  ${downgrading.length} Package${downgrading.length > 1 ? "s" : ""}`);
  const total = todo.reduce((s, p) => s + pkgs.fakeSize(p.name, p.version), 0);
  out.push(
    "",
    `Total download size: ${Math.round(total / 1e6)} M`,
    `Installed size: ${Math.round((total * 4) / 1e6)} M`,
  );
  if (!o.yes) {
    out.push("Is this ok [y/N]: Operation aborted.");
    if (!o.quiet) ctx.out(out.join("\n") + "\n");
    return 1;
  }
  out.push("Downloading Packages:");
  todo.forEach((p, i) =>
    out.push(
      `(${i + 1}/${todo.length}): ${`${nevra(p.name, p.version)}.rpm`.padEnd(50)} 20 MB/s | ${(pkgs.fakeSize(p.name, p.version) / 1e6).toFixed(1)} MB     00:00`,
    ),
  );
  out.push("-".repeat(92), `${"Total".padEnd(66)} 20 MB/s | ${Math.round(total / 1e6)} MB     00:02`);
  // GPG check per repo
  if (!o.nogpgcheck) {
    const keys = rpmKeys();
    for (const repo of [...new Set(todo.map((p) => p.entry))]) {
      if (!repo.repo.gpgcheck) continue;
      // The catalogue's keys are public keys.
      const want = /** @type {NonNullable<ReturnType<typeof pkgs.keyInfo>>} */ (
        pkgs.keyInfo(pkgs.readKey(`key:${repo.mirror.key}`))
      );
      if (keys.some((k) => k.keyId === want.keyId)) continue;
      let imported = false;
      for (const url of repo.repo.gpgkeys) {
        const data = keyData(url);
        if (!data) {
          if (!o.quiet) ctx.out(out.join("\n") + "\n");
          ctx.fail(
            `Curl error (6): Couldn't resolve host name for ${url} [Could not resolve host: ${pkgs.urlHost(url) || url}]\nError: GPG check FAILED`,
            1,
          );
        }
        const info = pkgs.keyInfo(data);
        if (!info) continue;
        out.push(
          `${repo.repo.name.slice(0, 46).padEnd(46)} 2.3 kB/s | 1.7 kB     00:00`,
          `Importing GPG key 0x${info.keyId.slice(-8)}:`,
          ` Userid     : "${info.userId}"`,
          ` Fingerprint: ${fpGroups(info.fingerprint)}`,
          ` From       : ${url}`,
        );
        importKey(data);
        out.push("Key imported successfully");
        if (info.keyId === want.keyId) imported = true;
      }
      if (!imported) {
        const first = /** @type {Candidate} */ (todo.find((p) => p.entry === repo));
        if (!o.quiet) ctx.out(out.join("\n") + "\n");
        ctx.fail(
          repo.repo.gpgkeys.length
            ? `The GPG keys listed for the "${repo.repo.name}" repository are already installed but they are not correct for this package.\nCheck that the correct key URLs are configured for this repository.. Failing package is: ${nevra(first.name, first.version)}\n GPG Keys are configured as: ${repo.repo.gpgkeys.join(", ")}\nThe downloaded packages were saved in cache until the next successful transaction.\nYou can remove cached packages by executing 'dnf clean packages'.\nError: GPG check FAILED`
            : `Public key for ${nevra(first.name, first.version)}.rpm is not installed\nThe downloaded packages were saved in cache until the next successful transaction.\nYou can remove cached packages by executing 'dnf clean packages'.\nError: GPG check FAILED`,
          1,
        );
      }
    }
  }
  out.push(
    "Running transaction check",
    "Transaction check succeeded.",
    "Running transaction test",
    "Transaction test succeeded.",
    "Running transaction",
  );
  out.push(`  Preparing        :${" ".repeat(70)}1/1`);
  const order = [...deps, ...installing, ...upgrading, ...downgrading];
  order.forEach((p, i) => {
    const cur = pkgs.readDb().packages[p.name];
    const verb = upgrading.includes(p) ? "Upgrading" : downgrading.includes(p) ? "Downgrading" : "Installing";
    out.push(`  ${verb.padEnd(17)}: ${nevra(p.name, p.version).padEnd(68)} ${i + 1}/${order.length}`);
    if (cur && cur.files)
      pkgs.removeFiles(
        cur.files.filter((f) => !f.startsWith("/etc/")),
        false,
      );
    const files = pkgs.installTree(p.name, "yum", p.version);
    pkgs.updateDb((d) => {
      d.packages[p.name] = {
        version: p.version,
        arch: archOf(p.name),
        files,
        auto: !!p.dep,
        from: p.entry.repo.id,
        status: "installed",
      };
    });
  });
  order.forEach((p, i) =>
    out.push(`  Verifying        : ${nevra(p.name, p.version).padEnd(68)} ${i + 1}/${order.length}`),
  );
  /**
   * @param {string} title
   * @param {Candidate[]} list
   */
  const done = (title, list) => {
    if (!list.length) return;
    out.push("", `${title}:`);
    const names = list.map((p) => nevra(p.name, p.version));
    for (let i = 0; i < names.length; i += 2) out.push(`  ${names.slice(i, i + 2).join("    ")}`);
  };
  done("Upgraded", upgrading);
  done("Downgraded", downgrading);
  done("Installed", [...installing, ...deps].sort(byName));
  out.push("", "Complete!");
  if (!o.quiet) ctx.out(out.join("\n") + "\n");
  return 0;
}

/**
 * @param {Ctx} ctx
 * @param {Options} o
 */
function remove(ctx, o) {
  if (!lab.isRoot())
    ctx.fail("Error: This command has to be run with superuser privileges (under the root user on most systems).", 1);
  const db = pkgs.readDb();
  const todo = [];
  const out = [];
  for (const spec of o.names) {
    const hits = Object.keys(db.packages).filter(
      (n) => pkgs.globMatch(spec, n) && db.packages[n].status !== "config-files",
    );
    if (!hits.length) out.push(`No match for argument: ${spec}`);
    todo.push(...hits);
  }
  if (!todo.length) {
    out.push("No packages marked for removal.", "Dependencies resolved.", "Nothing to do.", "Complete!");
    ctx.out(out.join("\n") + "\n");
    return 0;
  }
  out.push("Dependencies resolved.");
  if (!o.yes) {
    out.push("Is this ok [y/N]: Operation aborted.");
    ctx.out(out.join("\n") + "\n");
    return 1;
  }
  out.push("Running transaction");
  const units = serviceManager();
  todo.forEach((n, i) => {
    const p = db.packages[n];
    out.push(`  Erasing          : ${nevra(n, p.version).padEnd(68)} ${i + 1}/${todo.length}`);
    const unit = /** @type {Record<string, string>} */ ({
      kubelet: "kubelet.service",
      "containerd.io": "containerd.service",
      containerd: "containerd.service",
    })[n];
    if (unit && units.findUnit(unit)) {
      units.stop(unit);
      units.disable(unit);
    }
    pkgs.removeFiles(p.files, false);
    pkgs.updateDb((d) => {
      delete d.packages[n];
    });
  });
  out.push("", "Removed:", ...todo.map((n) => `  ${nevra(n, db.packages[n].version)}`), "", "Complete!");
  if (!o.quiet) ctx.out(out.join("\n") + "\n");
  return 0;
}

/**
 * @param {Ctx} ctx
 * @param {Options} o
 */
function list(ctx, o) {
  const db = pkgs.readDb();
  const rows = [];
  const pats = o.names.length ? o.names : ["*"];
  const inst = Object.keys(db.packages)
    .filter((n) => db.packages[n].status !== "config-files" && pats.some((p) => pkgs.globMatch(p, n)))
    .sort();
  if (!o.available && inst.length) {
    rows.push("Installed Packages");
    for (const n of inst)
      rows.push(
        `${`${n}.${archOf(n)}`.padEnd(40)} ${db.packages[n].version.padEnd(30)} @${db.packages[n].from || "System"}`,
      );
  }
  if (!o.installed) {
    const loaded = loadRepos(ctx, { ...o, showMeta: false });
    const avail = [];
    const names = new Set();
    for (const e of loaded)
      for (const n of Object.keys(e.mirror.packages || {}))
        if (pats.some((p) => pkgs.globMatch(p, n)) && !excluded(e, n, o)) names.add(n);
    for (const n of [...names].sort()) {
      let c = candidates(loaded, n, o, false);
      if (!o.showDuplicates) c = c.slice(0, 1);
      for (const x of c)
        if (!(db.packages[n] && db.packages[n].version === x.version))
          avail.push(`${`${n}.${archOf(n)}`.padEnd(40)} ${x.version.padEnd(30)} ${x.entry.repo.id}`);
    }
    if (avail.length) rows.push("Available Packages", ...avail);
  }
  if (!rows.length) ctx.fail("Error: No matching Packages to list", 1);
  ctx.out(rows.join("\n") + "\n");
  return 0;
}

/**
 * @param {Ctx} ctx
 * @param {Options} o
 */
function configManager(ctx, o) {
  if (!o.addRepo) ctx.fail("Error: one of --add-repo, --save, --set-enabled, --set-disabled or --dump is required", 1);
  if (!lab.isRoot())
    ctx.fail("Error: This command has to be run with superuser privileges (under the root user on most systems).", 1);
  const url = o.addRepo;
  ctx.out(`Adding repo from: ${url}\n`);
  const host = pkgs.urlHost(url);
  if (!host || !pkgs.knownHosts().has(host) || !pkgs.isReachable(url)) {
    ctx.fail(
      `Curl error (6): Couldn't resolve host name for ${url} [Could not resolve host: ${host}]\nError: Configuration of repo failed`,
      1,
    );
  }
  const data = pkgs.servedFile(url);
  if (!data) ctx.fail(`Status code: 404 for ${url} (IP: 198.51.100.7)\nError: Configuration of repo failed`, 1);
  const dst = lab.fsPath(`/etc/yum.repos.d/${path.basename(new URL(url).pathname)}`);
  lab.mkdirp(path.dirname(dst));
  fs.writeFileSync(dst, data);
  return 0;
}

/** @param {Ctx} ctx */
function dnf(ctx) {
  const o = parseArgs(ctx.argv);
  switch (o.verb) {
    case "install":
    case "reinstall":
    case "upgrade":
    case "update":
    case "downgrade":
      if (!o.names.length) {
        if (o.verb === "install")
          ctx.fail(
            "Error: Need to pass a list of pkgs to install\nMini usage:\n\ninstall PACKAGE...\n\nInstall a package or packages on your system",
            1,
          );
        ctx.out("Dependencies resolved.\nNothing to do.\nComplete!\n");
        return 0;
      }
      return install(ctx, o);
    case "remove":
    case "erase":
      return remove(ctx, o);
    case "list":
      return list(ctx, o);
    case "makecache":
      if (!lab.isRoot())
        ctx.fail(
          "Error: This command has to be run with superuser privileges (under the root user on most systems).",
          1,
        );
      loadRepos(ctx, o);
      if (!o.quiet) ctx.out("Metadata cache created.\n");
      return 0;
    case "clean":
      ctx.out("0 files removed\n");
      return 0;
    case "repolist": {
      const repos = readRepos().filter((r) => r.enabled);
      ctx.out(
        ["repo id".padEnd(30) + "repo name", ...repos.map((r) => `${r.id.padEnd(30)}${r.name}`)].join("\n") + "\n",
      );
      return 0;
    }
    case "config-manager":
      return configManager(ctx, o);
    case undefined:
      ctx.fail("Error: No command given.", 1);
      return 1;
    default:
      ctx.fail(
        `No such command: ${o.verb}. Please use /usr/bin/${ctx.name} --help\nIt could be a ${ctx.name.toUpperCase()} plugin command, try: "${ctx.name} install 'dnf-command(${o.verb})'"`,
        1,
      );
      return 1;
  }
}

/**
 * @param {string} fmt
 * @param {string} name
 * @param {{ version: string, arch?: string }} p
 */
function rpmFormat(fmt, name, p) {
  const { version, release } = splitVR(p.version);
  const epoch = /^(\d+):/.exec(p.version);
  /** @type {Record<string, string>} */
  const fields = {
    NAME: name,
    VERSION: version,
    RELEASE: release,
    ARCH: p.arch || archOf(name),
    EPOCH: epoch ? epoch[1] : "(none)",
  };
  return fmt
    .replace(/\\n/g, "\n")
    .replace(/\\t/g, "\t")
    .replace(/%\{([A-Z]+)\}/g, (_, f) => (fields[f] !== undefined ? fields[f] : `(none)`));
}

/** @param {Ctx} ctx */
function rpm(ctx) {
  const a = ctx.argv;
  const db = pkgs.readDb();
  /** @type {string | null} */
  let qf = null;
  const names = [];
  /** @type {"import" | "erase" | "query" | null} */
  let mode = null;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x === "--qf" || x === "--queryformat") qf = a[++i];
    else if (x.startsWith("--qf=") || x.startsWith("--queryformat=")) qf = x.slice(x.indexOf("=") + 1);
    else if (x === "--import") mode = "import";
    else if (x === "-e" || x === "--erase") mode = "erase";
    else if (/^-q[a-zA-Z]*$/.test(x) || x === "--query") {
      mode = "query";
      if (x.includes("a")) names.push("*");
      if (x.includes("i")) qf = qf || "info";
    } else if (x === "-a" || x === "--all") names.push("*");
    else if (x.startsWith("-")) continue;
    else names.push(x);
  }
  if (mode === "import") {
    if (!lab.isRoot()) ctx.fail(`error: ${names[0]}: key 1 import failed.`, 1);
    for (const n of names) {
      const data = /^[a-z]+:\/\//.test(n)
        ? keyData(n)
        : (() => {
            try {
              return fs.readFileSync(path.isAbsolute(n) ? lab.fsPath(n) : n);
            } catch {
              return null;
            }
          })();
      if (!data) {
        ctx.fail(
          /^[a-z]+:\/\//.test(n)
            ? `curl: (6) Could not resolve host: ${pkgs.urlHost(n)}\nerror: ${n}: import read failed(2).`
            : `error: ${n}: import read failed(2).`,
          1,
        );
      }
      if (!importKey(data)) ctx.fail(`error: ${n}: import read failed(-1).`, 1);
    }
    return 0;
  }
  if (mode === "erase") {
    if (!lab.isRoot())
      ctx.fail("error: can't create transaction lock on /var/lib/rpm/.rpm.lock (Permission denied)", 1);
    let code = 0;
    for (const n of names) {
      if (!db.packages[n]) {
        ctx.err(`error: package ${n} is not installed\n`);
        code = 1;
        continue;
      }
      pkgs.removeFiles(db.packages[n].files, false);
      pkgs.updateDb((d) => {
        delete d.packages[n];
      });
    }
    return code;
  }
  if (mode === "query") {
    let code = 0;
    let text = "";
    const targets = names.includes("*") ? Object.keys(db.packages).sort() : names;
    for (const n of targets) {
      const p = db.packages[n];
      if (n === "gpg-pubkey") {
        for (const k of db.rpmKeys || []) {
          const v = { version: `${k.keyId.slice(-8).toLowerCase()}-0`, arch: "(none)" };
          text += qf && qf !== "info" ? rpmFormat(qf, "gpg-pubkey", v) : `gpg-pubkey-${v.version}\n`;
        }
        if (!(db.rpmKeys || []).length) {
          text += "package gpg-pubkey is not installed\n";
          code = 1;
        }
        continue;
      }
      if (!p || p.status === "config-files") {
        text += `package ${n} is not installed\n`;
        code = 1;
        continue;
      }
      if (qf === "info") {
        const { version, release } = splitVR(p.version);
        text += [
          `Name        : ${n}`,
          `Version     : ${version}`,
          `Release     : ${release}`,
          `Architecture: ${p.arch || archOf(n)}`,
          `Install Date: ${lab.now().toUTCString()}`,
          `Summary     : ${n}`,
          "",
        ].join("\n");
      } else if (qf) text += rpmFormat(qf, n, p);
      else text += `${nevra(n, p.version)}\n`;
    }
    ctx.out(text);
    return code;
  }
  ctx.fail("rpm: no operation specified", 1);
  return 1;
}

/** @param {"dnf" | "yum" | "rpm"} tool */
function main(tool) {
  return (/** @type {Ctx} */ ctx) => (tool === "rpm" ? rpm(ctx) : dnf(ctx));
}

module.exports = { main, readRepos, importKey };
