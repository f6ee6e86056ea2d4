// etcd snapshots before control-plane updates, against fake hosts: when one is taken, in which order, what is stored.
import { strict as assert } from "assert";
import type { KubeadmInitInputs } from "../../providers/master-node/inputs";
import { updateMasterNode } from "../../providers/master-node/update";
import { parseSnapshotLine } from "../../providers/node/etcd-snapshot";
import { captureConsole, fakeOpener, FakeHost } from "./kubeadm-fakes";
import { initInputs, initOutputs } from "./kubeadm-fixtures";

const HEX = "ab".repeat(32);
const SNAPSHOT_LINE = `snapshot /var/lib/etcd-snapshots/etcd-20261207T051500Z.db 2134048 ${HEX}\n`;

function initWith(edit: (inputs: KubeadmInitInputs) => void): KubeadmInitInputs {
  const inputs = structuredClone(initInputs());
  edit(inputs);
  return inputs;
}

describe("etcd snapshots before control-plane updates", () => {
  let host: FakeHost;
  beforeEach(() => {
    host = new FakeHost("master01", "10.0.0.3");
    host.on(/snapshot save/, { stdout: SNAPSHOT_LINE });
  });
  const snapshotRuns = () => host.commands.filter((command) => command.includes("snapshot save"));

  it("takes one before an update restarts the control plane, first, and stores where it is and its hash", async () => {
    const news = initWith((i) => {
      i.cluster.apiServer.extraArgs.v = "4";
      i.cluster.etcdSnapshots = { beforeChanges: true, keep: 5 };
    });
    const { result, error, lines } = await captureConsole(() =>
      updateMasterNode(initOutputs(), news, fakeOpener([host])),
    );
    assert.equal(error, undefined, error?.message);
    const first = host.commands.findIndex((c) => c.includes("snapshot save"));
    const phase = host.commands.findIndex((c) => c.includes("'control-plane' 'apiserver'"));
    assert.ok(first >= 0 && phase > first, host.commands.join("\n"));
    assert.match(host.commands[first], /'etcd-snapshot' '5'$/, "the retention count reaches the script");
    assert.deepEqual(
      { ...result!.outs.etcdSnapshot, takenAt: undefined },
      {
        path: "/var/lib/etcd-snapshots/etcd-20261207T051500Z.db",
        bytes: 2134048,
        sha256: `sha256:${HEX}`,
        takenAt: undefined,
      },
    );
    assert.match(lines.join("\n"), /\[master01\] etcd snapshot: .*newest 5/);
  });

  it("takes none for a relabel, or when etcdSnapshots.beforeChanges is off, and keeps the last one stored", async () => {
    const stored = { ...initOutputs(), etcdSnapshot: parseSnapshotLine(SNAPSHOT_LINE) };
    const relabel = initWith((i) => (i.node.labels = { tier: "db" }));
    const relabeled = await captureConsole(() => updateMasterNode(stored, relabel, fakeOpener([host])));
    assert.equal(relabeled.error, undefined, relabeled.error?.message);
    assert.deepEqual(snapshotRuns(), []);
    assert.deepEqual(relabeled.result!.outs.etcdSnapshot, stored.etcdSnapshot);
    const off = initWith((i) => {
      i.cluster.scheduler.extraArgs.v = "2";
      i.cluster.etcdSnapshots = { beforeChanges: false, keep: 3 };
    });
    const updated = await captureConsole(() => updateMasterNode(stored, off, fakeOpener([host])));
    assert.equal(updated.error, undefined, updated.error?.message);
    assert.deepEqual(snapshotRuns(), []);
  });

  it("goes on with a warning when the node runs no etcd container: the update may be what repairs it", async () => {
    host.on(/snapshot save/, { stdout: "no snapshot: no etcd container runs on this node\n" });
    const news = initWith((i) => (i.cluster.kubelet.extraArgs["max-pods"] = "50"));
    const { result, error, lines } = await captureConsole(() =>
      updateMasterNode(initOutputs(), news, fakeOpener([host])),
    );
    assert.equal(error, undefined, error?.message);
    assert.equal(result!.outs.etcdSnapshot, undefined);
    assert.match(lines.join("\n"), /no etcd container runs on this node; the update goes on without one/);
  });

  it("reads only the script's own line as a snapshot", () => {
    assert.equal(parseSnapshotLine("no snapshot: no etcd container runs on this node\n"), undefined);
    assert.equal(parseSnapshotLine(`snapshot relative.db 1 ${HEX}`), undefined);
    assert.equal(parseSnapshotLine(`snapshot /x.db 12 ${HEX.slice(2)}`), undefined);
    assert.equal(parseSnapshotLine(`Snapshot saved at /x.db\n${SNAPSHOT_LINE}`)?.bytes, 2134048);
  });
});
