"use strict";
/*
 * What the API server sees of a lab node's kubelet, against the REAL control plane: kwok (sigs.k8s.io/kwok, built
 * by tools/setup, at $LAB_ROOT/tools/kwok with its own Stage files in $LAB_ROOT/tools/kwok-stages/). It makes a
 * Node Ready (conditions, addresses, capacity, heartbeats on its Lease in kube-node-lease) and the Pods bound to it
 * Running and Ready, and finishes their deletion, with no container behind them.
 *
 * Meant to run on the node's own host, as that node's kubelet, with the kubelet's credentials
 * (/etc/kubernetes/kubelet.conf, user system:node:<name>, so the Node authorizer and NodeRestriction limit every
 * write as they limit a kubelet's) and `node` = the Node's name: switching the host off then stops the heartbeats
 * and the node controller marks the Node NotReady/Unknown, as with a real kubelet. kwok reads a little more than
 * a kubelet may (a list of all Nodes when it starts, and a list/watch of its Lease where a kubelet only gets it):
 * grant() adds exactly that for the group system:nodes (ClusterRole and Role `lab:kwok-node`), once per cluster,
 * with an administrator's kubeconfig; until then kwok fails and is restarted. `all: true` or
 * `annotationSelector` (e.g. kwok.x-k8s.io/node=fake) make one kwok play every (matching) Node instead, with an
 * administrator's kubeconfig and no grant, but Nodes then outlive their hosts.
 *
 * USE (library):
 *   const kwok = require((process.env.LAB_ROOT || "/lab") + "/doubles/lib/kube/kwok.js");
 *   kwok.grant("/etc/kubernetes/super-admin.conf")  the RBAC above (kubectl apply: idempotent)
 *   kwok.start({ kubeconfig, node, nodeIP })   -> { pid, action: "started" | "running" | "restarted" }
 *   kwok.stop()                                -> whether it was running; waits until it is gone
 *   kwok.status()                              -> { running, pid, args }
 * USE (command line): node kwok.js grant --kubeconfig K
 *                     node kwok.js start --kubeconfig K (--node N [--node-ip IP] | --all | --annotation-selector S)
 *                     node kwok.js stop|status
 *
 * Log /var/log/lab/kwok.log ($LAB_LOG); pid and state /run/lab/kwok/ ($LAB_RUN). The kubelet does not register
 * Nodes here: whoever plays the kubelet's registration creates the Node (kwok only manages existing ones).
 */
const fs = require("fs");
const path = require("path");
const childProcess = require("child_process");
const pods = require("./static-pods.js");

const env = (name, dflt) => (process.env[name] ? process.env[name] : dflt);
const toolsDir = () => path.join(env("LAB_ROOT", "/lab"), "tools");
const runDir = () => path.join(env("LAB_RUN", "/run/lab"), "kwok");
const logFile = () => path.join(env("LAB_LOG", "/var/log/lab"), "kwok.log");
const NAME = "kwok";

/** A kubelet's default node-lease duration (kubelet's nodeLeaseDurationSeconds). */
const LEASE_SECONDS = 40;

const GRANT_NAME = "lab:kwok-node";
const GRANT_LABELS = { "app.kubernetes.io/managed-by": "pulumi-kubeadm-lab" };

/** The reads kwok makes beyond a kubelet's rights, for the kubelets' group (see the top of the file). */
function grantObjects() {
  const subjects = [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:nodes" }];
  const meta = (extra = {}) => ({ name: GRANT_NAME, labels: GRANT_LABELS, ...extra });
  return {
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: meta(),
        rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["list"] }],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: meta(),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: GRANT_NAME },
        subjects,
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: meta({ namespace: "kube-node-lease" }),
        rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["list", "watch"] }],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: meta({ namespace: "kube-node-lease" }),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: GRANT_NAME },
        subjects,
      },
    ],
  };
}

/** Applies grantObjects() with the real kubectl and `kubeconfig`; throws kubectl's error. */
function grant(kubeconfig) {
  const kubectl = path.join(toolsDir(), "kubectl");
  // The discovery cache goes to /run (emptied at boot), not the host's $HOME: real kubeadm leaves none there.
  const args = ["--kubeconfig", kubeconfig, "--cache-dir", "/run/lab/kubectl-cache", "apply", "-f", "-"];
  const r = childProcess.spawnSync(kubectl, args, {
    input: JSON.stringify(grantObjects()),
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`kwok grant: kubectl apply exited with ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

function argsFor({ kubeconfig, node, all, annotationSelector, nodeIP, leaseSeconds = LEASE_SECONDS }) {
  if (!kubeconfig) throw new Error("kwok: a kubeconfig is needed (the kubelet's /etc/kubernetes/kubelet.conf)");
  if (!fs.existsSync(kubeconfig)) throw new Error(`kwok: ${kubeconfig} does not exist`);
  const modes = [node, all, annotationSelector].filter(Boolean).length;
  if (modes !== 1) throw new Error("kwok: exactly one of node, all, annotationSelector");
  const stagesDir = path.join(toolsDir(), "kwok-stages");
  let stages = [];
  try {
    stages = fs
      .readdirSync(stagesDir)
      .filter((f) => f.endsWith(".yaml"))
      .sort();
  } catch {
    /* reported below */
  }
  // Without stages kwok refuses to start ("no stages found"): only kwokctl brings default ones.
  if (stages.length === 0) throw new Error(`kwok: no Stage files in ${stagesDir} (tools/setup copies them there)`);
  const args = [`--kubeconfig=${kubeconfig}`, `--node-lease-duration-seconds=${leaseSeconds}`];
  if (node) args.push(`--manage-single-node=${node}`);
  if (all) args.push("--manage-all-nodes=true");
  if (annotationSelector) args.push(`--manage-nodes-with-annotation-selector=${annotationSelector}`);
  // The InternalIP address a Node gets when it registered without any (its host's lab address).
  if (nodeIP) args.push(`--node-ip=${nodeIP}`);
  for (const f of stages) args.push(`--config=${path.join(stagesDir, f)}`);
  return args;
}

function start(options) {
  const binary = path.join(toolsDir(), "kwok");
  if (!fs.existsSync(binary)) throw new Error(`kwok: ${binary} does not exist (tools/setup builds it)`);
  const args = argsFor(options);
  const r = pods.running(runDir(), NAME);
  if (r && JSON.stringify(r.state.argv) === JSON.stringify(args)) return { pid: r.pid, action: "running" };
  if (r) pods.stopSupervised(runDir(), NAME, 10);
  const pid = pods.supervise({
    dir: runDir(),
    name: NAME,
    binary,
    argv: args,
    // kwok's own config default is ~/.kwok/kwok.yaml: HOME points where there is none, so only --config counts.
    env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: runDir() },
    cwd: "/",
    logFile: logFile(),
    extra: {},
  });
  return { pid, action: r ? "restarted" : "started" };
}

function stop() {
  return pods.stopSupervised(runDir(), NAME, 10);
}

function status() {
  const r = pods.running(runDir(), NAME);
  return { running: Boolean(r), pid: r ? r.pid : null, args: r ? r.state.argv : null };
}

module.exports = { start, stop, status, grant, grantObjects, argsFor, LEASE_SECONDS };

if (require.main === module) {
  const [verb, ...rest] = process.argv.slice(2);
  const opts = {};
  for (let k = 0; k < rest.length; k++) {
    const key = rest[k];
    if (key === "--all") opts.all = true;
    else if (key === "--kubeconfig") opts.kubeconfig = rest[++k];
    else if (key === "--node") opts.node = rest[++k];
    else if (key === "--node-ip") opts.nodeIP = rest[++k];
    else if (key === "--annotation-selector") opts.annotationSelector = rest[++k];
    else if (key === "--lease-seconds") opts.leaseSeconds = Number(rest[++k]);
    else {
      console.error(`kwok.js: unknown argument ${key}`);
      process.exit(2);
    }
  }
  try {
    if (verb === "grant") {
      if (!opts.kubeconfig) throw new Error("kwok.js grant: --kubeconfig is needed (an administrator's)");
      process.stdout.write(grant(opts.kubeconfig));
    } else if (verb === "start") {
      const r = start(opts);
      console.log(`kwok: ${r.action} (pid ${r.pid})`);
    } else if (verb === "stop") console.log(stop() ? "kwok: stopped" : "kwok: not running");
    else if (verb === "status") {
      const s = status();
      console.log(s.running ? `kwok: running (pid ${s.pid}) ${s.args.join(" ")}` : "kwok: stopped");
    } else {
      console.error(
        "usage: kwok.js start --kubeconfig K (--node N [--node-ip IP] | --all | --annotation-selector S) | stop | status",
      );
      process.exit(2);
    }
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
