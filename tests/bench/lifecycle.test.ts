// The benchmark's arithmetic: step durations read back from the engine's Diagnostics, and the critical path.
import { strict as assert } from "assert";
import { criticalPath, parseDuration, stepTimes } from "../../bench/lifecycle";

const OUTPUT = `Updating (lab):
    [cp1] kubeadm init: [certs] streamed, not counted: done in 99s
Diagnostics:
  pulumi:pulumi:Stack (pulumi-kubeadm-lab):
    [cp1] packages: done in 4.0s
    [w1] packages: done in 6.5s
    [w2] packages: ran again in 2.0s
    [cp1] containerd: done in 1.0s
    warning: [cp1] kubeadm init: [WARNING SystemVerification]: cgroups v1
    [cp1] kubeadm init: done in 20s
    [w1] kubeadm join: done in 9.0s
    [w2] kubeadm join: done in 1m05s
    [cp1] done: control plane ready at 198.18.0.2:6443

Resources:
    + 40 created
`;

describe("bench/lifecycle: step times and the critical path", () => {
  it("reads durations as the providers print them", () => {
    assert.equal(parseDuration("0.4s"), 0.4);
    assert.equal(parseDuration("23s"), 23);
    assert.equal(parseDuration("2m05s"), 125);
    assert.throws(() => parseDuration("soon"));
  });

  it("takes step summaries from Diagnostics only", () => {
    assert.deepEqual(
      stepTimes(OUTPUT).map((t) => `${t.node} ${t.step} ${t.seconds}`),
      [
        "cp1 packages 4",
        "w1 packages 6.5",
        "w2 packages 2",
        "cp1 containerd 1",
        "cp1 kubeadm init 20",
        "w1 kubeadm join 9",
        "w2 kubeadm join 65",
      ],
    );
  });

  it("chains preparation, init and the slowest join", () => {
    const times = stepTimes(OUTPUT);
    // cp1: prep 5 + init 20 = 25; w1: max(25, 6.5) + 9 = 34; w2: max(25, 2) + 65 = 90.
    assert.equal(criticalPath(times, "cp1", ["w1", "w2"]), 90);
    assert.equal(criticalPath(times, "cp1", ["w1"]), 34);
    // A worker whose preparation outlasts init starts its join later.
    const slowPrep = [...times, { node: "w1", step: "packages", seconds: 30 }];
    assert.equal(criticalPath(slowPrep, "cp1", ["w1"]), 36.5 + 9);
  });
});
