// Scale check (not a test): boots a lab of N hosts (default 50), logs into every one with OpenSSH, and reports
// times and memory. Run: ts-node --transpile-only bench/scale.ts [N]
import { execFile } from "child_process";
import * as fs from "fs";
import { namespacePids, readInit } from "../lab/hosts/host";
import { readForwarder } from "../lab/hosts/forwarder";
import { isRunning, type ProcessRecord } from "../lab/hosts/processes";
import { hostSpecs, startLab, type Lab } from "../lab/controller";
import { hostDir, hostNs } from "../lab/names";
import { mapLimit } from "../lab/run";

const LAB = "bench";

function meminfo(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

function procField(pid: number, file: string, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/${file}`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every process of the lab: each host's unshare, init and descendants, and the forwarders. */
function labProcesses(lab: Lab): ProcessRecord[] {
  const out = new Map<number, ProcessRecord>();
  for (const h of lab.inventory.hosts) {
    const dir = hostDir(lab.name, h.name);
    const init = readInit(dir);
    for (const r of [init?.unshare, readForwarder(dir), ...namespacePids(hostNs(lab.name, h.name))]) {
      if (r && isRunning(r)) out.set(r.pid, r);
    }
  }
  return [...out.values()];
}

function ssh(lab: Lab, host: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile("ssh", [...lab.sshArgs(host), "hostname"], { encoding: "utf8" }, (error, stdout) =>
      error || stdout.trim() !== host ? reject(new Error(`${host}: ${error?.message ?? stdout}`)) : resolve(),
    ),
  );
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 50);
  const availableBefore = meminfo("MemAvailable");
  let t = Date.now();
  const lab = await startLab({ name: LAB, hosts: hostSpecs(count, "mixed") });
  const boot = Date.now() - t;

  t = Date.now();
  await mapLimit(lab.inventory.hosts, 8, (h) => ssh(lab, h.name));
  const logins = Date.now() - t;

  const processes = labProcesses(lab);
  const rss = processes.reduce((sum, p) => sum + procField(p.pid, "status", "VmRSS"), 0);
  const pss = processes.reduce((sum, p) => sum + procField(p.pid, "smaps_rollup", "Pss"), 0);
  const availableDelta = availableBefore - meminfo("MemAvailable");

  t = Date.now();
  await lab.stop();
  const stop = Date.now() - t;

  const rows: [string, string][] = [
    ["hosts", String(count)],
    ["boot to all SSH banners (startLab)", secs(boot)],
    ["OpenSSH login + command on every host (8 at once)", secs(logins)],
    ["lab processes", String(processes.length)],
    ["sum of RSS", mib(rss)],
    ["sum of PSS (shared pages split)", mib(pss)],
    ["MemAvailable drop", mib(availableDelta)],
    ["stop (everything removed)", secs(stop)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
