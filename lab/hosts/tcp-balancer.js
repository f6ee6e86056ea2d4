"use strict";
/*
 * The lab's load balancer: what a user's own TCP load balancer in front of the API servers does (HAProxy in
 * TCP mode, a cloud network load balancer). Runs in its own network namespace (pk-<lab>-lb) on the lab
 * network; never on the machine's. Plain Node.js, no dependencies.
 *
 *   node tcp-balancer.js <config.json>
 *   config: { "listen": { "address": "198.18.0.252", "port": 6443 },
 *             "backends": [{ "name": "cp1", "address": "198.18.0.2", "port": 6443 }, ...],
 *             "checkIntervalMs": 1000, "check": "tcp" | "readyz" }
 *
 * A backend is healthy while its check passes (every checkIntervalMs, and whenever a forwarded connection fails to
 * open): "tcp", a TCP connection succeeds; "readyz" (the default), an HTTPS GET /readyz answers 200, what kubeadm's
 * HA guide has HAProxy check, so a starting or stopping API server, or one whose etcd lost its quorum, gets no
 * connections. New connections go round-robin to healthy backends; one that fails to
 * open is retried on the next, so a client sees a refused connection only when no API server is up.
 * Health changes are logged on stdout (the lab keeps them in .lab/<lab>/load-balancer.log).
 */
const fs = require("fs");
const https = require("https");
const net = require("net");

/** @typedef {{ name: string, address: string, port: number }} Backend */
/**
 * What lab/load-balancer.ts writes.
 * @type {{ listen: { address: string, port: number }, backends: Backend[], checkIntervalMs?: number,
 *   check?: import("../load-balancer").LoadBalancerCheck }}
 */
const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const interval = config.checkIntervalMs || 1000;
const healthy = new Map(config.backends.map((b) => [b.name, false]));
let next = 0;

/** @param {string} message */
function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/**
 * @param {Backend} backend
 * @param {boolean} ok
 */
function setHealth(backend, ok) {
  if (healthy.get(backend.name) === ok) return;
  healthy.set(backend.name, ok);
  log(`${backend.name} ${backend.address}:${backend.port} ${ok ? "up" : "down"}`);
}

/** @param {Backend} backend */
function check(backend) {
  if ((config.check || "readyz") === "readyz") checkReadyz(backend);
  else checkTcp(backend);
}

/** @param {Backend} backend */
function checkReadyz(backend) {
  // the API server's certificate is not checked: a load balancer in TCP mode has no CA to check it with
  const request = https.get(
    { host: backend.address, port: backend.port, path: "/readyz", rejectUnauthorized: false, agent: false },
    (response) => {
      response.resume();
      setHealth(backend, response.statusCode === 200);
    },
  );
  request.setTimeout(interval, () => request.destroy(new Error("timeout")));
  request.on("error", () => setHealth(backend, false));
}

/** @param {Backend} backend */
function checkTcp(backend) {
  const socket = net.connect({ host: backend.address, port: backend.port });
  let settled = false;
  /** @param {boolean} ok */
  const done = (ok) => {
    if (settled) return;
    settled = true;
    // A clean close (FIN) after a successful check: a reset would show up as an error in the backend's log.
    if (ok) socket.end();
    else socket.destroy();
    setHealth(backend, ok);
  };
  socket.setTimeout(interval, () => done(false));
  socket.once("connect", () => done(true));
  socket.on("error", () => done(false));
  socket.on("data", () => undefined);
}

/**
 * Healthy backends, round-robin. With none known healthy (at start, or between a backend's start and its next
 * check) every backend is tried rather than refusing: a connection only fails when none accepts it.
 */
function candidates() {
  const up = config.backends.filter((b) => healthy.get(b.name));
  const pool = up.length > 0 ? up : config.backends;
  const start = next++ % pool.length;
  return [...pool.slice(start), ...pool.slice(0, start)];
}

/**
 * @param {net.Socket} client
 * @param {Backend[]} queue
 */
function forward(client, queue) {
  const backend = queue.shift();
  if (!backend) {
    client.destroy();
    return;
  }
  const upstream = net.connect({ host: backend.address, port: backend.port });
  let opened = false;
  upstream.setTimeout(interval * 3, () => {
    if (!opened) upstream.destroy(new Error("connect timeout"));
  });
  upstream.once("connect", () => {
    opened = true;
    upstream.setTimeout(0);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.on("error", () => {
    if (!opened) {
      setHealth(backend, false);
      forward(client, queue);
    } else client.destroy();
  });
  client.on("error", () => upstream.destroy());
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => {
    if (opened) client.destroy();
  });
}

const server = net.createServer((client) => {
  client.pause();
  forward(client, candidates());
});
server.on("error", (e) => {
  log(`listen error: ${e.message}`);
  process.exit(1);
});
server.listen({ host: config.listen.address, port: config.listen.port }, () => {
  log(`listening on ${config.listen.address}:${config.listen.port}`);
});
for (const backend of config.backends) check(backend);
setInterval(() => config.backends.forEach(check), interval);
process.on("SIGTERM", () => process.exit(0));
