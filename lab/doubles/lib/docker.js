"use strict";
/*
 * docker-ce doubles (lab/doubles/packages/docker-ce: /usr/bin/docker, /usr/bin/dockerd, docker.service), on hosts
 * started with Docker (lab/spec.ts HostKind docker). No Docker engine runs here; containers still run for real:
 * the CLI drives the host's real containerd with the real ctr, in containerd namespace "moby" as dockerd does, so
 * a restart of containerd (the product's containerd step) really keeps them running or really does not.
 *
 *   dockerd   waits for containerd's socket (--containerd=, default /run/containerd/containerd.sock; gives up
 *             after 20 s: "failed to start daemon: ..." exit 1, as dockerd does without containerd), then listens on
 *             /run/docker.sock (/var/run/docker.sock) and answers GET /_ping; SIGTERM ends it.
 *   docker    --version | version | info | run [-d] [--name N] [--rm] IMAGE [CMD...] | ps [-q] | rm [-f] NAME|ID...
 *             Every command but --version needs the daemon: "Cannot connect to the Docker daemon at
 *             unix:///var/run/docker.sock. Is the docker daemon running?" (exit 1; `docker run`: "docker: ..." 125).
 *             Images: docker.io references are pulled through /etc/docker/daemon.json "registry-mirrors" (http://
 *             mirrors plain HTTP), others from their registry ("insecure-registries" plain HTTP), then tagged
 *             with the reference Docker shows. A container's record is /var/lib/docker/containers/<id>/config.v2.json
 *             (name, image, command, created); running means a RUNNING task in `ctr -n moby task ls`. Containers
 *             get their own network namespace with loopback only (Docker's bridge network is not played).
 */
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");
const crypto = require("crypto");
const { spawnSync } = require("child_process");
const lab = require("./double.js");
const pkgs = require("./packages.js");

/** @typedef {import("./double.js").Ctx} Ctx */
/**
 * What dockerd keeps of a container: /var/lib/docker/containers/<id>/config.v2.json.
 * @typedef {{ ID: string, Name: string, Created: string, Config: { Image: string, Cmd: string[], Hostname: string } }}
 *   ContainerRecord
 */
/** @typedef {ReturnType<typeof parseImage>} Image */

const NAMESPACE = "moby";
const SOCKET = "/run/docker.sock";
const SHOWN_SOCKET = "unix:///var/run/docker.sock";
const CONTAINERD_SOCKET = "/run/containerd/containerd.sock";
const CANNOT_CONNECT = `Cannot connect to the Docker daemon at ${SHOWN_SOCKET}. Is the docker daemon running?`;
const BUILD = "9f9e405";

function version() {
  const installed = pkgs.installed("docker-ce");
  return (installed && pkgs.upstreamVersion(installed.version)) || "27.5.1";
}

/**
 * Whether something accepts connections on a unix socket (the daemon's or containerd's).
 * @param {string} socket
 * @param {number} [timeoutMs]
 * @returns {Promise<boolean>}
 */
function reachable(socket, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const conn = net.connect(lab.fsPath(socket));
    const timer = setTimeout(() => {
      conn.destroy();
      resolve(false);
    }, timeoutMs);
    conn.on("connect", () => {
      clearTimeout(timer);
      conn.end();
      resolve(true);
    });
    conn.on("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

// ---------------------------------------------------------------- dockerd

/** @param {Ctx} ctx */
async function daemon(ctx) {
  let containerd = CONTAINERD_SOCKET;
  for (const arg of ctx.argv) if (arg.startsWith("--containerd=")) containerd = arg.slice("--containerd=".length);
  /**
   * @param {string} level
   * @param {string} msg
   */
  const log = (level, msg) => ctx.err(`time="${new Date().toISOString()}" level=${level} msg="${msg}"\n`);
  log("info", "Starting up");
  const deadline = Date.now() + 20_000;
  while (!(await reachable(containerd, 1000))) {
    if (Date.now() > deadline) {
      ctx.err(`failed to start daemon: failed to dial "${containerd}": context deadline exceeded\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const socket = lab.fsPath(SOCKET);
  fs.rmSync(socket, { force: true });
  const server = net.createServer((conn) => {
    conn.on("data", () => {
      conn.end("HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nOK");
    });
    conn.on("error", () => {});
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socket, () => resolve(undefined));
  });
  fs.chmodSync(socket, 0o660);
  log("info", "Daemon has completed initialization");
  log("info", `API listen on ${SOCKET.replace(/^\/run/, "/var/run")}`);
  return new Promise((resolve) => {
    const stop = () => {
      log("info", "Processing signal 'terminated'");
      server.close();
      fs.rmSync(socket, { force: true });
      resolve(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}

// ---------------------------------------------------------------- ctr

/**
 * @param {string[]} args
 * @param {{ timeout?: number, inherit?: boolean }} [options]
 */
function ctr(args, options = {}) {
  const r = spawnSync("ctr", ["--address", CONTAINERD_SOCKET, "-n", NAMESPACE, ...args], {
    encoding: "utf8",
    timeout: options.timeout || 120_000,
    stdio: options.inherit ? "inherit" : "pipe",
  });
  return {
    code: r.status === null ? 1 : r.status,
    stdout: r.stdout || "",
    stderr: r.stderr || (r.error ? String(r.error) : ""),
  };
}

/** id -> "RUNNING" | "STOPPED" | ... for the moby namespace's tasks. */
function tasks() {
  const r = ctr(["task", "ls"]);
  if (r.code !== 0) throw lab.exit(1, `Error response from daemon: ${r.stderr.trim()}`);
  /** @type {Record<string, string>} */
  const out = {};
  for (const line of r.stdout.split("\n").slice(1)) {
    const [id, , status] = line.trim().split(/\s+/);
    if (id) out[id] = status;
  }
  return out;
}

// ---------------------------------------------------------------- containers' records

const containersDir = () => lab.fsPath("/var/lib/docker/containers");

/** @returns {ContainerRecord[]} */
function records() {
  let ids;
  try {
    ids = fs.readdirSync(containersDir());
  } catch {
    return [];
  }
  return ids
    .map((id) =>
      lab.readJson(path.join(containersDir(), id, "config.v2.json"), /** @type {ContainerRecord | null} */ (null)),
    )
    .filter((c) => c !== null)
    .sort((a, b) => b.Created.localeCompare(a.Created));
}

/** @param {string} ref */
function findContainer(ref) {
  const all = records();
  return (
    all.find((c) => c.Name === `/${ref}` || c.ID === ref) ||
    (ref.length >= 1 && all.filter((c) => c.ID.startsWith(ref)).length === 1
      ? all.find((c) => c.ID.startsWith(ref))
      : undefined)
  );
}

// ---------------------------------------------------------------- images

/**
 * "busybox" -> { canonical: "docker.io/library/busybox:latest", shown: "busybox:latest", registry: "docker.io", path }
 * @param {string} ref
 */
function parseImage(ref) {
  let rest = ref;
  let registry = "docker.io";
  const first = rest.split("/")[0];
  if (rest.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    rest = rest.slice(first.length + 1);
  }
  if (registry === "docker.io" && !rest.includes("/")) rest = `library/${rest}`;
  const last = /** @type {string} */ (rest.split("/").pop());
  if (!last.includes(":") && !last.includes("@")) rest = `${rest}:latest`;
  const shownPath = registry === "docker.io" ? rest.replace(/^library\//, "") : `${registry}/${rest}`;
  return { canonical: `${registry}/${rest}`, shown: shownPath, registry, path: rest };
}

/** @returns {{ "insecure-registries"?: string[], "registry-mirrors"?: string[] }} */
function daemonConfig() {
  return lab.readJson(lab.fsPath("/etc/docker/daemon.json"), {}) || {};
}

/** @param {string} canonical */
function imagePresent(canonical) {
  const r = ctr(["images", "ls", "-q"]);
  return r.code === 0 && r.stdout.split("\n").includes(canonical);
}

/**
 * Pulls as dockerd would: docker.io through the registry mirrors first. Returns an error text or null.
 * @param {Ctx} ctx
 * @param {Image} image
 */
function pull(ctx, image) {
  const config = daemonConfig();
  const insecure = config["insecure-registries"] || [];
  const candidates = [];
  if (image.registry === "docker.io") {
    for (const mirror of config["registry-mirrors"] || []) {
      const u = new URL(mirror);
      candidates.push({ ref: `${u.host}/${image.path}`, plain: u.protocol === "http:" || insecure.includes(u.host) });
    }
  }
  candidates.push({ ref: image.canonical, plain: insecure.includes(image.registry) });
  const [name, tag] = [image.shown.replace(/:[^:/]*$/, ""), image.path.split(":").pop()];
  ctx.err(`${tag}: Pulling from ${image.path.replace(/:[^:/]*$/, "")}\n`);
  let last = "";
  for (const c of candidates) {
    const r = ctr(["images", "pull", ...(c.plain ? ["--plain-http"] : []), c.ref], { timeout: 300_000 });
    if (r.code !== 0) {
      last = r.stderr.trim().split("\n").pop() ?? "";
      continue;
    }
    if (c.ref !== image.canonical) {
      ctr(["images", "tag", "--force", c.ref, image.canonical]);
      ctr(["images", "rm", c.ref]);
    }
    const digest = /digest: (sha256:[0-9a-f]+)/.exec(r.stdout);
    if (digest) ctx.err(`Digest: ${digest[1]}\n`);
    ctx.err(`Status: Downloaded newer image for ${name}:${tag}\n`);
    return null;
  }
  return image.registry === "docker.io"
    ? `Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host (${last})`
    : `Get "https://${image.registry}/v2/": ${last}`;
}

// ---------------------------------------------------------------- commands

/**
 * @param {Ctx} ctx
 * @param {string} command
 * @param {string} message
 */
function usageError(ctx, command, message) {
  ctx.err(`${message}\nSee 'docker ${command} --help'.\n`);
  return command === "run" ? 125 : 1;
}

/**
 * @param {Ctx} ctx
 * @param {string[]} argv
 */
async function run(ctx, argv) {
  let detach = false;
  /** @type {string | null} */
  let name = null;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) break;
    if (a === "-d" || a === "--detach") detach = true;
    else if (a === "--rm") continue;
    else if (a === "--name") name = argv[++i];
    else if (a.startsWith("--name=")) name = a.slice(7);
    else return usageError(ctx, "run", `unknown flag: ${a}`);
  }
  const [imageRef, ...command] = argv.slice(i);
  if (!imageRef) return usageError(ctx, "run", '"docker run" requires at least 1 argument.');
  if (!(await reachable(SOCKET))) {
    ctx.err(`docker: ${CANNOT_CONNECT}\nSee 'docker run --help'.\n`);
    return 125;
  }
  if (!(await reachable(CONTAINERD_SOCKET))) {
    ctx.err(`docker: Error response from daemon: failed to dial "${CONTAINERD_SOCKET}": connection refused.\n`);
    return 125;
  }
  if (name !== null && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
    ctx.err(
      `docker: Error response from daemon: Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed.\nSee 'docker run --help'.\n`,
    );
    return 125;
  }
  const id = crypto.randomBytes(32).toString("hex");
  if (name === null) name = `lab_${id.slice(0, 8)}`;
  const taken = records().find((c) => c.Name === `/${name}`);
  if (taken) {
    ctx.err(
      `docker: Error response from daemon: Conflict. The container name "/${name}" is already in use by container "${taken.ID}". You have to remove (or rename) that container to be able to reuse that name.\nSee 'docker run --help'.\n`,
    );
    return 125;
  }
  const image = parseImage(imageRef);
  if (!imagePresent(image.canonical)) {
    ctx.err(`Unable to find image '${image.shown}' locally\n`);
    const failed = pull(ctx, image);
    if (failed) {
      ctx.err(`docker: Error response from daemon: ${failed}.\nSee 'docker run --help'.\n`);
      return 125;
    }
  }
  const dir = path.join(containersDir(), id);
  lab.mkdirp(dir);
  lab.writeJson(path.join(dir, "config.v2.json"), {
    ID: id,
    Name: `/${name}`,
    Created: new Date().toISOString(),
    Config: { Image: imageRef, Cmd: command, Hostname: id.slice(0, 12) },
  });
  const r = ctr(["run", ...(detach ? ["--detach"] : []), image.canonical, id, ...command], { inherit: !detach });
  if (r.code !== 0 && detach) {
    ctr(["containers", "rm", id]);
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.err(`docker: Error response from daemon: failed to create task for container: ${r.stderr.trim()}.\n`);
    return 127;
  }
  if (detach) ctx.out(`${id}\n`);
  return detach ? 0 : r.code;
}

/**
 * go-units' HumanDuration, as `docker ps` shows ages.
 * @param {number} seconds
 */
function humanDuration(seconds) {
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  return `${Math.floor(hours / 24)} days`;
}

/**
 * text/tabwriter as the docker CLI sets it up for tables: minimum width 10, padding 3.
 * @param {string[][]} rows
 */
function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(10, ...rows.map((r) => r[c].length + 3)));
  return (
    rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join("")).join("\n") + "\n"
  );
}

/**
 * @param {Ctx} ctx
 * @param {string[]} argv
 */
async function ps(ctx, argv) {
  let quiet = false;
  for (const a of argv) {
    if (a === "-q" || a === "--quiet") quiet = true;
    else if (a === "--no-trunc") continue;
    else return usageError(ctx, "ps", `unknown flag: ${a} (the lab's docker double shows running containers only)`);
  }
  if (!(await reachable(SOCKET))) throw lab.exit(1, CANNOT_CONNECT);
  const running = tasks();
  const now = Date.now();
  const rows = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]];
  const ids = [];
  for (const c of records()) {
    if (running[c.ID] !== "RUNNING") continue;
    ids.push(c.ID.slice(0, 12));
    const command = JSON.stringify(c.Config.Cmd.join(" "));
    const shown = command.length > 22 ? `${command.slice(0, 20)}…"` : command;
    const age = humanDuration(Math.floor((now - Date.parse(c.Created)) / 1000));
    rows.push([c.ID.slice(0, 12), c.Config.Image, shown, `${age} ago`, `Up ${age}`, "", c.Name.slice(1)]);
  }
  ctx.out(quiet ? ids.map((id) => `${id}\n`).join("") : table(rows));
  return 0;
}

/**
 * @param {Ctx} ctx
 * @param {string[]} argv
 */
async function rm(ctx, argv) {
  let force = false;
  const refs = [];
  for (const a of argv) {
    if (a === "-f" || a === "--force") force = true;
    else if (a.startsWith("-")) return usageError(ctx, "rm", `unknown flag: ${a}`);
    else refs.push(a);
  }
  if (!refs.length) return usageError(ctx, "rm", '"docker rm" requires at least 1 argument.');
  if (!(await reachable(SOCKET))) throw lab.exit(1, CANNOT_CONNECT);
  let code = 0;
  for (const ref of refs) {
    const c = findContainer(ref);
    if (!c) {
      ctx.err(`Error response from daemon: No such container: ${ref}\n`);
      code = 1;
      continue;
    }
    const state = tasks()[c.ID];
    if (state === "RUNNING" && !force) {
      ctx.err(
        `Error response from daemon: cannot remove container "${c.Name}": container is running: stop the container before removing or force remove\n`,
      );
      code = 1;
      continue;
    }
    if (state) {
      ctr(["task", "kill", "--signal", "SIGKILL", c.ID]);
      for (let tries = 0; tries < 50 && tasks()[c.ID] === "RUNNING"; tries++) lab.sleepSeconds(0.1);
      ctr(["task", "delete", c.ID]);
    }
    ctr(["containers", "delete", c.ID]);
    fs.rmSync(path.join(containersDir(), c.ID), { recursive: true, force: true });
    ctx.out(`${ref}\n`);
  }
  return code;
}

function osName() {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync(lab.fsPath("/etc/os-release"), "utf8"));
    if (m) return m[1];
  } catch {
    /* unknown */
  }
  return "Linux";
}

/** @param {Ctx} ctx */
async function info(ctx) {
  const client = [
    "Client: Docker Engine - Community",
    ` Version:    ${version()}`,
    " Context:    default",
    " Debug Mode: false",
    "",
  ];
  ctx.out(client.join("\n") + "\nServer:\n");
  if (!(await reachable(SOCKET))) {
    ctx.err(`ERROR: ${CANNOT_CONNECT}\nerrors pretty printing info\n`);
    return 1;
  }
  if (!(await reachable(CONTAINERD_SOCKET))) {
    ctx.err(
      `ERROR: Error response from daemon: failed to dial "${CONTAINERD_SOCKET}": connection refused\nerrors pretty printing info\n`,
    );
    return 1;
  }
  const running = tasks();
  const all = records();
  const up = all.filter((c) => running[c.ID] === "RUNNING").length;
  const images = ctr(["images", "ls", "-q"]).stdout.split("\n").filter(Boolean).length;
  const containerd = /Version:\s+(\S+)[\s\S]*?Revision:\s+(\S+)/.exec(
    spawnSync("ctr", ["--address", CONTAINERD_SOCKET, "version"], { encoding: "utf8" }).stdout || "",
  );
  const mirrors = daemonConfig()["registry-mirrors"] || [];
  const lines = [
    ` Containers: ${all.length}`,
    `  Running: ${up}`,
    "  Paused: 0",
    `  Stopped: ${all.length - up}`,
    ` Images: ${images}`,
    ` Server Version: ${version()}`,
    " Storage Driver: overlayfs",
    "  driver-type: io.containerd.snapshotter.v1",
    " Logging Driver: json-file",
    " Cgroup Driver: cgroupfs",
    " Cgroup Version: 1",
    ` containerd version: ${containerd ? containerd[2] : "unknown"}`,
    ` Kernel Version: ${os.release()}`,
    ` Operating System: ${osName()}`,
    " OSType: linux",
    " Architecture: x86_64",
    ` Name: ${os.hostname()}`,
    " Docker Root Dir: /var/lib/docker",
    ...(mirrors.length ? [" Registry Mirrors:", ...mirrors.map((m) => `  ${m.replace(/\/?$/, "/")}`)] : []),
    " Live Restore Enabled: false",
  ];
  ctx.out(lines.join("\n") + "\n\n");
  return 0;
}

/** @param {Ctx} ctx */
async function cli(ctx) {
  const argv = ctx.argv;
  const [command, ...rest] = argv;
  switch (command) {
    case "--version":
    case "-v":
      ctx.out(`Docker version ${version()}, build ${BUILD}\n`);
      return 0;
    case "version":
      ctx.out(`Client: Docker Engine - Community\n Version:           ${version()}\n API version:       1.47\n`);
      if (!(await reachable(SOCKET))) throw lab.exit(1, CANNOT_CONNECT);
      ctx.out(`\nServer: Docker Engine - Community\n Engine:\n  Version:          ${version()}\n`);
      return 0;
    case "info":
      return info(ctx);
    case "run":
      return run(ctx, rest);
    case "ps":
      return ps(ctx, rest);
    case "rm":
      return rm(ctx, rest);
    case undefined:
      ctx.out("Usage:  docker [OPTIONS] COMMAND\n");
      return 0;
    default:
      ctx.err(`docker: '${command}' is not a docker command.\nSee 'docker --help'\n`);
      return 1;
  }
}

module.exports = { cli, daemon, parseImage, humanDuration };
