// Processes the lab starts outlive the Node process that started them (a lab from `lab up` keeps running), so
// they are tracked by pid files. A pid alone could be reused by an unrelated process after the lab died, so a
// record also holds the process's start time, and nothing is signalled unless both match.
import * as fs from "fs";

export interface ProcessRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  start: number;
}

interface ProcStat {
  state: string;
  ppid: number;
  start: number;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted from the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], ppid: Number(fields[1]), start: Number(fields[19]) };
}

export function recordOf(pid: number): ProcessRecord | undefined {
  const stat = procStat(pid);
  return stat ? { pid, start: stat.start } : undefined;
}

/** True while the recorded process runs (a zombie has already released its namespaces: it counts as gone). */
export function isRunning(record: ProcessRecord | undefined): boolean {
  if (!record) return false;
  const stat = procStat(record.pid);
  return stat !== undefined && stat.start === record.start && stat.state !== "Z" && stat.state !== "X";
}

export function writeRecord(file: string, record: ProcessRecord): void {
  fs.writeFileSync(file, JSON.stringify(record) + "\n");
}

export function readRecord(file: string): ProcessRecord | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, "utf8")) as ProcessRecord;
    return Number.isInteger(value.pid) && Number.isInteger(value.start) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Direct children of a process (unshare's only child is the host's init). */
export function childrenOf(pid: number): number[] {
  try {
    const text = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

export function allPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** NUL-separated argv joined with spaces; empty for kernel threads and zombies. */
export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** This process and its ancestors: never signalled, whatever their command line says. */
export function selfAndAncestors(): Set<number> {
  const out = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !out.has(pid)) {
    out.add(pid);
    pid = procStat(pid)?.ppid ?? 0;
  }
  return out;
}

/** SIGKILLs the processes and waits until none runs any more (or the deadline passes: returns the survivors). */
export function killAndWaitSync(records: ProcessRecord[], timeoutMs = 10_000): ProcessRecord[] {
  const protectedPids = selfAndAncestors();
  const targets = records.filter((r) => !protectedPids.has(r.pid) && isRunning(r));
  for (const r of targets) {
    try {
      process.kill(r.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + timeoutMs;
  let alive = targets.filter(isRunning);
  while (alive.length > 0 && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    alive = alive.filter(isRunning);
  }
  return alive;
}
