"use strict";
/*
 * The lab's opt-in "real control plane" mode (/lab/settings.json `"controlPlane": "real"`, `lab up
 * --real-control-plane`, startLab({ realControlPlane: true }); lab/README.md, "Real control plane"): the kubeadm
 * double runs the real control plane from the manifests the real kubeadm wrote (static-pods.js) and the real
 * kubeadm's API phases against it; the kubelet double plays each node with kwok (kwok.js) once the node has its
 * kubelet.conf, after a real TLS bootstrap on workers (kubelet-agent.js).
 *
 * USE: const real = require("./real.js");
 *   real.enabled()                       whether this lab runs the real control plane
 *   real.startControlPlane(seconds)      static-pods start + wait: null when ready, else the reason
 *   real.stopControlPlane()              static-pods stop --grace 0 (what kubeadm reset's forcible stop does)
 *   real.kubeletStarted() / kubeletStopped()   the kubelet double's part (units.js): static Pods, agent, kwok
 *   real.grantKwok(kubeconfig)           kwok's reads (kwok.js grant)
 *   real.playedByDoubles(podName)        a static Pod the lab runs with a double, not the runner (kube-vip)
 */
const fs = require("fs");
const path = require("path");
const childProcess = require("child_process");
const host = require("./host.js");

const lab = host.lab;
const AGENT_PID = () => lab.statePath("kubelet-agent.pid");

function enabled() {
  const s = lab.readJson(lab.labPath("settings.json"), {}) || {};
  return s.controlPlane === "real";
}

const pods = () => require("./static-pods.js");
const kwok = () => require("./kwok.js");

function hasManifests() {
  try {
    return fs.readdirSync(lab.fsPath("/etc/kubernetes/manifests")).some((f) => f.endsWith(".yaml"));
  } catch {
    return false;
  }
}

/**
 * Static Pods the lab plays with a double of its own instead of the runner: kube-vip's image has no binary here
 * (kube-vip.js, started by daemon.js's ensureKubeVip, in both modes).
 */
const PLAYED_BY_DOUBLES = new Set(["kube-vip"]);

function playedByDoubles(name) {
  return PLAYED_BY_DOUBLES.has(name);
}

/** Runs the static Pods; waits for their readiness. null when ready, else why not (for kubeadm's error). */
function startControlPlane(timeoutSeconds) {
  const started = pods().start();
  const failed = started.filter((r) => r.action === "error" && !playedByDoubles(r.name));
  if (failed.length) return failed.map((r) => `${r.name}: ${r.error}`).join("; ");
  const r = childProcess.spawnSync(
    process.execPath,
    [path.join(__dirname, "static-pods.js"), "wait", "--timeout", String(timeoutSeconds)],
    { encoding: "utf8", env: process.env },
  );
  return r.status === 0 ? null : (r.stderr || r.stdout || `exit ${r.status}`).trim();
}

function stopControlPlane() {
  return pods().stop([], { graceSeconds: 0 });
}

function grantKwok(kubeconfig) {
  return kwok().grant(lab.fsPath(kubeconfig));
}

/** The kubelet started: its static Pods run, and the agent registers the Node and starts kwok (kubelet-agent.js). */
function kubeletStarted() {
  if (hasManifests()) {
    for (const r of pods().start()) {
      if (r.action === "error" && !playedByDoubles(r.name)) {
        lab.mkdirp(lab.logPath());
        fs.appendFileSync(lab.logPath("kubelet-agent.log"), `static Pod ${r.name}: ${r.error}\n`);
      }
    }
  }
  if (host.livePid(AGENT_PID())) return;
  require("./daemon.js").spawnDaemon("kubelet-agent.js", "kubelet-agent.log", AGENT_PID());
}

/** The kubelet stopped: no more heartbeats (kwok and the agent go); static Pods keep running, as containers do. */
function kubeletStopped() {
  const pid = host.livePid(AGENT_PID());
  if (pid) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  fs.rmSync(AGENT_PID(), { force: true });
  try {
    kwok().stop();
  } catch {
    /* not running */
  }
}

module.exports = {
  enabled,
  startControlPlane,
  stopControlPlane,
  grantKwok,
  kubeletStarted,
  kubeletStopped,
  playedByDoubles,
};
