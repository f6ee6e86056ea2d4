// The benchmark's arithmetic: step durations read back from the engine's Diagnostics, and the critical path.
import { strict as assert } from "assert";
import { criticalPath, daemonSetRollout, parseDuration, stepTimes } from "../../bench/lifecycle";

const OUTPUT = `Updating (lab):
 +  command:remote:Command cluster-cp1-prep-swap-off creating (0s) swap is off (now and at boot)
 +  command:remote:Command cluster-cp1-prep-swap-off created (1s) swap is off (now and at boot)
 +  command:remote:Command cluster-w1-prep-swap-off created (1.5s)
 +  pulumi-nodejs:dynamic/pulumi-kubeadm:PreparedHost cluster-w1-prep-host created (0.83s)
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

  it("takes the providers' summaries from Diagnostics only, and each host step's Command's time from its row", () => {
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
        "cp1 swap-off 1",
        "w1 swap-off 1.5",
      ],
    );
  });

  it("chains preparation, init and the slowest join", () => {
    const times = stepTimes(OUTPUT);
    // cp1: prep 4 + 1 + 1 + init 20 = 26; w1: max(26, 6.5 + 1.5) + 9 = 35; w2: max(26, 2) + 65 = 91.
    assert.equal(criticalPath(times, "cp1", ["w1", "w2"]), 91);
    assert.equal(criticalPath(times, "cp1", ["w1"]), 35);
    // A worker whose preparation outlasts init starts its join later.
    const slowPrep = [...times, { node: "w1", step: "packages", seconds: 30 }];
    assert.equal(criticalPath(slowPrep, "cp1", ["w1"]), 38 + 9);
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
    // cp1: 26 + 15 = 41; w1: 35 + 4 = 39.
    assert.equal(criticalPath(times, "cp1", ["w1"], rollout), 41);
    assert.equal(criticalPath(times, "cp1", ["w1"], { w1: 10 }), 45);
  });
});
