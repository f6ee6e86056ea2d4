"use strict";
/*
 * containerd and ctr doubles (installed by the containerd / containerd.io packages; version from the package db).
 *   containerd --version | -v     containerd containerd.io 1.7.27 <rev>  /  containerd github.com/containerd/containerd/v2 v2.1.4 <rev>
 *   containerd config default     the default TOML of the installed major (version = 2 for 1.7, version = 3 for 2.x)
 *   containerd config dump        the effective config (the file if present, else the default)
 *   ctr version | ctr [-n ns] images|image|i ls|list [-q] | ctr [-n ns] images rm <ref>
 * Running `containerd` itself is systemd's job: use systemctl start containerd.
 */
const fs = require("fs");
const crypto = require("crypto");
const lab = require("./double.js");
const pkgs = require("./packages.js");
const units = require("./units.js");
const images = require("./images.js");

function installedRuntime() {
  const io = pkgs.installed("containerd.io");
  if (io && io.status !== "config-files") return { pkg: "containerd.io", version: pkgs.upstreamVersion(io.version) };
  const c = pkgs.installed("containerd");
  if (c && c.status !== "config-files") return { pkg: "containerd", version: pkgs.upstreamVersion(c.version) };
  return { pkg: "containerd", version: "1.7.0" };
}

function revision(v) {
  return crypto.createHash("sha1").update(`containerd ${v}`).digest("hex");
}

function versionLine() {
  const { pkg, version } = installedRuntime();
  const major = parseInt(version, 10);
  if (pkg === "containerd.io")
    return `containerd containerd.io ${major >= 2 ? "v" : ""}${version} ${revision(version)}`;
  if (major >= 2) return `containerd github.com/containerd/containerd/v2 v${version} ${revision(version)}`;
  return `containerd github.com/containerd/containerd ${version} `;
}

function defaultConfig() {
  const major = parseInt(installedRuntime().version, 10);
  return fs.readFileSync(
    lab.labPath("doubles", "lib", "containerd-defaults", major >= 2 ? "config-v3.toml" : "config-v2.toml"),
    "utf8",
  );
}

function containerd(ctx) {
  const a = ctx.argv;
  if (a[0] === "--version" || a[0] === "-v" || a[0] === "version") {
    ctx.out(`${versionLine()}\n`);
    return 0;
  }
  if (a[0] === "config" && a[1] === "default") {
    ctx.out(defaultConfig());
    return 0;
  }
  if (a[0] === "config" && a[1] === "dump") {
    const f = lab.fsPath("/etc/containerd/config.toml");
    const cfg = units.containerdConfig();
    if (!cfg.ok) ctx.fail(`containerd: ${cfg.reason.replace(/^containerd: /, "")}`, 1);
    ctx.out(fs.existsSync(f) ? fs.readFileSync(f, "utf8") : defaultConfig());
    return 0;
  }
  if (a[0] === "--help" || a[0] === "-h") {
    ctx.out(
      "NAME:\n   containerd - \n                    __        _                     __\n  _________  ____  / /_____ _(_)___  ___  _________/ /\n / ___/ __ \\/ __ \\/ __/ __ `/ / __ \\/ _ \\/ ___/ __  /\n/ /__/ /_/ / / / / /_/ /_/ / / / / /  __/ /  / /_/ /\n\\___/\\____/_/ /_/\\__/\\__,_/_/_/ /_/\\___/_/   \\__,_/\n\nhigh performance container runtime\n",
    );
    return 0;
  }
  ctx.fail("lab double: containerd runs as containerd.service in the lab (systemctl start containerd)", 1);
  return 1;
}

function ctr(ctx) {
  const argv = ctx.argv;
  let ns = process.env.CONTAINERD_NAMESPACE || "default";
  let address = "/run/containerd/containerd.sock";
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-n" || a === "--namespace") ns = argv[++i];
    else if (a.startsWith("--namespace=")) ns = a.slice(12);
    else if (a === "-a" || a === "--address") address = argv[++i];
    else rest.push(a);
  }
  const [verb, sub, ...args] = rest;
  const connect = () => {
    if (
      address.replace(/^\/var/, "") !== units.SOCKET ||
      !fs.existsSync(lab.fsPath(units.SOCKET)) ||
      units.state("containerd.service").state !== "active"
    ) {
      ctx.fail(
        `ctr: failed to dial "${address}": connection error: desc = "transport: error while dialing: dial unix://${address}: connect: no such file or directory"`,
        1,
      );
    }
  };
  if (verb === "version") {
    const { version } = installedRuntime();
    const v = parseInt(version, 10) >= 2 ? `v${version}` : version;
    ctx.out(`Client:\n  Version:  ${v}\n  Revision: ${revision(version)}\n  Go version: go1.24.6\n\n`);
    connect();
    ctx.out(
      `Server:\n  Version:  ${v}\n  Revision: ${revision(version)}\n  UUID: ${crypto
        .createHash("md5")
        .update(ctx.host)
        .digest("hex")
        .replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, "$1-$2-$3-$4-$5")}\n`,
    );
    return 0;
  }
  if (verb === "--version" || verb === "-v") {
    const parts = versionLine().split(" ");
    ctx.out(`ctr ${parts[1]} ${parts[2]}\n`);
    return 0;
  }
  if (verb === "images" || verb === "image" || verb === "i") {
    connect();
    const list = ns === "k8s.io" ? images.list() : [];
    if (sub === "ls" || sub === "list") {
      if (args.includes("-q") || args.includes("--quiet")) {
        if (list.length) ctx.out(list.map((i) => i.ref).join("\n") + "\n");
        return 0;
      }
      const rows = [["REF", "TYPE", "DIGEST", "SIZE", "PLATFORMS", "LABELS"]];
      for (const i of list)
        rows.push([
          i.ref,
          "application/vnd.oci.image.index.v1+json",
          i.id,
          `${(i.size / 1048576).toFixed(1)} MiB`,
          "linux/amd64",
          "io.cri-containerd.image=managed",
        ]);
      const w = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
      ctx.out(
        rows
          .map((r) =>
            r
              .map((c, k) => c.padEnd(w[k] + 1))
              .join("")
              .trimEnd(),
          )
          .join("\n") + "\n",
      );
      return 0;
    }
    if (sub === "rm" || sub === "remove" || sub === "delete" || sub === "del") {
      for (const r of args.filter((x) => !x.startsWith("-"))) {
        const hits = ns === "k8s.io" ? images.remove(r) : [];
        if (!hits.length) ctx.err(`ctr: image "${r}": not found\n`);
        else ctx.out(`${r}\n`);
      }
      return 0;
    }
    if (sub === "pull") {
      const ref = args.filter((x) => !x.startsWith("-"))[0];
      const r = ns === "k8s.io" ? images.pull(ref) : images.pull(ref);
      if (!r.ok) ctx.fail(`ctr: ${r.error.replace(/^failed to pull and unpack image "[^"]+": /, "")}`, 1);
      ctx.out(
        `${r.ref}: resolved       |++++++++++++++++++++++++++++++++++++++|\nunpacking linux/amd64 ${r.id}...\ndone: 1.2s\n`,
      );
      return 0;
    }
    ctx.fail(`ctr: lab double: ctr images ${sub} is not played by the lab`, 1);
  }
  if (verb === "namespaces" || verb === "ns") {
    connect();
    ctx.out(`NAME   LABELS \n${images.list().length ? "k8s.io        \n" : ""}`);
    return 0;
  }
  ctx.fail(`ctr: lab double: ctr ${verb || ""} is not played by the lab`, 1);
  return 1;
}

module.exports = { containerd, ctr, versionLine, installedRuntime };
