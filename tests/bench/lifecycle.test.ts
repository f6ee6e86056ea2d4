// The benchmark's arithmetic: step durations read back from the engine's Diagnostics, and the critical path.
import { strict as assert } from "assert";
import { criticalPath, daemonSetRollout, parseDuration, stepTimes } from "../../bench/lifecycle";

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

  it("adds each node's DaemonSet Pod from scheduled to Ready, ignoring other Pods", () => {
    const pod = (node: string, owner: string, scheduled: string, ready: string) => ({
      metadata: { ownerReferences: [{ kind: owner }] },
      spec: { nodeName: node },
      status: {
        conditions: [
          { type: "PodScheduled", lastTransitionTime: `2026-12-07T02:00:${scheduled}Z` },
          { type: "Ready", lastTransitionTime: `2026-12-07T02:00:${ready}Z` },
        ],
      },
    });
    const rollout = daemonSetRollout(
      JSON.stringify({
        items: [
          pod("cp1", "DaemonSet", "10", "25"),
          pod("w1", "DaemonSet", "30", "34"),
          pod("w1", "ReplicaSet", "30", "59"),
        ],
      }),
    );
    assert.deepEqual(rollout, { cp1: 15, w1: 4 });
    const times = stepTimes(OUTPUT);
    // cp1: 25 + 15 = 40; w1: 34 + 4 = 38.
    assert.equal(criticalPath(times, "cp1", ["w1"], rollout), 40);
    assert.equal(criticalPath(times, "cp1", ["w1"], { w1: 10 }), 44);
  });
});
