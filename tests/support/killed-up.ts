// A `pulumi up` killed in the middle, as when the machine or the CI job running it dies: the CLI and every process it
// started. The plugins (the language host, the dynamic-provider process) run in process groups of their own: killing
// the CLI's group alone would leave the provider running as an orphan, carrying on with its work.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { labDir } from "../../lab/names";
import { sleep } from "./engine";
import type { LabStack } from "./lab-stack";

/** The process and all its descendants, from /proc (plugins run in process groups of their own). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/** Running (a zombie waiting to be reaped does not count). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Starts `pulumi up` on the lab's stack, waits until `started()` says the moment has come (polled every 250 ms, up
 * to 10 minutes), waits `afterMs` more, and kills it with everything it started. The run's output goes to
 * `<PK_TEST_OUTPUT_DIR or the lab's dir>/<logName>`; `what` names the moment in the assertion messages.
 */
export async function killUpWhen(
  lab: LabStack,
  started: () => Promise<boolean>,
  opts: { logName: string; what: string; afterMs?: number },
): Promise<void> {
  const log = path.join(process.env.PK_TEST_OUTPUT_DIR ?? labDir(lab.lab.name), opts.logName);
  const out = fs.openSync(log, "w");
  const stack = lab.stack.name;
  const child = spawn(lab.project.cliPath, ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack], {
    cwd: lab.project.dir,
    env: { ...process.env, ...lab.project.cliEnv },
    detached: true,
    stdio: ["ignore", out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let running = true;
  let killed: number[] = [];
  void exited.then(() => (running = false));
  try {
    const deadline = Date.now() + 600_000;
    while (!(await started())) {
      assert.ok(running, `pulumi up ended before ${opts.what}:\n${fs.readFileSync(log, "utf8").slice(-3000)}`);
      assert.ok(Date.now() < deadline, `${opts.what} did not happen within 600 s`);
      await sleep(250);
    }
    await sleep(opts.afterMs ?? 1000);
  } finally {
    if (running) killed = processTree(child.pid as number).reverse();
    for (const pid of killed) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await exited;
  }
  for (let i = 0; i < 50 && killed.some(alive); i++) await sleep(100);
  assert.deepEqual(killed.filter(alive), [], "processes of the killed pulumi up survived");
}
