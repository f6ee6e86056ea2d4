"use strict";
// Starting and stopping a control-plane host's lab API daemon (apiserver.js): what the kubelet does with the
// kube-apiserver static Pod (and with kube-vip's, kube-vip.js). kubeadm init/join start it, kubeadm reset stops it, and the kubelet double starts
// it when the kubelet starts on a host that has the manifest and a cluster to serve (after a reboot).
const fs = require("fs");
const path = require("path");
const childProcess = require("child_process");
const lab = require("../double.js");
const { livePid, processAlive } = require("./host.js");

const PID_FILE = () => lab.statePath("apiserver.pid");

function runningPid() {
  return livePid(PID_FILE());
}

/**
 * Starts a script of this folder as a detached daemon (it outlives the kubeadm or kubelet double that started
 * it), logging to the host's log folder, and records its pid.
 */
function spawnDaemon(script, logName, pidFile) {
  lab.mkdirp(lab.logPath());
  const logFd = fs.openSync(lab.logPath(logName), "a");
  const child = childProcess.spawn(process.execPath, [path.join(__dirname, script)], {
    detached: true,
    stdio: ["ignore", logFd, logFd],
    env: process.env,
  });
  child.unref();
  fs.closeSync(logFd);
  lab.mkdirp(lab.statePath());
  fs.writeFileSync(pidFile, `${child.pid}\n`);
  return child.pid;
}

function stopDaemon() {
  const pid = runningPid();
  if (pid) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* gone */
    }
    const deadline = Date.now() + 5000;
    while (processAlive(pid) && Date.now() < deadline) lab.sleepSeconds(0.05);
    if (processAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
  fs.rmSync(PID_FILE(), { force: true });
  fs.rmSync(lab.statePath("apiserver.json"), { force: true });
}

function startDaemon() {
  stopDaemon();
  return spawnDaemon("apiserver.js", "apiserver.log", PID_FILE());
}

/** The kubelet's part: the API server's static Pod runs while its manifest and this host's cluster config exist. */
function ensureStaticPodDaemon() {
  if (runningPid()) return;
  if (!fs.existsSync(lab.fsPath("/etc/kubernetes/manifests/kube-apiserver.yaml"))) return;
  const config = lab.readJson(lab.statePath("cluster.json"), null);
  if (!config || !config.apiserver || !config.cluster) return;
  if (!fs.existsSync(lab.labPath("clusters", config.cluster, "state.json"))) return;
  startDaemon();
}

/** kube-vip's static Pod (kube-vip.js): runs while its manifest exists; it stops by itself when it goes. */
function ensureKubeVip() {
  if (!fs.existsSync(lab.fsPath("/etc/kubernetes/manifests/kube-vip.yaml"))) return;
  const pidFile = lab.statePath("kube-vip.pid");
  if (livePid(pidFile)) return;
  spawnDaemon("kube-vip.js", "kube-vip.log", pidFile);
}

module.exports = { startDaemon, stopDaemon, runningPid, ensureStaticPodDaemon, ensureKubeVip, spawnDaemon };
