// The command line a HostPrep step's command:remote:Command runs, run here by a real sh as a login shell would: files
// written with their exact bytes and modes before the script, the helpers sourced first (or a message naming what
// is missing and what puts it back), the environment reaching the script unchanged whatever it holds, sudo and the
// host-side time limit around it all. The helpers' path is the host's; here each command reads them from a
// temporary file put in its place.
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stepCommand as hostStepCommand, type PreparedStep, type StepRunSettings } from "../../providers/prepared-host";
import { helpersPath } from "../../providers/prepared-host/helpers";

const SETTINGS: StepRunSettings = { sudo: false, timeoutSeconds: 30 };
/** Helpers of this test's own: what the scripts below call. */
const PRELUDE = 'set -eu\nhelped() { echo "helped: $1"; }';
let helpersFile = "";

/** The step's command line, reading the helpers from this test's file instead of the host's path. */
function stepCommand(step: PreparedStep, run: StepRunSettings = SETTINGS, prelude = PRELUDE): string {
  return hostStepCommand({ prelude, run }, step).replaceAll(helpersPath(prelude), helpersFile);
}

/** Values a shell would mangle if quoting slipped anywhere on the way. */
const AWKWARD = ["plain", "", "it's", 'say "hi"', "$HOME `id` $(id)", "a\nb", "back\\slash", "*?[a]", "ünï €", " - "];

function step(overrides: Partial<PreparedStep>): PreparedStep {
  return {
    step: "demo",
    script: "",
    undoScript: "",
    checkScript: "",
    environment: {},
    files: [],
    ...overrides,
  };
}

describe("HostPrep step commands (providers/prepared-host/step-command.ts)", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-step-command-"));
    helpersFile = path.join(dir, "lib.sh");
    fs.writeFileSync(helpersFile, PRELUDE);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (command: string) => spawnSync("sh", ["-c", command], { encoding: "utf8" });

  it("passes every environment value to the script unchanged, with the step's name", () => {
    const environment = Object.fromEntries(AWKWARD.map((value, index) => [`VALUE_${index}`, value]));
    const script = AWKWARD.map((_, index) => `printf '%s\\0' "$VALUE_${index}"`).join("\n");
    const command = stepCommand(step({ script, environment }));
    const result = run(`${command}; printf '%s\\0' "$?"`);
    assert.equal(result.stderr, "");
    assert.deepEqual(result.stdout.split("\0").slice(0, -1), [...AWKWARD, "0"]);
    const named = run(stepCommand(step({ script: 'echo "$PULUMI_KUBEADM_STEP"' })));
    assert.equal(named.stdout, "demo\n");
  });

  it("is the same command for the same step and settings (a Command runs again only when its step changed)", () => {
    const s = step({ script: "true", environment: { A: "1" } });
    assert.equal(stepCommand(s), stepCommand({ ...s, environment: { A: "1" } }));
    assert.notEqual(stepCommand(s), stepCommand({ ...s, environment: { A: "2" } }));
    assert.notEqual(stepCommand(s), stepCommand(s, { ...SETTINGS, sudo: true }));
    // New helpers are a new command line for every step: each runs again with them.
    assert.notEqual(
      hostStepCommand({ prelude: PRELUDE, run: SETTINGS }, s),
      hostStepCommand({ prelude: `${PRELUDE}\n`, run: SETTINGS }, s),
    );
  });

  it("runs the script after the helpers, in their strict mode, and carries none of their text", () => {
    const result = run(
      stepCommand(step({ script: 'helped "$PULUMI_KUBEADM_STEP"; echo "${UNSET_VARIABLE}"; echo never' })),
    );
    assert.equal(result.stdout, "helped: demo\n");
    assert.match(result.stderr, /UNSET_VARIABLE/);
    assert.notEqual(result.status, 0, "set -u from the helpers");
    const inline = hostStepCommand({ prelude: PRELUDE, run: SETTINGS }, step({ script: "true" }));
    assert.ok(!inline.includes("helped()"), inline);
  });

  it("without the helpers on the host, fails before the script, naming the file and what writes it again", () => {
    const command = hostStepCommand({ prelude: PRELUDE, run: SETTINGS }, step({ script: "echo ran" }));
    const result = run(command.replaceAll(helpersPath(PRELUDE), path.join(dir, "absent.sh")));
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^pulumi-kubeadm: .*absent\.sh, the helpers of the host's preparation steps, is missing: `pulumi refresh` finds it missing and the next `pulumi up` writes it again\n$/,
    );
  });

  it("writes the step's files first, byte for byte and with their modes, then runs the script", () => {
    const content = `${AWKWARD.join("\n")}\n'\u0001'\n`;
    const file = path.join(dir, "sub", "config.toml");
    const command = stepCommand(
      step({ script: `test -f ${file} && echo seen`, files: [{ path: file, content, mode: 0o640 }] }),
    );
    const result = run(command);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "seen\n");
    assert.equal(fs.readFileSync(file, "utf8"), content);
    assert.equal(fs.statSync(file).mode & 0o7777, 0o640);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["config.toml"], "no temporary file is left beside it");
  });

  it("marks the run as a Command's only for a step that has an undo (what an older stack's RemoteStep looks for)", () => {
    const script = 'echo "${PULUMI_KUBEADM_COMMAND:-none}"';
    assert.equal(run(stepCommand(step({ script, undoScript: "true" }))).stdout, "1\n");
    assert.equal(run(stepCommand(step({ script }))).stdout, "none\n");
  });

  it("fails with the script's status and output", () => {
    const result = run(stepCommand(step({ script: "echo broken >&2; exit 7" })));
    assert.equal(result.status, 7);
    assert.equal(result.stderr, "broken\n");
  });

  it("runs under the host's timeout, which stops the script and its children", () => {
    const started = Date.now();
    const result = run(stepCommand(step({ script: "sleep 30 & sleep 30; wait" }), { ...SETTINGS, timeoutSeconds: 1 }));
    assert.equal(result.status, 124, "timeout's status");
    assert.ok(Date.now() - started < 10_000, "stopped by the limit");
  });

  it("goes through sudo -n for a login user other than root", () => {
    const command = stepCommand(step({ script: "true" }), { ...SETTINGS, sudo: true });
    assert.match(command, /^sudo -n timeout /);
    // sudo -n never waits for a password: where it cannot run, it fails at once.
    if (execFileSync("id", ["-u"], { encoding: "utf8" }).trim() === "0") return;
    assert.notEqual(run(command).status, 0);
  });
});
