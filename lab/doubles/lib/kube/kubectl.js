"use strict";
// The kubectl double: node operations against the lab API daemon (see apiserver.js for its routes).
const fs = require("fs");
const path = require("path");
const host = require("./host.js");
const client = require("./client.js");
const yaml = require("./yaml.js");

const lab = host.lab;
const out = (s) => process.stdout.write(s);
const VERSION = "v1.35.4";
const KUSTOMIZE = "v5.7.1";

const BOOL = new Set([
  "ignore-daemonsets",
  "delete-emptydir-data",
  "force",
  "all",
  "client",
  "overwrite",
  "ignore-not-found",
  "disable-eviction",
  "show-labels",
  "no-headers",
  "wait",
]);

function parseArgs(argv) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    // "key:Effect-" arguments of taint start with a letter, never "-"
    if (!m || a === "-") {
      positional.push(a);
      continue;
    }
    let name = m[1];
    if (name === "o") name = "output";
    if (name === "n") name = "namespace";
    if (name === "A") name = "all-namespaces";
    if (name === "l") name = "selector";
    let value = m[2];
    if (BOOL.has(name) || name === "all-namespaces") value = value === undefined ? true : value !== "false";
    else if (value === undefined) value = argv[++i];
    flags[name] = value;
  }
  return { flags, positional };
}

function kubeconfigPath(flags) {
  if (flags.kubeconfig) return flags.kubeconfig;
  if (process.env.KUBECONFIG) return process.env.KUBECONFIG.split(":")[0];
  return path.join(process.env.HOME || "/root", ".kube", "config");
}

function connectionRefused(server) {
  const u = new URL(server);
  return lab.exit(1, `The connection to the server ${u.host} was refused - did you specify the right host or port?\n`);
}

function loadConfig(flags) {
  const p = kubeconfigPath(flags);
  const file = lab.fsPath(p);
  if (!fs.existsSync(file)) {
    if (flags.kubeconfig) throw lab.exit(1, `error: stat ${p}: no such file or directory\n`);
    // no config at all: kubectl falls back to http://localhost:8080
    throw lab.exit(
      1,
      "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n",
    );
  }
  let kc;
  try {
    kc = client.loadKubeconfig(file);
  } catch (e) {
    if (!e.code) throw e;
    throw lab.exit(1, `error: error loading config file "${p}": ${client.goReadError(e, p)}\n`);
  }
  if (flags.server) kc.server = flags.server;
  return kc;
}

function call(kc, method, p, body) {
  try {
    return client.requestSync({ ...kc, timeoutMs: 30000 }, method, p, body);
  } catch (e) {
    if (e.code === "ECONNREFUSED") throw connectionRefused(kc.server);
    const u = new URL(kc.server);
    throw lab.exit(1, `Unable to connect to the server: ${client.dialError(e, u.host)}\n`);
  }
}

function serverError(r) {
  const st = r.json || {};
  if (r.status === 401) return lab.exit(1, "error: You must be logged in to the server (Unauthorized)\n");
  return lab.exit(1, `Error from server (${st.reason || "InternalError"}): ${st.message || r.body}\n`);
}

function getNode(kc, name) {
  const r = call(kc, "GET", `/api/v1/nodes/${encodeURIComponent(name)}`);
  if (r.status !== 200) throw serverError(r);
  return r.json;
}

// ---- formatting
function humanDuration(seconds) {
  const s = Math.floor(seconds);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return `${s}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const r = s % 60;
    return r === 0 ? `${minutes}m` : `${minutes}m${r}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function tabwrite(rows) {
  const widths = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] || 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join("") + "\n").join("");
}

function nodeStatus(n) {
  const ready = ((n.status || {}).conditions || []).find((c) => c.type === "Ready");
  let s = ready && ready.status === "True" ? "Ready" : ready && ready.status === "Unknown" ? "NotReady" : "NotReady";
  if (n.spec && n.spec.unschedulable) s += ",SchedulingDisabled";
  return s;
}

function nodeRoles(n) {
  const roles = [];
  for (const [k, v] of Object.entries(n.metadata.labels || {})) {
    if (k.startsWith("node-role.kubernetes.io/")) roles.push(k.slice("node-role.kubernetes.io/".length));
    else if (k === "kubernetes.io/role") roles.push(v);
  }
  return roles.length ? [...new Set(roles)].sort().join(",") : "<none>";
}

function age(n) {
  return humanDuration((lab.now() - new Date(n.metadata.creationTimestamp)) / 1000);
}

function addr(n, type) {
  const a = ((n.status || {}).addresses || []).find((x) => x.type === type);
  return a ? a.address : "<none>";
}

function printNodes(nodes, flags, asList) {
  const o = flags.output;
  if (o === "json") {
    const obj = asList ? { apiVersion: "v1", items: nodes, kind: "List", metadata: { resourceVersion: "" } } : nodes[0];
    out(JSON.stringify(obj, null, 4) + "\n");
    return;
  }
  if (o === "yaml") {
    const obj = asList ? { apiVersion: "v1", items: nodes, kind: "List", metadata: { resourceVersion: "" } } : nodes[0];
    out(yaml.stringify(obj));
    return;
  }
  if (o === "name") {
    out(nodes.map((n) => `node/${n.metadata.name}\n`).join(""));
    return;
  }
  if (o && o.startsWith("jsonpath=")) {
    out(jsonpath(asList ? { items: nodes } : nodes[0], o.slice("jsonpath=".length)));
    return;
  }
  const wide = o === "wide";
  const header = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"];
  if (wide) header.push("INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME");
  if (flags["show-labels"]) header.push("LABELS");
  const rows = flags["no-headers"] ? [] : [header];
  for (const n of nodes) {
    const info = (n.status || {}).nodeInfo || {};
    const row = [n.metadata.name, nodeStatus(n), nodeRoles(n), age(n), info.kubeletVersion || ""];
    if (wide)
      row.push(
        addr(n, "InternalIP"),
        addr(n, "ExternalIP"),
        info.osImage || "",
        info.kernelVersion || "",
        info.containerRuntimeVersion || "",
      );
    if (flags["show-labels"])
      row.push(
        Object.entries(n.metadata.labels || {})
          .sort()
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
      );
    rows.push(row);
  }
  out(tabwrite(rows));
}

/** Enough JSONPath for scripts: {.a.b}, {.items[*].x}, {.items[0].x}, {range .items[*]}...{end} is not supported. */
function jsonpath(obj, expr) {
  return expr.replace(/\{([^}]*)\}/g, (all, p) => {
    let vals = [obj];
    for (const part of p.replace(/^\./, "").split(/\.(?![^[]*\])/)) {
      if (!part) continue;
      const m = /^([^[]*)(?:\[(\*|\d+)\])?$/.exec(part);
      vals = vals.flatMap((v) => {
        let x = m[1] ? (v || {})[m[1]] : v;
        if (m[2] === "*") return Array.isArray(x) ? x : [];
        if (m[2] !== undefined) return [Array.isArray(x) ? x[Number(m[2])] : undefined];
        return [x];
      });
    }
    return vals
      .filter((v) => v !== undefined)
      .map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v)))
      .join(" ");
  });
}

// ---- commands
/** `kubectl get --raw PATH`: the body as the server sent it; an error status as kubectl reports one. */
function getRaw(kc, rawPath) {
  const r = call(kc, "GET", rawPath);
  if (r.status >= 200 && r.status < 300) {
    out(r.body);
    return 0;
  }
  if (r.json && r.json.kind === "Status") throw serverError(r);
  throw lab.exit(
    1,
    `Error from server (InternalError): an error on the server ("${r.body.replace(/\n/g, "\\n")}") has prevented the request from succeeding\n`,
  );
}

function get(kc, flags, args) {
  if (typeof flags.raw === "string") return getRaw(kc, flags.raw);
  const [resource, ...names] = args;
  if (!["nodes", "node", "no"].includes(resource))
    throw lab.exit(1, `error: the server doesn't have a resource type "${resource}"\n`);
  if (names.length === 0) {
    const selector = typeof flags.selector === "string" ? `?labelSelector=${encodeURIComponent(flags.selector)}` : "";
    const r = call(kc, "GET", `/api/v1/nodes${selector}`);
    if (r.status !== 200) throw serverError(r);
    if (r.json.items.length === 0) {
      process.stderr.write("No resources found\n");
      return 0;
    }
    printNodes(r.json.items, flags, true);
    return 0;
  }
  const found = [];
  const errors = [];
  for (const name of names) {
    const r = call(kc, "GET", `/api/v1/nodes/${encodeURIComponent(name)}`);
    if (r.status === 200) found.push(r.json);
    else if (r.status === 404 && flags["ignore-not-found"]) continue;
    else
      errors.push(
        `Error from server (${(r.json || {}).reason || "InternalError"}): ${(r.json || {}).message || r.body}\n`,
      );
  }
  if (found.length) printNodes(found, flags, names.length > 1);
  if (errors.length) throw lab.exit(1, errors.join(""));
  return 0;
}

function setUnschedulable(kc, name, value) {
  const n = getNode(kc, name);
  const already = !!(n.spec && n.spec.unschedulable) === value;
  if (!already) {
    const r = call(kc, "PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, {
      spec: { unschedulable: value ? true : null },
    });
    if (r.status !== 200) throw serverError(r);
  }
  return already;
}

function cordon(kc, flags, args, value) {
  if (!args.length)
    throw lab.exit(
      1,
      `error: USAGE: ${value ? "cordon" : "uncordon"} NODE [flags]\nSee 'kubectl ${value ? "cordon" : "uncordon"} -h' for help and examples\n`,
    );
  for (const name of args) {
    const already = setUnschedulable(kc, name, value);
    out(`node/${name} ${already ? "already " : ""}${value ? "cordoned" : "uncordoned"}\n`);
  }
  return 0;
}

function drainFault(args) {
  const faults = lab.readJson(lab.labPath("faults", `${lab.host()}.json`), {}) || {};
  let best = null;
  for (const k of Object.keys(faults)) {
    if (lab.matchKey(k, "kubectl", ["drain", ...args]) && k.trim().split(/\s+/)[1] === "drain") {
      if (!best || k.split(/\s+/).length > best.split(/\s+/).length) best = k;
    }
  }
  return best ? faults[best] : null;
}

function drain(kc, flags, args) {
  if (!args.length)
    throw lab.exit(1, "error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples\n");
  for (const name of args) {
    const already = setUnschedulable(kc, name, true);
    out(`node/${name} ${already ? "already " : ""}cordoned\n`);
    const fault = drainFault(args);
    if (fault && fault.fail !== undefined && fault.fail !== false) {
      const msg =
        fault.fail === true
          ? `[error when evicting pods/"app-0" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.]`
          : String(fault.fail);
      throw lab.exit(
        1,
        `error: unable to drain node "${name}" due to error: ${msg}, continuing command...\nThere are pending nodes to be drained:\n ${name}\nerror: ${msg}\n`,
      );
    }
    const pods = call(kc, "GET", `/api/v1/pods?fieldSelector=spec.nodeName%3D${encodeURIComponent(name)}`);
    if (pods.status !== 200) throw serverError(pods);
    out(`node/${name} drained\n`);
  }
  return 0;
}

const NAMESPACED = {
  secret: "secrets",
  secrets: "secrets",
  configmap: "configmaps",
  configmaps: "configmaps",
  cm: "configmaps",
};

function del(kc, flags, args) {
  const [resource, ...names] = args;
  const namespaced = NAMESPACED[resource];
  if (!["nodes", "node", "no"].includes(resource) && !namespaced)
    throw lab.exit(1, `error: the server doesn't have a resource type "${resource}"\n`);
  if (!names.length) throw lab.exit(1, "error: resource(s) were provided, but no name was specified\n");
  const ns = typeof flags.namespace === "string" ? flags.namespace : "default";
  const kind = namespaced ? namespaced.replace(/s$/, "") : "node";
  const errors = [];
  for (const name of names) {
    const p = namespaced
      ? `/api/v1/namespaces/${encodeURIComponent(ns)}/${namespaced}/${encodeURIComponent(name)}`
      : `/api/v1/nodes/${encodeURIComponent(name)}`;
    const r = call(kc, "DELETE", p);
    if (r.status === 200) out(`${kind} "${name}" deleted${namespaced ? ` from ${ns} namespace` : ""}\n`);
    else if (r.status === 404 && flags["ignore-not-found"]) continue;
    else
      errors.push(
        `Error from server (${(r.json || {}).reason || "InternalError"}): ${(r.json || {}).message || r.body}\n`,
      );
  }
  if (errors.length) throw lab.exit(1, errors.join(""));
  return 0;
}

function parseTaintArg(a) {
  const remove = a.endsWith("-");
  const s = remove ? a.slice(0, -1) : a;
  const m = /^([^=:]+)(?:=([^:]*))?(?::(NoSchedule|PreferNoSchedule|NoExecute))?$/.exec(s);
  if (!m || (!remove && !m[3])) return null;
  return { key: m[1], value: m[2], effect: m[3], remove };
}

function taint(kc, flags, args) {
  const [resource, ...rest] = args;
  if (!["nodes", "node", "no"].includes(resource))
    throw lab.exit(1, `error: invalid resource type ${resource}, only nodes are supported\n`);
  let names;
  let specs;
  if (flags.all) {
    specs = rest;
    const r = call(kc, "GET", "/api/v1/nodes");
    if (r.status !== 200) throw serverError(r);
    names = r.json.items.map((n) => n.metadata.name);
  } else {
    names = rest.slice(0, 1);
    specs = rest.slice(1);
  }
  if (!names.length || !specs.length)
    throw lab.exit(1, "error: at least one taint update is required\nSee 'kubectl taint -h' for help and examples\n");
  const parsed = specs.map(parseTaintArg);
  const bad = specs.find((s, i) => !parsed[i]);
  if (bad) throw lab.exit(1, `error: invalid taint spec: ${bad}, unknown taint spec: ${bad}\n`);
  const errors = [];
  for (const name of names) {
    try {
      taintOne(kc, flags, name, parsed);
    } catch (e) {
      if (!(e instanceof lab.DoubleExit) || !flags.all) throw e;
      errors.push(e.stderr);
    }
  }
  if (errors.length) throw lab.exit(1, errors.join(""));
  return 0;
}

function taintOne(kc, flags, name, parsed) {
  {
    const n = getNode(kc, name);
    let taints = [...((n.spec || {}).taints || [])];
    let removed = false;
    let added = false;
    for (const t of parsed) {
      if (t.remove) {
        const before = taints.length;
        taints = taints.filter((x) => !(x.key === t.key && (!t.effect || x.effect === t.effect)));
        if (taints.length === before) {
          throw lab.exit(1, `error: taint "${t.key}${t.effect ? `:${t.effect}` : ""}" not found\n`);
        }
        removed = true;
      } else {
        const same = taints.find((x) => x.key === t.key && x.effect === t.effect);
        if (same && !flags.overwrite) {
          throw lab.exit(
            1,
            `error: node ${name} already has ${t.key} taint(s) with same effect(s) and --overwrite is false\n`,
          );
        }
        taints = taints.filter((x) => !(x.key === t.key && x.effect === t.effect));
        taints.push({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect });
        added = true;
      }
    }
    const r = call(kc, "PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, {
      spec: { taints: taints.length ? taints : null },
    });
    if (r.status !== 200) throw serverError(r);
    out(`node/${name} ${removed && !added ? "untainted" : "tainted"}\n`);
  }
}

/** Rows of a describe table, indented by two spaces, columns padded by two (kubectl's tabwriter). */
function describeTable(rows) {
  const widths = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] || 0, c.length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 2))).join("")}`);
}

function describe(kc, flags, args) {
  const [resource, ...names] = args;
  if (!["nodes", "node", "no"].includes(resource))
    throw lab.exit(1, `error: the server doesn't have a resource type "${resource}"\n`);
  let nodes;
  if (names.length) nodes = names.map((n) => getNode(kc, n));
  else {
    const r = call(kc, "GET", "/api/v1/nodes");
    if (r.status !== 200) throw serverError(r);
    nodes = r.json.items;
  }
  const pad = (k) => `${k}:`.padEnd(20);
  const blocks = nodes.map((n) => {
    const labels = Object.entries(n.metadata.labels || {}).sort();
    const ann = Object.entries(n.metadata.annotations || {}).sort();
    const taints = (n.spec || {}).taints || [];
    const info = (n.status || {}).nodeInfo || {};
    const lines = [];
    lines.push(`${pad("Name")}${n.metadata.name}`);
    lines.push(`${pad("Roles")}${nodeRoles(n)}`);
    lines.push(
      labels.length
        ? `${pad("Labels")}${labels.map(([k, v], i) => `${i ? " ".repeat(20) : ""}${k}=${v}`).join("\n")}`
        : `${pad("Labels")}<none>`,
    );
    lines.push(
      ann.length
        ? `${pad("Annotations")}${ann.map(([k, v], i) => `${i ? " ".repeat(20) : ""}${k}: ${v}`).join("\n")}`
        : `${pad("Annotations")}<none>`,
    );
    lines.push(
      `${pad("CreationTimestamp")}${new Date(n.metadata.creationTimestamp).toUTCString().replace("GMT", "+0000")}`,
    );
    lines.push(
      taints.length
        ? `${pad("Taints")}${taints.map((t, i) => `${i ? " ".repeat(20) : ""}${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`).join("\n")}`
        : `${pad("Taints")}<none>`,
    );
    lines.push(`${pad("Unschedulable")}${n.spec && n.spec.unschedulable ? "true" : "false"}`);
    // describe's output goes through a tabwriter (padding 2): each table's columns are as wide as their cells
    lines.push("Conditions:");
    const when = (t) => (t ? new Date(t).toUTCString().replace("GMT", "+0000") : "");
    lines.push(
      ...describeTable([
        ["Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"],
        ["----", "------", "-----------------", "------------------", "------", "-------"],
        ...((n.status || {}).conditions || []).map((c) => [
          c.type,
          c.status,
          when(c.lastHeartbeatTime),
          when(c.lastTransitionTime),
          c.reason || "",
          c.message || "",
        ]),
      ]),
    );
    lines.push("Addresses:");
    lines.push(...describeTable(((n.status || {}).addresses || []).map((a) => [`${a.type}:`, a.address])));
    lines.push("System Info:");
    lines.push(`  Kernel Version:             ${info.kernelVersion || ""}`);
    lines.push(`  OS Image:                   ${info.osImage || ""}`);
    lines.push(`  Operating System:           ${info.operatingSystem || ""}`);
    lines.push(`  Architecture:               ${info.architecture || ""}`);
    lines.push(`  Container Runtime Version:  ${info.containerRuntimeVersion || ""}`);
    lines.push(`  Kubelet Version:            ${info.kubeletVersion || ""}`);
    lines.push("Events:              <none>");
    return lines.join("\n") + "\n";
  });
  out(blocks.join("\n\n"));
  return 0;
}

function version(flags) {
  if (flags.output === "json") {
    out(
      JSON.stringify(
        {
          clientVersion: { major: "1", minor: "35", gitVersion: VERSION, platform: "linux/amd64" },
          kustomizeVersion: KUSTOMIZE,
        },
        null,
        2,
      ) + "\n",
    );
    return 0;
  }
  out(`Client Version: ${VERSION}\nKustomize Version: ${KUSTOMIZE}\n`);
  if (flags.client) return 0;
  const kc = loadConfig(flags);
  const r = call(kc, "GET", "/version");
  if (r.status !== 200) throw serverError(r);
  out(`Server Version: ${r.json.gitVersion}\n`);
  return 0;
}

function clusterInfo(kc) {
  const r = call(kc, "GET", "/api/v1/namespaces/kube-system/configmaps/kubeadm-config");
  if (r.status === 401) throw serverError(r);
  out(`\x1b[0;32mKubernetes control plane\x1b[0m is running at \x1b[0;33m${kc.server}\x1b[0m\n`);
  out(
    `\x1b[0;32mCoreDNS\x1b[0m is running at \x1b[0;33m${kc.server}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\x1b[0m\n`,
  );
  out("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n");
  return 0;
}

/** Real-control-plane mode (real.js): the real kubectl does the work; the drain fault still fires as above. */
function realKubectl(argv) {
  const r = require("child_process").spawnSync(lab.labPath("tools", "kubectl"), argv, {
    stdio: ["inherit", "pipe", "pipe"],
    encoding: "utf8",
    env: process.env,
  });
  if (r.error) throw lab.exit(1, `error: ${r.error.message}\n`);
  out(r.stdout || "");
  if (r.status !== 0) throw lab.exit(r.status || 1, r.stderr || "");
  if (r.stderr) process.stderr.write(r.stderr);
  return 0;
}

function main(ctx) {
  const { flags, positional } = parseArgs(ctx.argv);
  const [cmd, ...args] = positional;
  if (require("./real.js").enabled()) {
    const fault = cmd === "drain" ? drainFault(args) : null;
    if (!(fault && fault.fail !== undefined && fault.fail !== false)) return realKubectl(ctx.argv);
  }
  if (cmd === "version") return version(flags);
  if (!cmd) throw lab.exit(1, "error: a command is required\n");
  const known = ["get", "drain", "cordon", "uncordon", "delete", "taint", "describe", "cluster-info"];
  if (!known.includes(cmd)) throw lab.exit(1, `error: unknown command "${cmd}" for "kubectl"\n`);
  const kc = loadConfig(flags);
  switch (cmd) {
    case "get":
      return get(kc, flags, args);
    case "drain":
      return drain(kc, flags, args);
    case "cordon":
      return cordon(kc, flags, args, true);
    case "uncordon":
      return cordon(kc, flags, args, false);
    case "delete":
      return del(kc, flags, args);
    case "taint":
      return taint(kc, flags, args);
    case "describe":
      return describe(kc, flags, args);
    default:
      return clusterInfo(kc);
  }
}

function run(argv) {
  // kubectl drain handles its own fault (it prints "cordoned" first, then kubectl's drain error)
  lab.runDouble("kubectl", argv, main, {
    faultArgv: (a) => (a.includes("drain") ? a.map((x) => (x === "drain" ? "\u0000drain" : x)) : a),
  });
}

module.exports = { run, humanDuration, parseTaintArg };
