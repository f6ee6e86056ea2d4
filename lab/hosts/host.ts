// Booting and halting one host: init.sh as PID 1 of the host's PID namespace, inside its network namespace.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Distro } from "../inventory";
import { hostNs } from "../names";
import { runSync, sleep } from "../run";
import { familyOf } from "./distro";
import { installDoubles } from "./doubles";
import { connectHost, deleteNamespaceSync, namespaceExists } from "./network";
import { OVERLAY_DIRS, upperRoot } from "./mounts";
import { createHostCgroups, removeHostCgroupsSync } from "./cgroups";
import { childrenOf, isRunning, killAndWaitSync, recordOf, type ProcessRecord } from "./processes";

export const INIT_SCRIPT = path.join(__dirname, "init.sh");

/**
 * Capabilities no process on a host keeps (sshd is started without them): loading kernel modules, setting
 * the machine's clock, raw I/O. They act on the whole machine, not on the host's namespaces.
 */
export const DROPPED_CAPS = "-sys_module,-sys_time,-sys_rawio,-wake_alarm";
export const HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface HostContext {
  lab: string;
  name: string;
  index: number;
  distro: Distro;
  /** init-host's options (lab/spec.ts initArgs): what the first boot installs besides the distribution. */
  initArgs: string[];
  address: string;
  /** .lab/<lab>/hosts/<host> */
  dir: string;
  sharedDir: string;
  doublesDir: string;
}

export interface InitRecords {
  /** unshare, as started (ip netns exec replaces itself with it). */
  unshare: ProcessRecord;
  /** Its child: PID 1 of the host's PID namespace; nsenter targets it. */
  init?: ProcessRecord;
}

const initFile = (dir: string): string => path.join(dir, "init.json");

export function readInit(dir: string): InitRecords | undefined {
  try {
    return JSON.parse(fs.readFileSync(initFile(dir), "utf8")) as InitRecords;
  } catch {
    return undefined;
  }
}

export function isHostRunning(dir: string): boolean {
  const records = readInit(dir);
  return records?.init !== undefined && isRunning(records.init);
}

/** Powers the host on: doubles installed, namespace plugged in, init started. Resolves once init runs. */
export async function bootHost(host: HostContext): Promise<ProcessRecord> {
  const upper = upperRoot(host.dir);
  installDoubles(upper, familyOf(host.distro), host.doublesDir, path.join(host.dir, "doubles.json"));
  if (!namespaceExists(hostNs(host.lab, host.name))) await connectHost(host.lab, host.name, host.index);

  const log = fs.openSync(path.join(host.dir, "init.log"), "a");
  const ns = hostNs(host.lab, host.name);
  // The host's first process joins the host's cgroups before unshare makes them its cgroup namespace's root.
  const cgroupProcs = createHostCgroups(ns);
  const enterCgroups = [
    "sh",
    "-c",
    'IFS=:; for f in $LAB_CGROUP_PROCS; do echo $$ >"$f" || exit 1; done; exec "$@"',
    "sh",
  ];
  const [command, ...args] = [
    ...enterCgroups,
    "ip",
    "netns",
    "exec",
    ns,
    "unshare",
    "--mount",
    "--uts",
    "--pid",
    "--cgroup",
    "--ipc",
    "--fork",
    // Whoever kills unshare kills the host too (PR_SET_PDEATHSIG), even with SIGKILL.
    "--kill-child",
    "--mount-proc",
    "--propagation",
    "private",
    "/bin/bash",
    INIT_SCRIPT,
  ];
  const child = spawn(command, args, {
    // Its own session: the host outlives this process (`lab up` returns) and a ^C in its terminal.
    detached: true,
    stdio: ["ignore", log, log],
    env: {
      PATH: HOST_PATH,
      LANG: "C.UTF-8",
      LAB_HOST: host.name,
      LAB_HOST_DIR: host.dir,
      LAB_SHARED: host.sharedDir,
      LAB_OVERLAYS: OVERLAY_DIRS.join(" "),
      LAB_DROP_CAPS: DROPPED_CAPS,
      LAB_DOUBLES: host.doublesDir,
      LAB_NODE: process.execPath,
      LAB_DISTRO: host.distro,
      LAB_INIT_ARGS: host.initArgs.join(" "),
      LAB_CGROUP_PROCS: cgroupProcs.join(":"),
    },
  });
  fs.closeSync(log);
  child.unref();
  const unshare = child.pid !== undefined ? recordOf(child.pid) : undefined;
  if (!unshare) throw new Error(`host ${host.name}: could not start its init (${initLogTail(host.dir)})`);
  fs.writeFileSync(initFile(host.dir), JSON.stringify({ unshare } satisfies InitRecords) + "\n");

  const deadline = Date.now() + 10_000;
  for (;;) {
    const [pid] = childrenOf(unshare.pid);
    const init = pid !== undefined ? recordOf(pid) : undefined;
    if (init) {
      fs.writeFileSync(initFile(host.dir), JSON.stringify({ unshare, init } satisfies InitRecords) + "\n");
      return init;
    }
    if (!isRunning(unshare) || Date.now() > deadline) {
      throw new Error(`host ${host.name}: init did not start (${initLogTail(host.dir)})`);
    }
    await sleep(5);
  }
}

/**
 * Powers the host off: its init dies and the kernel kills every process of its PID namespace; the network
 * namespace goes too (unreachable, as a switched-off machine), to be created afresh at the next boot.
 */
export function haltHostSync(host: Pick<HostContext, "lab" | "name" | "dir">): void {
  const records = readInit(host.dir);
  const ns = hostNs(host.lab, host.name);
  const targets = [records?.init, records?.unshare].filter((r): r is ProcessRecord => r !== undefined);
  // Forwarded connections and `ip netns exec` shells are in the network namespace but not the PID namespace.
  targets.push(...namespacePids(ns));
  const survivors = killAndWaitSync(targets);
  if (survivors.length > 0)
    throw new Error(`host ${host.name}: processes ${survivors.map((s) => s.pid).join(", ")} survive SIGKILL`);
  deleteNamespaceSync(ns);
  // Its processes are gone, so its cgroups are empty.
  removeHostCgroupsSync(ns);
  fs.rmSync(initFile(host.dir), { force: true });
}

export function namespacePids(ns: string): ProcessRecord[] {
  if (!namespaceExists(ns)) return [];
  const out = runSync("ip", ["netns", "pids", ns]).stdout;
  return out
    .split(/\s+/)
    .filter(Boolean)
    .map((p) => recordOf(Number(p)))
    .filter((r): r is ProcessRecord => r !== undefined);
}

export function initLogTail(dir: string, lines = 10): string {
  try {
    const text = fs.readFileSync(path.join(dir, "init.log"), "utf8").trim().split("\n");
    return text.slice(-lines).join(" | ") || "init.log is empty";
  } catch {
    return "no init.log";
  }
}
