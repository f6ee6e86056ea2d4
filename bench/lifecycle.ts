// Lifecycle benchmark (not a test): for each worker count N, a lab of one control plane and N workers (mixed
// distributions), fixed durations for the slow steps (/lab/durations.json), then the first `pulumi up`, a
// no-change `up` and a destroy through the real engine. Prints a markdown table: the first up's wall time, the
// critical path its fixed step durations impose, the difference (what the engine, SSH and the program add), and
// the no-change up's wall time.
//
// Run: npx ts-node --transpile-only bench/lifecycle.ts [--workers 1,4,16]
//
// The critical path is read from the hosts' command logs (every double logs one line per invocation): each
// host's preparation takes the sum of the fixed durations of the commands it ran before kubeadm; `kubeadm init`
// waits for the control plane's preparation, and each join for both init and its worker's preparation:
//   critical = max over workers w of ( max(prep(cp) + init, prep(w)) + join(w) )
// which is "slowest preparation + init + slowest join" when the control plane's preparation is the slowest
// (it is: it also pulls the images). Every lab and temporary project is removed, also on failure or ^C.
import * as fs from "fs";
import * as path from "path";
import { LabStack } from "../tests/support/lab-stack";
import type { Distro } from "../lab/inventory";

const LAB = "benchlifecycle";
const CONTROL_PLANE = "cp1";

/** Fixed seconds per command invocation, matched as the doubles match them (lab/doubles/lib/double.js). */
export const DURATIONS: Record<string, number> = {
  "apt-get update": 1,
  "apt-get install": 2,
  "dnf install": 2,
  "yum install": 2,
  "kubeadm config images pull": 2,
  "kubeadm init": 5,
  "kubeadm join": 3,
};

/** Splits a command-log line's command (shell-quoted words, as the doubles' shellQuote writes them). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word = (word ?? "") + text.slice(i + 1, end === -1 ? text.length : end);
      i = end === -1 ? text.length : end;
    } else if (c === "\\" && i + 1 < text.length) {
      word = (word ?? "") + text[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The doubles' matchKey: the name, then each further word as a whole argument, in order. */
function matches(key: string, name: string, args: string[]): boolean {
  const [head, ...rest] = key.split(/\s+/);
  if (head !== name) return false;
  let i = 0;
  for (const word of rest) {
    while (i < args.length && args[i] !== word) i++;
    if (i >= args.length) return false;
    i++;
  }
  return true;
}

/** Per key, how many seconds a host's logged commands spent in fixed durations (the longest key wins). */
export function fixedSeconds(lines: string[]): Map<string, number> {
  const spent = new Map<string, number>();
  for (const line of lines) {
    // "<ISO time> uid=<n> <name> <args...>"
    const [name, ...args] = shellWords(line.replace(/^\S+ uid=\S+ /, ""));
    let best: string | undefined;
    for (const key of Object.keys(DURATIONS)) {
      if (matches(key, name, args) && (!best || key.split(/\s+/).length > best.split(/\s+/).length)) best = key;
    }
    if (best) spent.set(best, (spent.get(best) ?? 0) + DURATIONS[best]);
  }
  return spent;
}

function criticalPath(stack: LabStack, workers: string[]): number {
  const phases = (host: string) => {
    const spent = fixedSeconds(stack.commands(host));
    const init = spent.get("kubeadm init") ?? 0;
    const join = spent.get("kubeadm join") ?? 0;
    const total = [...spent.values()].reduce((a, b) => a + b, 0);
    return { prep: total - init - join, init, join };
  };
  const cp = phases(CONTROL_PLANE);
  const initDone = cp.prep + cp.init;
  return Math.max(
    initDone,
    ...workers.map((w) => {
      const worker = phases(w);
      return Math.max(initDone, worker.prep) + worker.join;
    }),
  );
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await fn();
  return [result, (Date.now() - started) / 1000];
}

interface Row {
  workers: number;
  wall: number;
  critical: number;
  noChange: number;
  boot: number;
  destroy: number;
}

async function run(workerCount: number): Promise<Row> {
  const workers = Array.from({ length: workerCount }, (_, i) => `w${i + 1}`);
  // Mixed distributions: the control plane on ubuntu, workers alternating rocky and ubuntu.
  const hosts = [
    { name: CONTROL_PLANE, distro: "ubuntu" as Distro },
    ...workers.map((name, i) => ({ name, distro: (i % 2 === 0 ? "rocky" : "ubuntu") as Distro })),
  ];
  const log = (message: string) => process.stderr.write(`[N=${workerCount}] ${message}\n`);
  log(`starting a lab of ${hosts.length} hosts`);
  const [stack, boot] = await timed(() => LabStack.start({ lab: LAB, hosts }));
  // The lab is removed on exit and on ^C by startLab; the temporary project is ours to remove.
  const removeProject = () => stack.project.remove();
  process.once("exit", removeProject);
  try {
    fs.writeFileSync(path.join(stack.lab.sharedDir, "durations.json"), JSON.stringify(DURATIONS, null, 2) + "\n");
    stack.declareHosts([CONTROL_PLANE], workers);

    log("pulumi up");
    const [first, wall] = await timed(() => stack.up());
    if (first.summary.result !== "succeeded") throw new Error(`up: ${first.summary.result}`);
    const nodes = (await stack.kubectl("get nodes -o name")).trim().split("\n");
    if (nodes.length !== hosts.length) throw new Error(`up: ${nodes.length} nodes, expected ${hosts.length}`);
    const critical = criticalPath(stack, workers);

    log("no-change pulumi up");
    const [second, noChange] = await timed(() => stack.up());
    const changed = Object.entries(second.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
    if (changed.length > 0) throw new Error(`the second up changed something: ${JSON.stringify(changed)}`);

    log("pulumi destroy");
    const [, destroy] = await timed(() => stack.destroy());
    log(`up ${wall.toFixed(1)} s (critical path ${critical} s), no-change up ${noChange.toFixed(1)} s`);
    return { workers: workerCount, wall, critical, noChange, boot, destroy };
  } catch (error) {
    const tail = stack.output.split("\n").slice(-40).join("\n");
    log(`failed; last lines of the engine output:\n${tail}`);
    throw error;
  } finally {
    await stack.stop();
    process.removeListener("exit", removeProject);
  }
}

function workerCounts(argv: string[]): number[] {
  const at = argv.indexOf("--workers");
  const text = at >= 0 ? argv[at + 1] : "1,4,16";
  const counts = (text ?? "").split(",").map(Number);
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`--workers takes worker counts separated by commas, e.g. 1,4,16 (got ${JSON.stringify(text)})`);
  }
  return counts;
}

async function main(): Promise<void> {
  const counts = workerCounts(process.argv.slice(2));
  const rows: Row[] = [];
  for (const n of counts) rows.push(await run(n));
  const s = (seconds: number) => `${seconds.toFixed(1)} s`;
  console.log(`Fixed step durations (/lab/durations.json): ${JSON.stringify(DURATIONS)}`);
  console.log("");
  console.log("| workers (N) | first up, wall | critical path | overhead (wall − critical) | no-change up |");
  console.log("|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(`| ${r.workers} | ${s(r.wall)} | ${s(r.critical)} | ${s(r.wall - r.critical)} | ${s(r.noChange)} |`);
  }
  console.log("");
  console.log(
    `Not in the table: lab boot ${rows.map((r) => `${s(r.boot)} (N=${r.workers})`).join(", ")}; ` +
      `destroy ${rows.map((r) => `${s(r.destroy)} (N=${r.workers})`).join(", ")}.`,
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
