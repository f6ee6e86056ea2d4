// What a host-preparation step keeps in the state (issue 17): the shared prelude once instead of in each of its
// three scripts, and a digest of what ran instead of the script and files again. Outputs stored before the change
// must still be read: they must not show a change, and their undo must still run. Against a real sshd.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
  RemoteStep,
  remoteStepProvider,
  type RemoteStepInputs,
  type RemoteStepOutputs,
} from "../../providers/remote-step";
import { startSshd, type TestSshd } from "../support/sshd";
import { captureConsole } from "./kubeadm-fakes";

describe("a host-preparation step's stored state (real sshd)", function () {
  this.timeout(30_000);
  let sshd: TestSshd;
  let marks: string;
  // A prelude with a helper the scripts call: a script that ran without it fails.
  const PRELUDE = `set -eu\nmark() { echo "$1" >>"$MARKS"; }\n# ${"padding of the helpers ".repeat(200)}`;

  before(async () => {
    sshd = await startSshd();
    marks = path.join(sshd.dir, "marks");
  });
  after(async () => sshd?.stop());
  beforeEach(() => fs.rmSync(marks, { force: true }));

  const step = (script = "mark ran", undo = "mark undone"): RemoteStepInputs => ({
    connection: sshd.connection(),
    node: "w1",
    step: "sysctl",
    script,
    environment: { MARKS: marks },
    files: [{ path: path.join(sshd.dir, "step.conf"), content: "x = 1\n", mode: 0o644 }],
    undoScript: undo,
    checkScript: "",
    prelude: PRELUDE,
  });
  /** The same step as outputs were stored before: whole scripts, the script and files kept, no digest. */
  const storedBefore = (inputs: RemoteStepInputs): RemoteStepOutputs => ({
    connection: inputs.connection,
    node: inputs.node,
    step: inputs.step,
    script: `${PRELUDE}\n${inputs.script}`,
    environment: inputs.environment,
    files: inputs.files,
    undoScript: `${PRELUDE}\n${inputs.undoScript}`,
    checkScript: "",
  });

  it("runs the prelude with the script, and stores neither the script nor the files, only their digest", async () => {
    const { result, error } = await captureConsole(() => remoteStepProvider.create!(step()));
    assert.equal(error, undefined, error?.message);
    assert.equal(fs.readFileSync(marks, "utf8"), "ran\n");
    const outs = result!.outs as RemoteStepOutputs;
    assert.equal(outs.script, undefined);
    assert.equal(outs.files, undefined);
    assert.match(outs.effect ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.equal(outs.undoScript, "mark undone");
    assert.ok(JSON.stringify(outs).length < JSON.stringify(step()).length);
  });

  it("reads outputs stored before the digest: the same step shows no change, another script does", async () => {
    const { result } = await captureConsole(() => remoteStepProvider.create!(step()));
    const now = result!.outs as RemoteStepOutputs;
    assert.equal((await remoteStepProvider.diff!("w1/sysctl", storedBefore(step()), step())).changes, false);
    assert.equal((await remoteStepProvider.diff!("w1/sysctl", now, step())).changes, false);
    for (const olds of [storedBefore(step()), now]) {
      assert.equal((await remoteStepProvider.diff!("w1/sysctl", olds, step("mark other"))).changes, true);
      assert.equal((await remoteStepProvider.diff!("w1/sysctl", olds, step(undefined, "mark x"))).changes, true);
      const moved = { ...step(), files: [{ ...step().files[0], content: "x = 2\n" }] };
      assert.equal((await remoteStepProvider.diff!("w1/sysctl", olds, moved)).changes, true);
    }
  });

  it("undoes with the stored undo script and prelude, in either form", async () => {
    for (const olds of [
      storedBefore(step()),
      (await captureConsole(() => remoteStepProvider.create!(step()))).result!.outs!,
    ]) {
      fs.rmSync(marks, { force: true });
      const { error } = await captureConsole(() => remoteStepProvider.delete!("w1/sysctl", olds as RemoteStepOutputs));
      assert.equal(error, undefined, error?.message);
      assert.equal(fs.readFileSync(marks, "utf8"), "undone\n");
    }
  });

  describe("as the program registers it (Pulumi mocks)", () => {
    const registered: pulumi.runtime.MockResourceArgs[] = [];
    before(async () => {
      await pulumi.runtime.setMocks(
        {
          newResource: (args) => {
            registered.push(args);
            return { id: `${args.name}-id`, state: args.inputs };
          },
          call: (args) => args.inputs,
        },
        "pulumi-kubeadm",
        "test",
        false,
      );
    });

    it("sends the prelude once and each script without it, and refuses a script that lacks it", async () => {
      const resource = new RemoteStep("w1-sysctl", {
        connection: { host: "192.0.2.1", port: 22, user: "root" } as RemoteStepInputs["connection"],
        node: "w1",
        step: "sysctl",
        prelude: PRELUDE,
        script: `${PRELUDE}\nmark ran`,
        undoScript: `${PRELUDE}\nmark undone`,
        checkScript: "",
      });
      await new Promise((resolve) => resource.urn.apply(resolve));
      const inputs = registered.find((r) => r.name === "w1-sysctl")!.inputs;
      assert.deepEqual([inputs.script, inputs.undoScript, inputs.checkScript], ["mark ran", "mark undone", ""]);
      assert.equal(inputs.prelude, PRELUDE);
      assert.throws(
        () =>
          new RemoteStep("w1-bad", {
            connection: {} as never,
            node: "w1",
            step: "x",
            prelude: PRELUDE,
            script: "mark",
          }),
        /does not start with the step's prelude/,
      );
    });
  });
});
