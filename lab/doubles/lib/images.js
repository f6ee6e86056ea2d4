"use strict";
/*
 * Container images in the lab, as containerd's CRI plugin would pull them (used by crictl and ctr, and by
 * kubeadm's double for `kubeadm config images pull` / preflight image checks).
 *   store:      $LAB_STATE/images.json { "images": [{ ref, id, size, from }] }
 *   blocking:   $LAB_ROOT/registries.json { "blocked": [hosts], "allowed": [hosts], "timeoutSeconds": n } — a
 *               blocked host times out (after timeoutSeconds, default 0); any other host answers.
 *   mirrors:    what the RUNNING containerd loaded (unit state written at start): config_path dirs with
 *               <registry>/hosts.toml (or _default/hosts.toml), tried in order, then the registry itself
 *               (hosts.toml "server", default https://<registry>); containerd 1.7 with an empty config_path
 *               ignores hosts.toml (uses the deprecated registry.mirrors instead, if any).
 * Exports: normalize(ref) -> { ref, registry, repo, tag }, pull(ref) -> { ok, id, from } | { ok:false, error },
 *   list() -> [image], remove(ref) -> bool, imageId(ref).
 */
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const lab = require("./double.js");
const toml = require("./toml.js");

const FILE = () => lab.statePath("images.json");

function normalize(input) {
  let ref = input;
  let digest = null;
  const at = ref.indexOf("@");
  if (at >= 0) {
    digest = ref.slice(at + 1);
    ref = ref.slice(0, at);
  }
  const slash = ref.indexOf("/");
  const first = slash >= 0 ? ref.slice(0, slash) : "";
  let registry;
  let rest;
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    rest = ref.slice(slash + 1);
  } else {
    registry = "docker.io";
    rest = slash >= 0 ? ref : `library/${ref}`;
  }
  const colon = rest.lastIndexOf(":");
  let repo = rest;
  let tag = digest ? null : "latest";
  if (colon > rest.lastIndexOf("/")) {
    repo = rest.slice(0, colon);
    tag = rest.slice(colon + 1);
  }
  const full = `${registry}/${repo}${tag ? `:${tag}` : ""}${digest ? `@${digest}` : ""}`;
  return { ref: full, registry, repo, tag, digest };
}

function imageId(ref) {
  return (
    "sha256:" +
    crypto
      .createHash("sha256")
      .update(`lab-image:${normalize(ref).ref}`)
      .digest("hex")
  );
}

function fakeSize(ref) {
  const h = crypto.createHash("md5").update(ref).digest();
  return 300000 + (h.readUInt32BE(0) % 90000000);
}

function registries() {
  return lab.readJson(lab.labPath("registries.json"), {}) || {};
}

function blocked(host) {
  const r = registries();
  const list = r.blocked || [];
  const h = host.replace(/:\d+$/, "");
  if (list.includes(h)) return true;
  if (h === "registry-1.docker.io" && list.includes("docker.io")) return true;
  if (h === "docker.io" && list.includes("registry-1.docker.io")) return true;
  return false;
}

function hostsFor(registry, loaded) {
  // -> [{ url, host, overridePath }], server last
  const out = [];
  let server = registry === "docker.io" ? "https://registry-1.docker.io" : `https://${registry}`;
  const dirs = (loaded.configPath || "").split(":").filter(Boolean);
  let found = false;
  for (const d of dirs) {
    for (const sub of [registry, "_default"]) {
      const f = lab.fsPath(path.join(d, sub, "hosts.toml"));
      if (!fs.existsSync(f)) continue;
      let doc;
      try {
        doc = toml.parse(fs.readFileSync(f, "utf8"));
      } catch (e) {
        return { error: `failed to load host config for ${registry}: failed to decode hosts.toml: ${e.message}` };
      }
      if (doc.server) server = doc.server;
      for (const [url, h] of Object.entries(doc.host || {})) {
        const caps = (h && h.capabilities) || ["pull", "resolve", "push"];
        if (!caps.includes("pull") && !caps.includes("resolve")) continue;
        out.push({ url, overridePath: !!(h && h.override_path) });
      }
      found = true;
      break;
    }
    if (found) break;
  }
  if (!found && loaded.major < 2 && loaded.mirrors) {
    for (const url of loaded.mirrors[registry] || loaded.mirrors["*"] || []) out.push({ url, overridePath: false });
  }
  out.push({ url: server, overridePath: false, server: true });
  for (const h of out) {
    try {
      h.host = new URL(/^[a-z]+:\/\//.test(h.url) ? h.url : `https://${h.url}`).host;
    } catch {
      h.host = h.url;
    }
  }
  return { hosts: out };
}

function loadedConfig() {
  const st = lab.readJson(lab.statePath("units", "containerd.service.json"), {});
  return { configPath: st.configPath || "", mirrors: st.mirrors || {}, major: st.major || 1 };
}

function pull(input) {
  const n = normalize(input);
  const loaded = loadedConfig();
  const r = hostsFor(n.registry, loaded);
  const what = n.tag ? `manifests/${n.tag}` : `manifests/${n.digest}`;
  if (r.error)
    return {
      ok: false,
      error: `failed to pull and unpack image "${n.ref}": failed to resolve reference "${n.ref}": ${r.error}`,
    };
  let last = null;
  for (const h of r.hosts) {
    if (blocked(h.host)) {
      last = h;
      continue;
    }
    const id = imageId(n.ref);
    lab.updateJson(FILE(), { images: [] }, (st) => {
      st.images = st.images.filter((i) => i.ref !== n.ref);
      st.images.push({ ref: n.ref, id, size: fakeSize(n.ref), from: h.host, pulledAt: lab.now().toISOString() });
    });
    return { ok: true, id, from: h.host, ref: n.ref };
  }
  const t = Number(registries().timeoutSeconds || 0);
  if (t > 0) lab.sleepSeconds(t);
  const base = /^[a-z]+:\/\//.test(last.url) ? last.url.replace(/\/+$/, "") : `https://${last.url}`;
  const url = last.overridePath ? `${base}/${n.repo}/${what}` : `${base}/v2/${n.repo}/${what}`;
  return {
    ok: false,
    error: `failed to pull and unpack image "${n.ref}": failed to resolve reference "${n.ref}": failed to do request: Head "${url}": dial tcp: lookup ${last.host.replace(/:\d+$/, "")}: i/o timeout`,
  };
}

function list() {
  return lab.readJson(FILE(), { images: [] }).images || [];
}

function find(ref) {
  const all = list();
  if (/^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) {
    const id = ref.startsWith("sha256:") ? ref : `sha256:${ref}`;
    return all.filter((i) => i.id.startsWith(id));
  }
  const n = normalize(ref);
  return all.filter((i) => i.ref === n.ref);
}

function remove(ref) {
  const hits = find(ref);
  if (!hits.length) return [];
  lab.updateJson(FILE(), { images: [] }, (st) => {
    st.images = st.images.filter((i) => !hits.some((h) => h.ref === i.ref));
  });
  return hits;
}

module.exports = { normalize, pull, list, find, remove, imageId, blocked };
