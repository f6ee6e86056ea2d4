// A mocha root hook (see .mocharc.json): no lab that this test process started may have left a namespace, process,
// mount, cgroup, link or route on the machine. In a serial run the hooks below run once, around the whole run; in the
// suite's parallel run (.mocharc.lanes.js: two worker processes) mocha runs them around each test file, so each file
// is checked on its own. A lab is this process's when it, or a process it ran (`lab up`, tools/demo), started it:
// lab/started.ts notes every start in the file PULUMI_KUBEADM_STARTED_LABS names, one file per process. Labs of the
// other worker, running beside it, are not its business, and neither are labs that existed before (a demo lab).
import * as fs from "fs";
import { execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { labCgroups } from "../../lab/hosts/cgroups";
import { machineLinkLabsSync } from "../../lab/hosts/network";
import { labsRoot } from "../../lab/names";
import { readStartedLabs, STARTED_LABS_ENV } from "../../lab/started";

const startedFile = path.join(os.tmpdir(), `pk-started-labs-${process.pid}`);
// Set here, in each process mocha loads this file into (its own and each worker), and inherited by what tests run.
fs.rmSync(startedFile, { force: true });
process.env[STARTED_LABS_ENV] = startedFile;
process.on("exit", () => fs.rmSync(startedFile, { force: true }));

interface Trace {
  text: string;
  /** The lab it belongs to, when it tells. */
  lab?: string;
  /** The address block of a link or route that no lab claims. */
  block?: number;
}

/** The lab whose state dir (network.json, written before the link; removed last at teardown) claims `block`. */
function stateDirLab(block: number, labStateDir: string): string | undefined {
  for (const lab of fs.existsSync(labStateDir) ? fs.readdirSync(labStateDir) : []) {
    try {
      if (JSON.parse(fs.readFileSync(path.join(labStateDir, lab, "network.json"), "utf8")).block === block) return lab;
    } catch {
      // No network (yet).
    }
  }
  return undefined;
}

function labTraces(): Trace[] {
  const labStateDir = labsRoot();
  const underStateDir = new RegExp(`${labStateDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/([a-z0-9]+)(?:/|\\s|$)`);
  const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter((name) => name.startsWith("pk-"))
    .map((name) => ({ text: `namespace ${name}`, lab: /^pk-([a-z0-9]+)-/.exec(name)?.[1] }));
  const mounts = fs
    .readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((mountPoint) => mountPoint.startsWith(labStateDir))
    .map((mountPoint) => ({ text: `mount ${mountPoint}`, lab: underStateDir.exec(mountPoint)?.[1] }));
  const processes = fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
        if (!cmdline.includes(`${labStateDir}/`)) return [];
        return [{ text: `process ${entry}: ${cmdline.slice(0, 120)}`, lab: underStateDir.exec(cmdline)?.[1] }];
      } catch {
        return [];
      }
    });
  // Real nodes' cgroups (lab/hosts/cgroups.ts), named after their namespaces.
  const cgroups = labCgroups("pk-").map((name) => ({
    text: `cgroup ${name}`,
    lab: /^pk-([a-z0-9]+)-/.exec(name)?.[1],
  }));
  // The machine's link into each lab's switch, and each lab's guard route (lab/hosts/network.ts): the lab whose
  // switch holds the link's other end, else the one whose state dir claims the block.
  const linkLabs = machineLinkLabsSync();
  const blockTrace = (text: string, block: number): Trace => {
    const lab = linkLabs.get(block) ?? stateDirLab(block, labStateDir);
    return lab !== undefined ? { text, lab } : { text, block };
  };
  const links = [...linkLabs.keys()].map((block) => blockTrace(`link pklab${block}`, block));
  const guards = execFileSync("ip", ["route", "show", "exact", "198.18.0.0/15", "type", "unreachable"], {
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean)
    .map((route) => {
      // One per lab, told apart by its metric: 1000 + the block.
      const metric = /metric (\d+)/.exec(route);
      const text = `route ${route.trim()}`;
      return metric ? blockTrace(text, Number(metric[1]) - 1000) : { text };
    });
  return [...namespaces, ...mounts, ...processes, ...cgroups, ...links, ...guards];
}

let labsBefore = new Set<string>();
let tracesBefore = new Set<string>();

/** A trace of a lab this process started, which was not on the machine before. */
function ours(trace: Trace): boolean {
  const started = readStartedLabs(startedFile);
  if (trace.lab !== undefined) return started.names.has(trace.lab) && !labsBefore.has(trace.lab);
  // A link or route of a block no lab claims any more: ours if one of our labs had that block.
  if (trace.block !== undefined) return started.blocks.has(trace.block) && !tracesBefore.has(trace.text);
  // Cannot tell whose: as strict as before the suite ran in parallel.
  return !tracesBefore.has(trace.text);
}

export const mochaHooks = {
  beforeAll(): void {
    const traces = labTraces();
    labsBefore = new Set(traces.flatMap((trace) => (trace.lab ? [trace.lab] : [])));
    tracesBefore = new Set(traces.map((trace) => trace.text));
  },
  afterAll(): void {
    const left = labTraces().filter(ours);
    if (left.length > 0)
      throw new Error(`the tests left lab traces on the machine:\n${left.map((trace) => trace.text).join("\n")}`);
  },
};
