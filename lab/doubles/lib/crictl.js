"use strict";
/*
 * crictl double (cri-tools): pull, images [-q], rmi, ps [-a] [-q], pods [-q], rmp [-a] [-f], rm, info,
 * version, --version. Talks to "containerd" through lib/units.js (reachable = containerd.service active,
 * the socket present and the CRI plugin loaded). Errors are logrus lines, as crictl prints them without a TTY.
 * Containers and pods come from $LAB_STATE/containers.json { containers: [], pods: [] } (written by kubeadm's
 * double when it "runs" static pods; crictl only lists and removes them).
 */
const fs = require("fs");
const lab = require("./double.js");
const units = require("./units.js");
const images = require("./images.js");
const pkgs = require("./packages.js");

const DEFAULT_ENDPOINTS = [
  "unix:///run/containerd/containerd.sock",
  "unix:///run/crio/crio.sock",
  "unix:///var/run/cri-dockerd.sock",
];

function logrus(level, msg) {
  return `time="${lab
    .now()
    .toISOString()
    .replace(/\.\d+Z$/, "Z")}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

function readYaml(file) {
  const out = {};
  try {
    for (const line of fs.readFileSync(lab.fsPath(file), "utf8").split("\n")) {
      const m = /^([A-Za-z-]+):\s*"?([^"#]*?)"?\s*(#.*)?$/.exec(line.trim());
      if (m) out[m[1]] = m[2];
    }
  } catch {
    /* none */
  }
  return out;
}

function containersDb() {
  const st = lab.readJson(lab.statePath("containers.json"), {});
  return { containers: st.containers || [], pods: st.pods || [] };
}

function human(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(3).replace(/\.?0+$/, "")}GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1).replace(/\.0$/, "")}MB`;
  return `${Math.round(bytes / 1e3)}kB`;
}

function table(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? String(c) : String(c).padEnd(Math.max(w[i], 17) + 3)))
          .join("")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

function main(ctx) {
  const argv = ctx.argv;
  let endpoint = process.env.CONTAINER_RUNTIME_ENDPOINT || null;
  let imageEndpoint = process.env.IMAGE_SERVICE_ENDPOINT || null;
  let configFile = process.env.CRI_CONFIG_FILE || "/etc/crictl.yaml";
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eqv = (name) => (a.startsWith(`${name}=`) ? a.slice(name.length + 1) : null);
    if (a === "--runtime-endpoint" || a === "-r") endpoint = argv[++i];
    else if (eqv("--runtime-endpoint") !== null) endpoint = eqv("--runtime-endpoint");
    else if (a === "--image-endpoint" || a === "-i") imageEndpoint = argv[++i];
    else if (eqv("--image-endpoint") !== null) imageEndpoint = eqv("--image-endpoint");
    else if (a === "--config" || a === "-c") configFile = argv[++i];
    else if (a === "--timeout" || a === "-t") i++;
    else if (a === "--debug" || a === "-D") continue;
    else rest.push(a);
  }
  const [verb, ...args] = rest;
  if (verb === "--version" || verb === "-v") {
    const p = pkgs.installed("cri-tools");
    ctx.out(`crictl version v${p ? pkgs.upstreamVersion(p.version) : "1.35.0"}\n`);
    return 0;
  }
  const cfg = readYaml(configFile);
  if (!endpoint) endpoint = cfg["runtime-endpoint"] || null;
  if (!imageEndpoint) imageEndpoint = cfg["image-endpoint"] || null;
  let warned = "";
  if (!endpoint) {
    warned += logrus(
      "warning",
      `runtime connect using default endpoints: [${DEFAULT_ENDPOINTS.join(" ")}]. As the default settings are now deprecated, you should set the endpoint instead.`,
    );
    endpoint = DEFAULT_ENDPOINTS[0];
  }
  const imagesVerbs = ["pull", "images", "image", "img", "rmi", "inspecti", "imagefsinfo"];
  const ep = imagesVerbs.includes(verb) ? imageEndpoint || endpoint : endpoint;
  if (!imageEndpoint && imagesVerbs.includes(verb) && !cfg["image-endpoint"] && warned) {
    warned += logrus(
      "warning",
      `image connect using default endpoints: [${DEFAULT_ENDPOINTS.join(" ")}]. As the default settings are now deprecated, you should set the endpoint instead.`,
    );
  }
  if (warned) ctx.err(warned);
  const api = imagesVerbs.includes(verb) ? "image" : "runtime";
  const connect = () => {
    const sockPath = ep.replace(/^unix:\/\//, "");
    const ours = sockPath === units.SOCKET || sockPath === `/var${units.SOCKET}`;
    if (!ours || !fs.existsSync(lab.fsPath(units.SOCKET))) {
      ctx.fail(
        logrus(
          "fatal",
          `validate service connection: validate CRI v1 ${api} API for endpoint "${ep}": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${sockPath}: connect: no such file or directory"`,
        ).trimEnd(),
        1,
      );
    }
    const r = units.runtimeReachable();
    if (!r.ok) {
      const svc = api === "image" ? "runtime.v1.ImageService" : "runtime.v1.RuntimeService";
      const msg = r.reason.includes("Unimplemented")
        ? `validate service connection: validate CRI v1 ${api} API for endpoint "${ep}": rpc error: code = Unimplemented desc = unknown service ${svc}`
        : `validate service connection: validate CRI v1 ${api} API for endpoint "${ep}": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${sockPath}: connect: connection refused"`;
      ctx.fail(logrus("fatal", msg).trimEnd(), 1);
    }
  };
  const flags = new Set(
    args
      .filter((a) => a.startsWith("-"))
      .flatMap((a) => (/^-[a-z]{2,}$/.test(a) ? [...a.slice(1)].map((c) => `-${c}`) : [a])),
  );
  const pos = args.filter((a) => !a.startsWith("-"));
  const quiet = flags.has("-q") || flags.has("--quiet");
  switch (verb) {
    case "pull": {
      connect();
      if (!pos.length) ctx.fail(logrus("fatal", "image name cannot be empty").trimEnd(), 1);
      ctx.fault(`crictl pull ${pos[0]}`);
      const r = images.pull(pos[0]);
      if (!r.ok) ctx.fail(logrus("fatal", `pulling image: rpc error: code = Unknown desc = ${r.error}`).trimEnd(), 1);
      ctx.out(`Image is up to date for ${r.id}\n`);
      return 0;
    }
    case "images":
    case "image":
    case "img": {
      connect();
      let list = images.list();
      if (pos.length) list = images.find(pos[0]);
      if (quiet) {
        if (list.length) ctx.out(list.map((i) => i.id).join("\n") + "\n");
        return 0;
      }
      const rows = [["IMAGE", "TAG", "IMAGE ID", "SIZE"]];
      for (const i of list) {
        const n = images.normalize(i.ref);
        rows.push([`${n.registry}/${n.repo}`, n.tag || "<none>", i.id.slice(7, 20), human(i.size)]);
      }
      ctx.out(table(rows));
      return 0;
    }
    case "rmi": {
      connect();
      const all = flags.has("-a") || flags.has("--all");
      const prune = flags.has("--prune");
      const targets = all || prune ? images.list().map((i) => i.ref) : pos;
      if (!targets.length && !all && !prune) ctx.fail(logrus("fatal", "no image ID or name specified").trimEnd(), 1);
      for (const t of targets) {
        const hits = images.remove(t);
        if (!hits.length) ctx.fail(logrus("fatal", `no such image ${t} present`).trimEnd(), 1);
        for (const h of hits) ctx.out(`Deleted: ${h.ref}\n`);
      }
      return 0;
    }
    case "ps": {
      connect();
      const { containers } = containersDb();
      const all = flags.has("-a") || flags.has("--all");
      const list = containers.filter((c) => all || c.state === "Running");
      if (quiet) {
        if (list.length) ctx.out(list.map((c) => c.id).join("\n") + "\n");
        return 0;
      }
      const rows = [["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"]];
      for (const c of list)
        rows.push([
          c.id.slice(0, 13),
          (c.imageId || "").slice(7, 20),
          c.created || "About a minute ago",
          c.state,
          c.name,
          c.attempt || 0,
          (c.podId || "").slice(0, 13),
          c.pod || "",
        ]);
      ctx.out(table(rows));
      return 0;
    }
    case "pods": {
      connect();
      const { pods } = containersDb();
      if (quiet) {
        if (pods.length) ctx.out(pods.map((p) => p.id).join("\n") + "\n");
        return 0;
      }
      const rows = [["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"]];
      for (const p of pods)
        rows.push([
          p.id.slice(0, 13),
          p.created || "About a minute ago",
          p.state || "Ready",
          p.name,
          p.namespace || "kube-system",
          p.attempt || 0,
          "(default)",
        ]);
      ctx.out(table(rows));
      return 0;
    }
    case "rmp":
    case "rm": {
      connect();
      const all = flags.has("-a") || flags.has("--all");
      const force = flags.has("-f") || flags.has("--force");
      const db = containersDb();
      const key = verb === "rmp" ? "pods" : "containers";
      const targets = all ? db[key] : db[key].filter((x) => pos.some((p) => x.id.startsWith(p) || x.name === p));
      if (!all && !pos.length) ctx.fail(logrus("fatal", `ID cannot be empty`).trimEnd(), 1);
      const out = [];
      for (const t of targets) {
        if (verb === "rm" && t.state === "Running" && !force)
          ctx.fail(
            logrus(
              "fatal",
              `removing container "${t.id}": rpc error: code = Unknown desc = failed to remove container: container is running`,
            ).trimEnd(),
            1,
          );
        if (verb === "rmp") out.push(`Stopped sandbox ${t.id}`, `Removed sandbox ${t.id}`);
        else out.push(t.id);
      }
      lab.updateJson(lab.statePath("containers.json"), { containers: [], pods: [] }, (st) => {
        const ids = new Set(targets.map((t) => t.id));
        st[key] = (st[key] || []).filter((x) => !ids.has(x.id));
        if (verb === "rmp") st.containers = (st.containers || []).filter((c) => !ids.has(c.podId));
      });
      if (out.length) ctx.out(out.join("\n") + "\n");
      return 0;
    }
    case "info": {
      connect();
      const st = units.readState("containerd.service");
      ctx.out(
        JSON.stringify(
          {
            status: {
              conditions: [
                { type: "RuntimeReady", status: true, reason: "", message: "" },
                {
                  type: "NetworkReady",
                  status:
                    fs.existsSync(lab.fsPath("/etc/cni/net.d")) &&
                    fs.readdirSync(lab.fsPath("/etc/cni/net.d")).length > 0,
                  reason: "",
                  message: "",
                },
              ],
            },
            config: {
              sandboxImage: st.sandboxImage,
              containerd: { runtimes: { runc: { options: { SystemdCgroup: !!st.systemdCgroup } } } },
              registry: { configPath: st.configPath },
            },
          },
          null,
          2,
        ) + "\n",
      );
      return 0;
    }
    case "version": {
      connect();
      const p = pkgs.installed("containerd.io") || pkgs.installed("containerd");
      ctx.out(
        `Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  ${p ? `v${pkgs.upstreamVersion(p.version)}` : "v1.7.0"}\nRuntimeApiVersion:  v1\n`,
      );
      return 0;
    }
    case undefined:
      ctx.out("NAME:\n   crictl - client for CRI\n\nUSAGE:\n   crictl [global options] command [command options]\n");
      return 0;
    default:
      ctx.fail(logrus("fatal", `No help topic for '${verb}'`).trimEnd(), 3);
      return 3;
  }
}

module.exports = { main };
