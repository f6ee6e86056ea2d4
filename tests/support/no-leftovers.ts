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

export const mochaHooks = {
  beforeAll(): void {
    labsBefore = new Set(labTraces().map(labOf));
  },
  afterAll(): void {
    const left = labTraces().filter((trace) => !labsBefore.has(labOf(trace)));
    if (left.length > 0) throw new Error(`the tests left lab traces on the machine:\n${left.join("\n")}`);
  },
};
