// A real node's host gets a cgroup subtree of its own in every cgroup v1 hierarchy, under the cgroups of the
// process that runs the lab (the machine may confine it, e.g. to a memory cgroup), and a cgroup namespace
// rooted there: its systemd, containerd and kubelet see that subtree as /sys/fs/cgroup and manage it as a real
// machine's, while their limits and accounting stay inside the lab's share of the machine.
import * as fs from "fs";
import * as path from "path";

const CGROUP_ROOT = "/sys/fs/cgroup";

export interface Hierarchy {
  /** The mount under /sys/fs/cgroup ("memory", "systemd"). */
  mount: string;
  /** This process's cgroup in it ("/process_api/<id>", "/"). */
  own: string;
}

/** The cgroup v1 hierarchies mounted under /sys/fs/cgroup, with this process's place in each. */
export function hierarchies(): Hierarchy[] {
  const own = new Map<string, string>();
  for (const line of fs.readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [id, controllers, cgroup] = line.split(":");
    if (id === undefined || cgroup === undefined || id === "0") continue;
    for (const controller of controllers.split(",")) own.set(controller.replace(/^name=/, ""), cgroup);
  }
  const found: Hierarchy[] = [];
  for (const line of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    // Fields after " - ": fstype, source, super options (the controllers of a v1 hierarchy).
    const [left, right] = line.split(" - ");
    if (!right) continue;
    const [fstype, , superOptions] = right.split(" ");
    const mountPoint = left.split(" ")[4];
    if (fstype !== "cgroup" || path.dirname(mountPoint) !== CGROUP_ROOT) continue;
    const controllers = superOptions.split(",").filter((o) => !["rw", "ro"].includes(o));
    const key = controllers.map((c) => c.replace(/^name=/, "")).find((c) => own.has(c));
    if (key) found.push({ mount: path.basename(mountPoint), own: own.get(key) as string });
  }
  return found;
}

/** The host's directory in one hierarchy. */
export function hostCgroupDir(h: Hierarchy, ns: string): string {
  return path.join(CGROUP_ROOT, h.mount, h.own, ns);
}

/**
 * Creates the host's cgroup in every hierarchy (cpuset needs its CPUs and memory nodes before a process can
 * join) and returns the cgroup.procs files the host's first process writes itself into.
 */
export function createHostCgroups(ns: string): string[] {
  const procs: string[] = [];
  for (const h of hierarchies()) {
    const dir = hostCgroupDir(h, ns);
    fs.mkdirSync(dir, { recursive: true });
    if (h.mount === "cpuset") {
      for (const file of ["cpuset.cpus", "cpuset.mems"]) {
        const parent = fs.readFileSync(path.join(path.dirname(dir), file), "utf8").trim();
        if (fs.readFileSync(path.join(dir, file), "utf8").trim() === "") fs.writeFileSync(path.join(dir, file), parent);
      }
    }
    procs.push(path.join(dir, "cgroup.procs"));
  }
  return procs;
}

/**
 * Removes the host's cgroups, deepest first (the kubelet and systemd leave kubepods/..., system.slice/...).
 * Only empty cgroups can go: call it once the host's processes are gone. Returns what could not be removed.
 */
export function removeHostCgroupsSync(ns: string, waitMs = 5000): string[] {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const left: string[] = [];
    for (const h of hierarchies()) {
      const dir = hostCgroupDir(h, ns);
      if (fs.existsSync(dir)) removeTree(dir, left);
    }
    if (left.length === 0 || Date.now() > deadline) return left;
    // Killed processes leave their cgroups a moment after they are reaped.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

function removeTree(dir: string, left: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeTree(path.join(dir, entry.name), left);
  }
  try {
    fs.rmdirSync(dir);
  } catch (error) {
    // A process that is still exiting holds its cgroup for a moment.
    left.push(`${dir}: ${(error as Error).message}`);
  }
}

/** Host cgroups of a lab that exist now (leftovers included), by namespace name. */
export function labCgroups(prefix: string): string[] {
  const names = new Set<string>();
  for (const h of hierarchies()) {
    const parent = path.join(CGROUP_ROOT, h.mount, h.own);
    if (!fs.existsSync(parent)) continue;
    for (const entry of fs.readdirSync(parent)) if (entry.startsWith(prefix)) names.add(entry);
  }
  return [...names];
}
