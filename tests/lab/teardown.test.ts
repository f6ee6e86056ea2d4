// `lab down` (and the library's exit hook) leave nothing of a lab on the machine, whatever state the lab is
// in: running with open SSH sessions, half-created by a controller that was killed, abandoned by a process
// that exited or was signalled, or with its state dir lost.
import { strict as assert } from "assert";
import { execFile, spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { labDir, openLab, readInventory } from "../../lab";
import { repoRoot } from "../../tools/paths";
import { leftovers, snapshot, type MachineSnapshot } from "./leftovers";

const CLI = path.join(repoRoot, "lab", "lab");
const TS_NODE = path.join(repoRoot, "node_modules", "ts-node", "register", "transpile-only");
const NAMES = ["tdcli", "tdhalf", "tdexit", "tdsignal", "tdlost"];

function cliStatus(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(CLI, args, { encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 255) : 0, stdout, stderr }),
    ),
  );
}

async function cli(...args: string[]): Promise<string> {
  const result = await cliStatus(...args);
  if (result.code !== 0) throw new Error(`lab ${args.join(" ")} exited with ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** A Node process using the library (stopOnExit as by default), running `script` after the lab is up. */
function libraryChild(lab: string, script: string): ChildProcess {
  const code = `
    const { startLab } = require(${JSON.stringify(path.join(repoRoot, "lab"))});
    startLab({ name: ${JSON.stringify(lab)}, hosts: [{ name: "h1", distro: "ubuntu" }, { name: "h2", distro: "rocky" }] })
      .then(() => { console.log("ready"); ${script} })
      .catch((e) => { console.error(e); process.exit(3); });`;
  return spawn(process.execPath, ["-r", TS_NODE, "-e", code], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
}

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split("\n").includes(line)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`child exited with ${code} before "${line}"`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve(child.exitCode)
      : child.once("exit", (code) => resolve(code)),
  );
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("lab teardown", function () {
  this.timeout(180_000);
  let before: MachineSnapshot;

  beforeEach(function () {
    before = snapshot();
  });

  after(async function () {
    // Whatever a failed test left: removed here so that the next run starts clean.
    for (const name of NAMES) await cli("down", "--name", name).catch(() => undefined);
  });

  it("removes a running lab with open SSH sessions and commands running on its hosts", async function () {
    await cli("up", "3", "--name", "tdcli", "--distro", "mixed");
    const lab = openLab("tdcli");
    // A session that would hold a forwarder connection and its `ip netns exec` open, and a host process.
    const session = spawn("ssh", [...lab.sshArgs("h1"), "sleep 600"], { stdio: "ignore" });
    await lab.run("h2", "setsid sleep 600 </dev/null >/dev/null 2>&1 &");
    await until("the SSH session", () =>
      fs.readFileSync(path.join(labDir("tdcli"), "hosts/h1/sshd.log"), "utf8").includes("Accepted publickey"),
    );
    assert.notDeepEqual(leftovers("tdcli", before), []);
    await cli("down", "--name", "tdcli");
    assert.deepEqual(leftovers("tdcli", before), []);
    await exited(session);
    const status = await cliStatus("status", "--name", "tdcli");
    assert.equal(status.code, 1);
    assert.equal(status.stdout.trim(), "lab tdcli is not running");
  });

  it("removes a lab whose creation was interrupted half-way (controller killed)", async function () {
    const controller = spawn(CLI, ["up", "6", "--name", "tdhalf", "--concurrency", "1"], { stdio: "ignore" });
    const hosts = path.join(labDir("tdhalf"), "hosts");
    // Two hosts booted (init and forwarder records written), the rest not yet.
    await until("two hosts to boot", () =>
      ["h1", "h2"].every((h) => fs.existsSync(path.join(hosts, h, "forwarder.json"))),
    );
    controller.kill("SIGKILL");
    await exited(controller);
    assert.equal(readInventory("tdhalf"), undefined, "the lab must not have been complete");
    assert.notDeepEqual(leftovers("tdhalf", before), []);
    await cli("down", "--name", "tdhalf");
    assert.deepEqual(leftovers("tdhalf", before), []);
  });

  it("removes the lab when the process that started it exits", async function () {
    const child = libraryChild("tdexit", "setTimeout(() => process.exit(0), 100);");
    await waitForLine(child, "ready");
    assert.equal(await exited(child), 0);
    assert.deepEqual(leftovers("tdexit", before), []);
  });

  it("removes the lab when the process that started it is terminated by a signal", async function () {
    const child = libraryChild("tdsignal", "setInterval(() => undefined, 1000);");
    await waitForLine(child, "ready");
    assert.ok(readInventory("tdsignal"));
    child.kill("SIGTERM");
    await exited(child);
    assert.deepEqual(leftovers("tdsignal", before), []);
  });

  it("finds a lab's processes and namespaces when its state dir is lost", async function () {
    await cli("up", "2", "--name", "tdlost");
    fs.rmSync(labDir("tdlost"), { recursive: true, force: true });
    assert.notDeepEqual(leftovers("tdlost", before), []);
    await cli("down", "--name", "tdlost");
    assert.deepEqual(leftovers("tdlost", before), []);
  });
});
