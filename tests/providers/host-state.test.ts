// The inspection script every kubeadm provider runs first, run for real by sh here: it waits for a kubeadm init
// or join that an interrupted run left running on the host before it reports what is there.
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { inspectScript, parseHostState, RUNNING_KUBEADM_PATTERN } from "../../providers/node/host-state";

describe("host inspection", function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-inspect-"));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("recognises kubeadm init and join processes by command line, not the shells that start them", () => {
    const matches = (commandLine: string) =>
      spawnSync("grep", ["-Eq", RUNNING_KUBEADM_PATTERN], { input: commandLine }).status === 0;
    for (const running of [
      "kubeadm join --config /etc/kubernetes/pulumi-kubeadm/join.yaml",
      "/usr/bin/kubeadm init --config /etc/kubernetes/pulumi-kubeadm/init.yaml",
      "node /usr/bin/kubeadm join --config /etc/kubernetes/pulumi-kubeadm/join.yaml",
    ]) {
      assert.ok(matches(running), running);
    }
    for (const other of [
      "sh -c kubeadm join --config /etc/kubernetes/pulumi-kubeadm/join.yaml",
      "sudo -n timeout -k 10 1801 sh -c kubeadm init --config /etc/kubernetes/pulumi-kubeadm/init.yaml",
      "kubeadm reset -f",
      "kubeadm token create --ttl 15m",
      `sh -c ${inspectScript()}`,
    ]) {
      assert.ok(!matches(other), other);
    }
  });

  it("waits for a kubeadm join still running on the host, then reports what it left", async () => {
    const kubeadm = path.join(dir, "kubeadm");
    fs.writeFileSync(kubeadm, "#!/bin/sh\nsleep 3\n", { mode: 0o755 });
    const orphan = spawn(kubeadm, ["join", "--config", "/nonexistent/join.yaml"], { stdio: "ignore" });
    const orphanEnded = new Promise((resolve) => orphan.once("exit", resolve));
    try {
      const started = Date.now();
      const result = spawnSync("sh", ["-c", inspectScript()], { encoding: "utf8" });
      const waited = Date.now() - started;
      assert.equal(result.status, 0, result.stderr);
      assert.ok(waited >= 2000, `inspection returned after ${waited} ms, while kubeadm join still ran`);
      assert.equal(parseHostState(result.stdout).kubeadmRunning, false);
    } finally {
      orphan.kill("SIGKILL");
      await orphanEnded;
    }
  });
});
