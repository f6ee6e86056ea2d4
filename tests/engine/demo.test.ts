// The newcomer's path, as written: `tools/demo`, then every "Next" line it prints and every line of the README's
// workflow block, each run verbatim in a shell that starts without the project's environment, in a copy of the
// project (its own .pulumi, .lab, stack file and kubeconfig). The default lab is machine-wide (its namespaces, its
// address block), so the test refuses to start while a demo lab runs.
import { strict as assert } from "assert";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { namespaceExists } from "../../lab/hosts/network";
import { machineLink, switchNs } from "../../lab/names";
import { repoRoot, toolCache } from "../../tools/paths";

/** The README's workflow block: its command lines, comments dropped. */
export function workflowCommands(readme: string): string[] {
  const section = readme.split(/^## The workflow$/m)[1];
  assert.ok(section, "README has a '## The workflow' section");
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "the workflow section opens with a sh block");
  return block[1]
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line && !line.startsWith("#"));
}

/** The commands the demo prints under its "Next" line (indented, until the output ends). */
export function nextCommands(output: string): string[] {
  const after = output.split(/^Next\b.*$/m)[1];
  assert.ok(after !== undefined, `the demo prints a "Next" section:\n${output.slice(-2000)}`);
  return after
    .split("\n")
    .filter((line) => /^ {2}\S/.test(line))
    .map((line) => line.replace(/\s+#.*$/, "").trim());
}

interface Step {
  command: string;
  code: number;
  output: string;
}

/** Runs each command, in order, in one bash that starts from a bare environment; stops at the first failure. */
async function runAsNewcomer(dir: string, commands: string[]): Promise<Step[]> {
  const marker = `::step-${process.pid}::`;
  const script = commands.map((command, i) => `echo '${marker}${i}'\n${command}\necho "${marker}rc=$?"\n`).join("");
  // The user's PATH (Go, Node.js) without what tools/env.sh added: the project's own builds.
  const userPath = (process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin")
    .split(":")
    .filter((entry) => entry && !entry.startsWith(toolCache()))
    .join(":");
  const env: Record<string, string> = { HOME: os.homedir(), PATH: userPath, LANG: "C.UTF-8", TERM: "dumb" };
  // Where tools/setup put its builds, if the suite was told (the newcomer's default is ~/.cache).
  if (process.env.PULUMI_KUBEADM_CACHE) env.PULUMI_KUBEADM_CACHE = process.env.PULUMI_KUBEADM_CACHE;
  const output = await new Promise<string>((resolve) => {
    const child = spawn("bash", ["-c", `${script}`], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    child.stderr.on("data", (d) => (text += d));
    child.on("close", () => resolve(text));
  });
  const steps: Step[] = [];
  const parts = output.split(new RegExp(`^${marker}(\\d+)\\n`, "m"));
  for (let i = 1; i < parts.length; i += 2) {
    const body = parts[i + 1];
    const rc = new RegExp(`^${marker}rc=(\\d+)$`, "m").exec(body);
    steps.push({
      command: commands[Number(parts[i])],
      code: rc ? Number(rc[1]) : -1,
      output: body.replace(new RegExp(`^${marker}rc=\\d+\\n?`, "m"), ""),
    });
  }
  return steps;
}

function assertAllSucceeded(steps: Step[], commands: string[]): void {
  for (const step of steps) {
    assert.equal(step.code, 0, `'${step.command}' failed (${step.code}):\n${step.output.slice(-3000)}`);
  }
  assert.deepEqual(
    steps.map((s) => s.command),
    commands,
    "every command ran",
  );
}

/** The project as a clean clone would have it (tracked and new files), node_modules shared. */
function copyProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-demo-"));
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    const from = path.join(repoRoot, file);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.cpSync(from, path.join(dir, file), { verbatimSymlinks: true });
  }
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

describe("the newcomer's path: tools/demo, its Next lines and the README's workflow, verbatim", function () {
  this.timeout(20 * 60_000);
  let dir = "";
  let demo: Step[] = [];
  let readmeRest: string[] = [];
  let next: string[] = [];

  before(function () {
    if (namespaceExists(switchNs("lab"))) {
      throw new Error("a demo lab is running on this machine (pk-lab-sw): 'tools/demo down' first, then run this test");
    }
    dir = copyProject();
  });

  after(function () {
    // Whatever failed, nothing of the demo stays on the machine.
    if (dir) {
      execFileSync("bash", ["-c", "lab/lab down --name lab >/dev/null 2>&1 || true"], { cwd: dir });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs tools/demo, the README's first step, to a cluster of four Ready nodes", async function () {
    const workflow = workflowCommands(fs.readFileSync(path.join(repoRoot, "README.md"), "utf8"));
    assert.equal(workflow[0], "tools/demo");
    assert.equal(workflow[workflow.length - 1], "tools/demo down");
    readmeRest = workflow.slice(1);
    demo = await runAsNewcomer(dir, ["tools/demo"]);
    assertAllSucceeded(demo, ["tools/demo"]);
    const nodes = /^NAME\s+STATUS[\s\S]*?(?=\n\n)/m.exec(demo[0].output)?.[0] ?? "";
    assert.deepEqual(
      nodes
        .split("\n")
        .slice(1)
        .map((line) => line.split(/\s+/).slice(0, 2).join(" ")),
      ["master01 Ready", "worker01 Ready", "worker02 Ready", "worker03 Ready"],
      demo[0].output.slice(-3000),
    );
    // What a newcomer reads: a few hundred lines, nothing repeated in Diagnostics, no alarm that is not true.
    const output = demo[0].output;
    const lines = output.split("\n");
    // About 110 lines a host (a line or two for each of its eleven preparation steps, init or join, the engine's row
    // for each resource) and the summary: 500 at most for four hosts. The flood this replaced was 1808 lines.
    assert.ok(lines.length <= 500, `the demo printed ${lines.length} lines`);
    assert.doesNotMatch(output, /from \$PATH|Undefined value|removing leftovers|removed leftovers/);
    const diagnostics = /^Diagnostics:\n([\s\S]*?)\n(?:Outputs|Resources):/m.exec(output)?.[1] ?? "";
    const diagnosticLines = diagnostics.split("\n").filter((l) => /^\s+\S/.test(l) && !/^\s+\S+:\S+ \(/.test(l));
    assert.ok(/kubeadm init: done in/.test(diagnostics), `Diagnostics says how long init took:\n${diagnostics}`);
    assert.deepEqual(
      diagnosticLines.filter((l, i) => diagnosticLines.indexOf(l) !== i),
      [],
      "no line repeated in Diagnostics",
    );
    next = nextCommands(output);
    assert.ok(next.includes("tools/demo down"), `the Next lines say how to undo it: ${next.join(" | ")}`);
  });

  it("runs every Next line it printed, then the rest of the README's workflow, each succeeding", async function () {
    if (next.length === 0) this.skip(); // the demo failed: the test above says why
    // The Next lines first (all but the last, tools/demo down), then the README's block, which ends with it.
    const commands = [...next.filter((c) => c !== "tools/demo down"), ...readmeRest];
    const steps = await runAsNewcomer(dir, commands);
    assertAllSucceeded(steps, commands);
    const byCommand = (prefix: string) => steps.filter((s) => s.command.startsWith(prefix));
    // kubectl from this machine reached the lab's API server (no wrapper, no proxy).
    for (const step of byCommand("kubectl --kubeconfig kubeconfig"))
      assert.match(step.output, /master01\s+\S*\s*Ready|master01 .*Running|Ready/);
    // The preview after the podSubnet change plans to replace the control plane and touches no host.
    const preview = byCommand("pulumi preview")
      .map((s) => s.output)
      .join("\n");
    assert.match(preview, /replace/, preview.slice(-2000));
    // The destroy and the lab's removal left nothing of it on the machine.
    assert.ok(!namespaceExists(switchNs("lab")), "the demo lab's switch is gone");
    assert.ok(!fs.existsSync(`/sys/class/net/${machineLink(0)}`), "the machine's link into the lab is gone");
    assert.ok(!fs.existsSync(path.join(dir, "kubeconfig")), "the admin kubeconfig is removed with the lab");
  });
});
