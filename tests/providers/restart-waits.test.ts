// The waits after a restart with new flags (the kubelet's, the API server's), run by sh against stand-ins for
// systemctl, curl, journalctl, crictl and kubectl that keep their state in files: what matters is when each script
// gives up and what it says then.
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { waitForApiServer } from "../../providers/node/control-plane-update";
import { waitForHealthyKubelet } from "../../providers/node/kubelet-health";

interface Kubelet {
  /** Whether the kubelet listens on its healthz port (a real HTTP server here) and answers 200. */
  answers: boolean;
  /** NRestarts grows by one each time it is read: a kubelet systemd keeps restarting. */
  crashLooping: boolean;
}

async function run(kubelet: Kubelet, args: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-kubelet-health-"));
  const write = (name: string, body: string) =>
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "restarts"), "0");
  write(
    "systemctl",
    [
      `case "$*" in`,
      `  "show -p NRestarts --value kubelet")`,
      `    n=$(cat ${dir}/restarts); echo "$n"`,
      kubelet.crashLooping ? `    echo $((n + 1)) > ${dir}/restarts ;;` : "    ;;",
      `  "show -p ActiveState --value kubelet") echo active ;;`,
      `  *) exit 1 ;;`,
      `esac`,
    ].join("\n"),
  );
  write("journalctl", `echo 'E1206 10:00:00.000000 1 run.go:72] "command failed" err="unknown flag: --not-a-flag"'`);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const listening = (server.address() as AddressInfo).port;
  if (!kubelet.answers) await new Promise((resolve) => server.close(resolve));
  const port = args["healthz-port"] === "0" ? "0" : String(listening);
  const started = Date.now();
  const child = spawn("sh", ["-c", waitForHealthyKubelet({ ...args, "healthz-port": port })], {
    env: { PATH: `${dir}:/usr/bin:/bin` },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (kubelet.answers) await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
  return { code, stderr, seconds: (Date.now() - started) / 1000, requests };
}

describe("waitForHealthyKubelet", () => {
  it("returns as soon as the kubelet answers 200 on its healthz port", async () => {
    const result = await run({ answers: true, crashLooping: false });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.seconds < 2, `took ${result.seconds}s`);
    assert.deepEqual(result.requests, ["GET /healthz"]);
  });

  it("waits on port 10248 unless the kubelet was given another", () => {
    assert.match(waitForHealthyKubelet({}), /^port='10248'$/m);
    assert.match(waitForHealthyKubelet({ "healthz-port": "10300" }), /^port='10300'$/m);
  });

  it("gives up as soon as systemd has restarted the kubelet twice, showing the kubelet's last messages", async () => {
    const result = await run({ answers: false, crashLooping: true });
    assert.equal(result.code, 1);
    assert.ok(result.seconds < 10, `waited ${result.seconds}s for a kubelet that keeps exiting`);
    assert.match(
      result.stderr,
      /^error: the kubelet did not become healthy after its restart \(systemd restarted it \d+ times\)/m,
    );
    assert.match(result.stderr, /unknown flag: --not-a-flag/);
  });

  it("with the healthz port turned off, takes a unit that stays active with no restart as healthy", async () => {
    const result = await run({ answers: true, crashLooping: false }, { "healthz-port": "0" });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.requests, [], "the healthz port was asked while it is off");
    assert.ok(result.seconds >= 7, `healthy after ${result.seconds}s: not five polls`);
  });
});

describe("waitForApiServer", () => {
  /**
   * kube-apiserver's exited containers as the kubelet keeps them, only the newest: `old0000` when the wait starts, then
   * a new one each time crictl is asked while it crash-loops.
   */
  function run(apiServer: { ready: boolean; crashing: boolean }) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-apiserver-wait-"));
    const write = (name: string, body: string) =>
      fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "exits"), "0");
    write("kubectl", apiServer.ready ? "echo ok" : "exit 1");
    write(
      "crictl",
      [
        'if [ "$1" = logs ]; then echo "Error: unknown flag: --not-a-real-flag ($*)"; exit 0; fi',
        `n=$(cat ${dir}/exits)`,
        'if [ "$n" -eq 0 ]; then echo old0000; else echo "new$n"; fi',
        apiServer.crashing ? `echo $((n + 1)) > ${dir}/exits` : "",
      ].join("\n"),
    );
    const started = Date.now();
    const result = spawnSync("sh", ["-c", waitForApiServer()], {
      env: { PATH: `${dir}:/usr/bin:/bin` },
      encoding: "utf8",
    });
    fs.rmSync(dir, { recursive: true, force: true });
    return { code: result.status, stderr: result.stderr, seconds: (Date.now() - started) / 1000 };
  }

  it("returns at once when the API server is ready", () => {
    const result = run({ ready: true, crashing: false });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.seconds < 2, `took ${result.seconds}s`);
  });

  it("stops once kube-apiserver has exited twice since the wait began, with its last log lines", () => {
    const result = run({ ready: false, crashing: true });
    assert.equal(result.code, 1);
    assert.ok(result.seconds < 10, `waited ${result.seconds}s for an API server that keeps crashing`);
    assert.match(result.stderr, /^error: kube-apiserver exited 2 times since the wait began; its last lines:$/m);
    // The newest exit's logs; containers that had exited before the wait (old0000) do not count.
    assert.match(result.stderr, /Error: unknown flag: --not-a-real-flag \(logs --tail 5 new2\)/);
  });
});
