// A changed connection is stored only once it works (issue 16, point 4): an update that has nothing to run on the
// host still logs in with the new settings, so a wrong pinned key cannot reach the state and block later deletes.
import { strict as assert } from "assert";
import { remoteStepProvider, type RemoteStepInputs } from "../../providers/remote-step";
import { SshConnectionError, withSession } from "../../ssh";
import { proveConnection } from "../../providers/shared/step-reporter";
import { startSshd, type TestSshd } from "../support/sshd";
import { ed25519HostKey } from "../config/fixtures";
import { captureConsole } from "./kubeadm-fakes";

describe("stored connections (real sshd)", function () {
  this.timeout(30_000);
  let sshd: TestSshd;
  before(async () => (sshd = await startSshd()));
  after(async () => sshd?.stop());

  const step = (connection: RemoteStepInputs["connection"]): RemoteStepInputs => ({
    connection,
    node: "worker01",
    step: "sysctl",
    script: "exit 0",
    environment: {},
    files: [],
    undoScript: "",
  });

  it("refuses to store a connection whose pinned host key is wrong, without running anything", async () => {
    const olds = step(sshd.connection());
    const before = sshd.acceptedLogins();
    const { error } = await captureConsole(() =>
      remoteStepProvider.update!("worker01/sysctl", olds, step(sshd.connection({ hostKey: ed25519HostKey() }))),
    );
    assert.ok(error instanceof SshConnectionError, String(error));
    assert.equal(error.failure, "host-key");
    assert.equal(sshd.acceptedLogins(), before, "nothing logs in with a key that does not match");
  });

  it("logs in once with a changed connection that works, then stores it", async () => {
    const olds = step(sshd.connection());
    const news = step(sshd.connection({ hostKey: sshd.hostKeyFingerprint }));
    const before = sshd.acceptedLogins();
    const { result, error } = await captureConsole(() => remoteStepProvider.update!("worker01/sysctl", olds, news));
    assert.equal(error, undefined, error?.message);
    assert.deepEqual(result!.outs!.connection, news.connection);
    assert.equal(sshd.acceptedLogins(), before + 1);
  });

  it("does not log in when the connection is unchanged", async () => {
    const olds = step(sshd.connection());
    const before = sshd.acceptedLogins();
    await captureConsole(() => remoteStepProvider.update!("worker01/sysctl", olds, { ...olds, undoScript: "true" }));
    assert.equal(sshd.acceptedLogins(), before);
  });

  it("counts a connection whose key paths alone moved (hosts reordered) as unchanged: no update, no login", async () => {
    const olds = step(sshd.connection({ sources: { host: "workers[2].address", hostKey: "workers[2].hostKey" } }));
    const news = step(sshd.connection({ sources: { host: "workers[1].address", hostKey: "workers[1].hostKey" } }));
    const diff = await remoteStepProvider.diff!("worker01/sysctl", olds, news);
    assert.equal(diff.changes, false);
    const before = sshd.acceptedLogins();
    await captureConsole(() => proveConnection(withSession, olds.connection, news.connection, "worker01"));
    assert.equal(sshd.acceptedLogins(), before);
  });
});
