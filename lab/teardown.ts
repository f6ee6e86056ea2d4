// Removing a lab completely, from whatever state it is in: running, half-created, or left behind by a
// crashed controller. Leftovers are found three ways, so that no single lost file hides one: the pid files in
// the state dir, the `pk-<name>-` namespaces (and every process inside them), and every process whose
// command line names the lab's state dir or namespace prefix. Synchronous, so that it also runs in
// process.on("exit").
import * as fs from "fs";
import * as path from "path";
import { labCgroups, removeHostCgroupsSync } from "./hosts/cgroups";
import { namespacePids, readInit } from "./hosts/host";
import { readForwarder } from "./hosts/forwarder";
import {
  deleteNamespaceSync,
  labNamespaces,
  labNetwork,
  removeStaleGuardRoutesSync,
  switchBlockSync,
} from "./hosts/network";
import { allPids, cmdline, isRunning, killAndWaitSync, recordOf, type ProcessRecord } from "./hosts/processes";
import { labDir, machineLink, nsPrefix } from "./names";
import { runSync } from "./run";

export interface TeardownReport {
  killed: number;
  namespaces: string[];
  removedDir: boolean;
}

function recordedProcesses(dir: string): ProcessRecord[] {
  const hostsDir = path.join(dir, "hosts");
  let hosts: string[];
  try {
    hosts = fs.readdirSync(hostsDir);
  } catch {
    return [];
  }
  const out: ProcessRecord[] = [];
  for (const host of hosts) {
    const h = path.join(hostsDir, host);
    const init = readInit(h);
    if (init?.init) out.push(init.init);
    if (init?.unshare) out.push(init.unshare);
    const forwarder = readForwarder(h);
    if (forwarder) out.push(forwarder);
  }
  return out;
}

/** Processes whose command line names the lab: sshd -f <dir>/..., init.sh's unshare, forwarders' socat. */
function namedProcesses(dir: string, prefix: string): ProcessRecord[] {
  const out: ProcessRecord[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const cmd = cmdline(pid);
    if (!cmd) continue;
    if (cmd.includes(dir + "/") || cmd.endsWith(dir) || cmd.split(/[\s"']/).some((w) => w.startsWith(prefix))) {
      const record = recordOf(pid);
      if (record) out.push(record);
    }
  }
  return out;
}

function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + "/")));
}

function recordedBlock(lab: string): number | undefined {
  try {
    return labNetwork(lab).block;
  } catch {
    return switchBlockSync(lab);
  }
}

export function teardownLabSync(lab: string): TeardownReport {
  const dir = labDir(lab);
  const prefix = nsPrefix(lab);
  let killed = 0;
  // Twice: a forwarder may fork a connection, or a controller spawn a host, between the scan and the kill.
  for (let round = 0; round < 2; round++) {
    const namespaces = labNamespaces(lab);
    const targets = [
      ...recordedProcesses(dir),
      ...namespaces.flatMap((ns) => namespacePids(ns)),
      ...namedProcesses(dir, prefix),
    ];
    const unique = [...new Map(targets.map((t) => [`${t.pid}:${t.start}`, t])).values()].filter(isRunning);
    const survivors = killAndWaitSync(unique);
    if (survivors.length > 0) {
      throw new Error(`lab ${lab}: processes ${survivors.map((s) => s.pid).join(", ")} survive SIGKILL`);
    }
    killed += unique.length;
  }
  // Read before the switch goes: with the state dir lost, the switch's bridge is what tells the block.
  const block = recordedBlock(lab);
  const namespaces = labNamespaces(lab);
  for (const ns of namespaces) deleteNamespaceSync(ns);
  // The machine's link into the switch dies with the switch's namespace, but the kernel may do that later;
  // deleting it here frees the block at once.
  if (block !== undefined && fs.existsSync(`/sys/class/net/${machineLink(block)}`)) {
    runSync("ip", ["link", "del", machineLink(block)]);
  }
  removeStaleGuardRoutesSync();
  // Real nodes' cgroups (empty now that their processes are gone); a leftover one would hold the next lab's
  // host of the same name.
  const cgroupsLeft = labCgroups(prefix).flatMap((name) => removeHostCgroupsSync(name));
  if (cgroupsLeft.length > 0)
    throw new Error(`lab ${lab}: cgroups could not be removed:\n  ${cgroupsLeft.join("\n  ")}`);
  // Mounts of the hosts live in their own mount namespaces and died with them; a mount here would be a bug
  // elsewhere, but must still not make rm -rf walk into the machine's files.
  for (const mount of mountsUnder(dir).reverse()) runSync("umount", ["-l", mount]);
  const existed = fs.existsSync(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return { killed, namespaces, removedDir: existed };
}
