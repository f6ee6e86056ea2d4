// What `pulumi up` and `pulumi destroy` print of a remote step, with the real engine and a real sshd: every host
// line streams while the step runs, and the Diagnostics section at the end keeps only the step's summary and its
// warnings, not the host lines again (the engine repeated all of them there while they went to stdout).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { engineProject, type EngineProject } from "../support/engine";
import { startSshd, type TestSshd } from "../support/sshd";

/** A program of one RemoteStep, in place of the project's index.ts. */
const PROGRAM = `
import { RemoteStep } from "./providers/remote-step";

new RemoteStep("demo", {
  connection: JSON.parse(process.env.PROGRESS_TEST_CONNECTION ?? ""),
  node: "t1",
  step: "demo",
  script:
    'for i in $(seq 1 20); do echo "line $i of 20"; sleep 0.25; done; echo "[WARNING Demo]: kept as a warning" >&2',
  undoScript: 'echo "undo line 1"; echo "undo line 2"',
});
`;

/** The Diagnostics section of the engine's output, up to the next section. */
function diagnostics(output: string): string {
  const start = output.indexOf("Diagnostics:");
  assert.ok(start >= 0, `no Diagnostics section:\n${output}`);
  const end = output.slice(start).search(/\n(Outputs|Resources):/);
  return end < 0 ? output.slice(start) : output.slice(start, start + end);
}

describe("progress output of a remote step (real engine, real sshd)", function () {
  this.timeout(120_000);
  let sshd: TestSshd;
  let project: EngineProject;

  before(async () => {
    sshd = await startSshd();
    project = await engineProject();
    fs.rmSync(path.join(project.dir, "index.ts"));
    fs.writeFileSync(path.join(project.dir, "index.ts"), PROGRAM);
  });

  after(async () => {
    project?.remove();
    await sshd?.stop();
  });

  it("streams the host's lines and keeps only the summary and the warnings in Diagnostics", async () => {
    const stack = await project.stack("progress", "config: {}\n");
    (stack.workspace as LocalWorkspace).envVars.PROGRESS_TEST_CONNECTION = JSON.stringify(sshd.connection());
    try {
      let up = "";
      await stack.up({ onOutput: (text) => (up += text) });
      // Streamed live, at most one line a second (5 s of output): the first, some later ones, never all 20.
      const streamed = [...up.matchAll(/\[t1\] demo: line (\d+) of 20\n/g)].map((m) => Number(m[1]));
      assert.equal(streamed[0], 1, "the first line streams at once");
      assert.ok(streamed.length >= 3 && new Set(streamed).size < 20, `streamed: ${streamed.join(", ")}`);
      const upDiagnostics = diagnostics(up);
      assert.doesNotMatch(upDiagnostics, /line \d+ of 20/, "host lines repeated in Diagnostics");
      assert.match(upDiagnostics, /\n\s+\[t1\] demo: done in \d+(\.\d)?s\n/);
      assert.match(upDiagnostics, /\n\s+warning: \[t1\] demo: \[WARNING Demo\]: kept as a warning\n/);

      let destroy = "";
      await stack.destroy({ onOutput: (text) => (destroy += text) });
      assert.match(destroy, /\[t1\] demo: undo line 1\n/);
      const destroyDiagnostics = diagnostics(destroy);
      assert.doesNotMatch(destroyDiagnostics, /undo line/);
      assert.match(destroyDiagnostics, /\n\s+\[t1\] demo: undone in \d+(\.\d)?s\n/);
    } finally {
      await stack.workspace.removeStack("progress", { force: true }).catch(() => undefined);
    }
  });
});
