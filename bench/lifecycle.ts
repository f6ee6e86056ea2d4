// Lifecycle benchmark on real nodes (not a test): an empty TypeScript program's up, preview and no-change up as the
// baseline, then for each worker count N a lab of one control plane and N workers (Ubuntu and Rocky mixed, real
// systemd, containerd, kubelet and kubeadm, flannel on; --addons adds a row with every add-on), and through the real
// engine the first `pulumi up`, a `pulumi preview`, a no-change `up` and the destroy, the state's size and the SSH
// logins each host took. Prints a markdown table; --timeline DIR keeps each operation's output with arrival times and
// the state's bytes by resource type.
//
// Run: npx ts-node --transpile-only bench/lifecycle.ts [--workers 2,4] [--addons] [--timeline DIR]
//
// The critical path is the hosts' own work, from the per-step durations the kubeadm providers report ("[node] step:
// done in 8.8s", kept in the engine's Diagnostics) and the engine's time for each host-preparation Command
// ("created (0.38s)"): each host's preparation is the sum of its steps before kubeadm;
// `kubeadm init` waits for the control plane's preparation, each join for both init and its worker's preparation,
// and when the up waits for flannel's rollout, each node's flannel Pod from scheduled to Ready (rollout(n)):
//   critical = max( prep(cp) + init + rollout(cp), max over workers w of ( max(prep(cp) + init, prep(w)) + join(w) + rollout(w) ) )
// A step's duration is measured around its SSH session (a Command's around its whole operation), so the connection's
// set-up counts as the host's work.
import * as fs from "fs";
import * as path from "path";
import { LabStack } from "../lab/lab-stack";
import type { Distro } from "../lab/inventory";
import { measureEmptyProgram, type EmptyProgramTimes } from "./empty-program";

const LAB = "benchlifecycle";
const CONTROL_PLANE = "cp1";

export interface StepTime {
  node: string;
  step: string;
  seconds: number;
}

/** "0.4s", "23s", "2m05s" (providers/shared/progress.ts formatDuration) back to seconds. */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+)m)?(\d+(?:\.\d+)?)s$/.exec(text);
  if (!m) throw new Error(`not a step duration: ${text}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
}

/**
 * The step durations of one engine run: the kubeadm providers' summaries in its Diagnostics section, in order, then
 * the host-preparation steps' from the engine's own row for each step's Command when it ends
 * (`command:remote:Command cluster-w1-prep-sysctl created (0.38s)`): the command provider reports no time itself.
 */
export function stepTimes(output: string): StepTime[] {
  const diagnostics = /^Diagnostics:\n([\s\S]*?)(?:\n(?:Outputs|Resources):|(?![\s\S]))/m.exec(output)?.[1] ?? "";
  const times: StepTime[] = [];
  for (const m of diagnostics.matchAll(/\[([^\]\s]+)\] ([^:\n]+): (?:done|ran again) in (\S+)/g)) {
    times.push({ node: m[1], step: m[2], seconds: parseDuration(m[3]) });
  }
  for (const m of output.matchAll(
    /command:remote:Command cluster-(\S+?)-prep-([a-z-]+) (?:created|updated) \((\S+)\)/g,
  )) {
    times.push({ node: m[1], step: m[2], seconds: parseDuration(m[3]) });
  }
  return times;
}

/**
 * The hosts' own critical path (see the top of the file). `rollout` adds, per node, what its add-on Pods took from
 * being scheduled on it to Ready (pulling, starting, the first passing readiness probe): the engine waits for that
 * too before the DaemonSet counts as created, and it is the node's work, not the engine's.
 */
export function criticalPath(
  times: StepTime[],
  controlPlane: string,
  workers: string[],
  rollout: Record<string, number> = {},
): number {
  const sum = (node: string, pick: (step: string) => boolean) =>
    times.filter((t) => t.node === node && pick(t.step)).reduce((total, t) => total + t.seconds, 0);
  const isInit = (step: string) => step === "kubeadm init";
  const isJoin = (step: string) => step === "kubeadm join";
  const prep = (node: string) => sum(node, (s) => !isInit(s) && !isJoin(s));
  const initDone = prep(controlPlane) + sum(controlPlane, isInit);
  const tail = (node: string) => rollout[node] ?? 0;
  return Math.max(
    initDone + tail(controlPlane),
    ...workers.map((w) => Math.max(initDone, prep(w)) + sum(w, isJoin) + tail(w)),
  );
}

interface PodTimes {
  metadata: { ownerReferences?: { kind: string }[] };
  spec: { nodeName?: string };
  status: { conditions?: { type: string; lastTransitionTime: string }[] };
}

/**
 * Per node, the longest its DaemonSet Pods (the per-node add-ons: flannel) took from PodScheduled to Ready, in
 * seconds, from `kubectl get pods -A -o json` (the API's condition times, to the second).
 */
export function daemonSetRollout(podsJson: string): Record<string, number> {
  const pods = (JSON.parse(podsJson) as { items: PodTimes[] }).items;
  const rollout: Record<string, number> = {};
  for (const pod of pods) {
    if (!pod.metadata.ownerReferences?.some((o) => o.kind === "DaemonSet") || !pod.spec.nodeName) continue;
    const at = (type: string) => pod.status.conditions?.find((c) => c.type === type)?.lastTransitionTime;
    const scheduled = at("PodScheduled");
    const ready = at("Ready");
    if (!scheduled || !ready) continue;
    const seconds = (Date.parse(ready) - Date.parse(scheduled)) / 1000;
    rollout[pod.spec.nodeName] = Math.max(rollout[pod.spec.nodeName] ?? 0, seconds);
  }
  return rollout;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await fn();
  return [result, (Date.now() - started) / 1000];
}

interface Row {
  workers: number;
  addons: boolean;
  wall: number;
  critical: number;
  preview: number;
  noChange: number;
  destroy: number;
  boot: number;
  /**
   * The checkpoint file after the first up, in bytes (what the file backend rewrites each time a resource starts
   * and ends), and the resources it holds.
   */
  stateBytes: number;
  resources: number;
  /**
   * An empty program's times measured while this row's lab still runs: its nodes (kubelets, containerd, the control
   * plane) share the machine's cores with the engine, so the ratios compare like with like.
   */
  empty: EmptyProgramTimes;
  /** SSH logins per host during each operation: the most any one host saw, and which host. */
  logins: Record<"up" | "preview" | "noChange" | "destroy", { most: number; host: string }>;
}

/** The add-ons a second row turns on: the Dashboard's and Rook-Ceph's manifests are the big ones. */
const ALL_ADDONS = {
  waitForRollout: false,
  flannel: { enabled: true },
  dashboard: { enabled: true },
  rookCeph: { enabled: true, devices: ["vdb"] },
};

async function run(workerCount: number, addons: boolean): Promise<Row> {
  const workers = Array.from({ length: workerCount }, (_, i) => `w${i + 1}`);
  const hosts = [
    { name: CONTROL_PLANE, distro: "ubuntu" as Distro },
    ...workers.map((name, i) => ({ name, distro: (i % 2 === 0 ? "rocky" : "ubuntu") as Distro })),
  ];
  const log = (message: string) => process.stderr.write(`[N=${workerCount}${addons ? ", add-ons" : ""}] ${message}\n`);
  log(`starting a lab of ${hosts.length} real nodes`);
  const [stack, boot] = await timed(() =>
    LabStack.start({
      lab: LAB,
      hosts,
      config: { addons: addons ? ALL_ADDONS : { flannel: { enabled: true } } },
    }),
  );
  const names = hosts.map((h) => h.name);
  /** Runs one operation and reports the most SSH logins any host took for it. */
  async function counted<T>(operation: () => Promise<T>): Promise<[T, number, { most: number; host: string }]> {
    const before = new Map(names.map((n) => [n, stack.logins(n)]));
    const [result, time] = await timed(operation);
    const per = names.map((n) => ({ host: n, count: stack.logins(n) - (before.get(n) ?? 0) }));
    const top = per.reduce((a, b) => (b.count > a.count ? b : a));
    return [result, time, { most: top.count, host: top.host }];
  }
  try {
    stack.declareHosts([CONTROL_PLANE], workers);
    log("pulumi up");
    const before = stack.output.length;
    const upStarted = Date.now();
    const [first, wall, upLogins] = await counted(() => stack.up());
    writeTimeline(`1+${workerCount}${addons ? "-addons" : ""}-up`, upStarted, stack.arrivals);
    if (first.summary.result !== "succeeded") throw new Error(`up: ${first.summary.result}`);
    const nodes = (await stack.kubectl("get nodes -o name")).trim().split("\n");
    if (nodes.length !== hosts.length) throw new Error(`up: ${nodes.length} nodes, expected ${hosts.length}`);
    const times = stepTimes(stack.output.slice(before));
    if (!times.some((t) => t.step === "kubeadm init")) throw new Error("no 'kubeadm init: done in' in the output");
    // Flannel's Pods, when the up waits for them (the add-ons row sets waitForRollout: false, and nothing waits).
    const rollout = addons ? {} : daemonSetRollout(await stack.kubectl("get pods -n kube-flannel -o json"));
    const critical = criticalPath(times, CONTROL_PLANE, workers, rollout);

    const exported = stack.project.cli(["stack", "export", "--stack", stack.stack.name]);
    const checkpoint = path.join(
      stack.project.dir,
      ".state",
      ".pulumi",
      "stacks",
      "pulumi-kubeadm",
      `${stack.stack.name}.json`,
    );
    const stateBytes = fs.statSync(checkpoint).size;
    writeStateShares(`1+${workerCount}${addons ? "-addons" : ""}-state`, exported);
    const resources = (JSON.parse(exported) as { deployment: { resources?: unknown[] } }).deployment.resources?.length;

    log("pulumi preview");
    const previewStarted = Date.now();
    const [, preview, previewLogins] = await counted(() => stack.preview());
    writeTimeline(`1+${workerCount}${addons ? "-addons" : ""}-preview`, previewStarted, stack.arrivals);
    log("no-change pulumi up");
    const noChangeStarted = Date.now();
    const [second, noChange, noChangeLogins] = await counted(() => stack.up());
    writeTimeline(`1+${workerCount}${addons ? "-addons" : ""}-no-change`, noChangeStarted, stack.arrivals);
    // "read" is the dashboard token's Secret.get, which every run does.
    const changed = Object.entries(second.summary.resourceChanges ?? {}).filter(
      ([op]) => op !== "same" && op !== "read",
    );
    if (changed.length > 0) throw new Error(`the second up changed something: ${JSON.stringify(changed)}`);
    log("an empty program beside the running lab");
    const empty = await measureEmptyProgram();
    log("pulumi destroy");
    const [, destroy, destroyLogins] = await counted(() => stack.destroy());
    log(`up ${wall.toFixed(1)} s, critical path ${critical.toFixed(1)} s`);
    return {
      workers: workerCount,
      addons,
      wall,
      critical,
      preview,
      noChange,
      destroy,
      boot,
      stateBytes,
      resources: resources ?? 0,
      empty,
      logins: { up: upLogins, preview: previewLogins, noChange: noChangeLogins, destroy: destroyLogins },
    };
  } catch (error) {
    log(`failed; last lines of the engine output:\n${stack.output.split("\n").slice(-40).join("\n")}`);
    throw error;
  } finally {
    await stack.stop();
  }
}

/**
 * With --timeline DIR, an operation's engine output with each line's arrival in seconds since it began: where the
 * time between the hosts' own steps goes.
 */
function writeTimeline(name: string, started: number, arrivals: { at: number; text: string }[]): void {
  const at = process.argv.indexOf("--timeline");
  if (at < 0) return;
  const dir = process.argv[at + 1];
  fs.mkdirSync(dir, { recursive: true });
  const lines = arrivals
    .filter((a) => a.at >= started)
    .flatMap((a) =>
      a.text
        .split("\n")
        .filter(Boolean)
        .map((line) => `${((a.at - started) / 1000).toFixed(1).padStart(6)} ${line}`),
    );
  fs.writeFileSync(path.join(dir, `${name}.txt`), lines.join("\n") + "\n");
}

/** With --timeline DIR, the state's bytes by resource type, largest first: what the checkpoint writes are made of. */
function writeStateShares(name: string, exported: string): void {
  const at = process.argv.indexOf("--timeline");
  if (at < 0) return;
  const resources =
    (JSON.parse(exported) as { deployment: { resources?: { type: string }[] } }).deployment.resources ?? [];
  const byType = new Map<string, { count: number; bytes: number }>();
  for (const resource of resources) {
    const entry = byType.get(resource.type) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += Buffer.byteLength(JSON.stringify(resource));
    byType.set(resource.type, entry);
  }
  const lines = [...byType.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([type, e]) => `${(e.bytes / 1e3).toFixed(0).padStart(8)} KB ${String(e.count).padStart(4)} × ${type}`);
  fs.writeFileSync(path.join(process.argv[at + 1], `${name}.txt`), lines.join("\n") + "\n");
}

function workerCounts(argv: string[]): number[] {
  const at = argv.indexOf("--workers");
  const text = at >= 0 ? argv[at + 1] : "2,4";
  const counts = (text ?? "").split(",").map(Number);
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`--workers takes worker counts separated by commas, e.g. 2,4 (got ${JSON.stringify(text)})`);
  }
  return counts;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  process.stderr.write("baseline: an empty TypeScript program on the idle machine\n");
  const idle: EmptyProgramTimes = await measureEmptyProgram();
  const s = (seconds: number) => `${seconds.toFixed(1)} s`;
  const x = (ratio: number) => `${ratio.toFixed(2)}×`;
  // Each row is printed as soon as it is measured: a later row's failure does not lose the earlier ones.
  console.log(
    `Empty program on the idle machine: up ${s(idle.up)}, preview ${s(idle.preview)}, no-change up ${s(idle.noChangeUp)}.` +
      " The ratios below are against an empty program measured beside each row's running lab (its times in brackets).\n",
  );
  console.log(
    "| nodes | add-ons | first up | critical path | up ÷ critical | preview (÷ empty) | no-change up (÷ empty) | destroy | state | SSH logins per host: up / preview / no-change / destroy |",
  );
  console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
  const print = (r: Row) => {
    const l = r.logins;
    console.log(
      `| 1+${r.workers} | ${r.addons ? "all" : "flannel"} | ${s(r.wall)} | ${s(r.critical)} | ${x(r.wall / r.critical)} | ` +
        `${s(r.preview)} (${x(r.preview / r.empty.preview)} of ${s(r.empty.preview)}) | ` +
        `${s(r.noChange)} (${x(r.noChange / r.empty.noChangeUp)} of ${s(r.empty.noChangeUp)}) | ` +
        `${s(r.destroy)} | ${(r.stateBytes / 1e6).toFixed(2)} MB, ${r.resources} resources | ` +
        `${l.up.most} (${l.up.host}) / ${l.preview.most} / ${l.noChange.most} / ${l.destroy.most} |`,
    );
  };
  for (const n of workerCounts(argv)) {
    print(await run(n, false));
    if (argv.includes("--addons")) print(await run(n, true));
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
