// A mocha root hook (see .mocharc.json): after the whole run, no lab that a test started may have left a
// namespace, process, mount or cgroup on the machine. Labs that existed before the run (a demo lab, say) are not
// the suite's and are ignored.
import * as fs from "fs";
import { execFileSync } from "child_process";
import * as path from "path";
import { labCgroups } from "../../lab/hosts/cgroups";
import { repoRoot } from "../../tools/paths";

const labStateDir = path.join(repoRoot, ".lab");

function labTraces(): string[] {
  const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter((name) => name.startsWith("pk-"))
    .map((name) => `namespace ${name}`);
  const mounts = fs
    .readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((mountPoint) => mountPoint.startsWith(labStateDir))
    .map((mountPoint) => `mount ${mountPoint}`);
  const processes = fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
        return cmdline.includes(`${labStateDir}/`) ? [`process ${entry}: ${cmdline.slice(0, 120)}`] : [];
      } catch {
        return [];
      }
    });
  // Real nodes' cgroups (lab/hosts/cgroups.ts), named after their namespaces.
  const cgroups = labCgroups("pk-").map((name) => `cgroup ${name}`);
  // The machine's link into each lab's switch, and each lab's guard route (lab/hosts/network.ts).
  const links = fs
    .readdirSync("/sys/class/net")
    .filter((name) => /^pklab\d+$/.test(name))
    .map((name) => `link ${name}`);
  const guards = execFileSync("ip", ["route", "show", "exact", "198.18.0.0/15", "type", "unreachable"], {
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean)
    .map((route) => `route ${route.trim()}`);
  return [...namespaces, ...mounts, ...processes, ...cgroups, ...links, ...guards];
}

/** Which lab a trace belongs to, so a lab that was there before the run is left out whatever it does. */
function labOf(trace: string): string {
  return /pk-([a-z0-9]+)-|\.lab\/([a-z0-9]+)\//.exec(trace)?.slice(1).find(Boolean) ?? trace;
}

let labsBefore = new Set<string>();

/** The blocks that labs of this checkout claimed (lab/hosts/network.ts writes network.json before the link). */
function ourBlocks(): Set<number> {
  const blocks = new Set<number>();
  for (const lab of fs.existsSync(labStateDir) ? fs.readdirSync(labStateDir) : []) {
    try {
      blocks.add(JSON.parse(fs.readFileSync(path.join(labStateDir, lab, "network.json"), "utf8")).block);
    } catch {
      // No network (yet).
    }
  }
  return blocks;
}

/**
 * A trace of this checkout's labs, not of another checkout's running on the same machine at the same time (lab
 * names and blocks are machine-wide, state dirs are not): teardown removes a lab's state dir last, so a lab of
 * ours that left anything behind still has it.
 */
function ours(trace: string): boolean {
  const link = /^(?:link pklab|route .* metric 10)(\d+)/.exec(trace);
  if (link) return ourBlocks().has(Number(link[1]));
  if (/^(namespace|cgroup) /.test(trace)) return fs.existsSync(path.join(labStateDir, labOf(trace)));
  return true;
}

export const mochaHooks = {
  beforeAll(): void {
    labsBefore = new Set(labTraces().map(labOf));
  },
  afterAll(): void {
    const left = labTraces().filter((trace) => !labsBefore.has(labOf(trace)) && ours(trace));
    if (left.length > 0) throw new Error(`the tests left lab traces on the machine:\n${left.join("\n")}`);
  },
};
