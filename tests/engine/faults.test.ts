// Real faults on real nodes (lab/README.md, "Real nodes": real systemd, containerd, kubelet and kubeadm on each
// host), with the real engine: every case ends in a clear error (naming the host and the step) or in a converged
// cluster, never in a half state. The faults are real ones: sshd's sessions killed while kubeadm init runs, a
// listener on port 6443, join tokens that really expire, a host switched off, the pulumi process killed, a
// silent host. One lab for the file; each case starts from what the previous one left.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { stringify } from "yaml";
import { failure, sleep } from "../support/engine";
import { killUpWhen } from "../support/killed-up";
import { keepCaseOutput, LAB_MIRRORS, LabStack } from "../support/lab-stack";
import { inspectScript, parseHostState } from "../../providers/node/host-state";
import { labDir } from "../../lab/names";

const CONTROL_PLANE = "cp1";
/** The lifetime of every token the stack mints (joinTokenTtl): short enough to wait out in the TTL case. */
const TOKEN_TTL = "2m";
const TOKEN_TTL_SECONDS = 120;
const HOSTS = [
  { name: CONTROL_PLANE, distro: "ubuntu" as const },
  { name: "w1", distro: "rocky" as const },
  { name: "w2", distro: "ubuntu" as const },
];

describe("faults on real nodes (real engine, real sshd, real kubeadm)", function () {
  this.timeout(1_800_000);
  let lab: LabStack;

  /** What kubeadm left on a host, as the providers see it before every create. */
  async function hostState(host: string) {
    return parseHostState(await lab.lab.run(host, inspectScript()));
  }

  async function assertNodes(expected: string[]): Promise<void> {
    assert.deepEqual(await lab.nodeNames(), [...expected].sort());
  }

  /** Whether a `kubeadm init` or `kubeadm join` process runs on the host (the pattern the providers wait on). */
  async function kubeadmRunning(host: string, subcommand: "init" | "join"): Promise<boolean> {
    if (!lab.lab.isUp(host)) return false;
    const found = await lab.lab.exec(host, `pgrep -f '(^|/)kubeadm ${subcommand}( |$)'`).catch(() => undefined);
    return found?.code === 0;
  }

  /** What kubeadm init does after the control plane is up, present in the cluster: a finished init. */
  async function assertInitFinished(): Promise<void> {
    await lab.kubectl("-n kube-system get configmap kubeadm-config kubelet-config");
    await lab.kubectl("-n kube-public get configmap cluster-info");
    await lab.kubectl("-n kube-system get daemonset kube-proxy");
    await lab.kubectl("-n kube-system get deployment coredns");
  }

  before(async () => {
    lab = await LabStack.start({
      lab: "faults",
      hosts: HOSTS,
      // Short enough to wait out for real (the token TTL case), long enough for a join on a busy machine.
      config: { joinTokenTtl: TOKEN_TTL },
    });
    lab.declareHosts([CONTROL_PLANE], ["w1"]);
  });

  keepCaseOutput("faults", () => lab);

  after(async () => {
    await lab?.stop();
  });

  it("reports kubeadm's own preflight error when port 6443 is taken, and leaves the host reset", async () => {
    // A real listener on port 6443 (every address): the real kubeadm's preflight binds the API server's port.
    const listener = (
      await lab.lab.run(
        CONTROL_PLANE,
        "setsid socat TCP-LISTEN:6443,reuseaddr,fork EXEC:/bin/cat </dev/null >/dev/null 2>&1 & echo $!",
      )
    ).trim();
    try {
      await lab.lab.run(
        CONTROL_PLANE,
        "for i in $(seq 50); do ss -ltn | grep -q ':6443 ' && exit 0; sleep 0.1; done; exit 1",
      );
      const message = await failure(lab.up());
      assert.match(message, /kubeadm init failed on cp1 \(root@127\.0\.0\.1:\d+\) \(exit status 1\)/);
      assert.match(message, /\[ERROR Port-6443\]: Port 6443 is in use/);
      assert.match(message, /error execution phase preflight/);
      assert.match(message, /The host was reset/);
      const state = await hostState(CONTROL_PLANE);
      assert.deepEqual(state.footprintItems, [], "cp1 was not reset after the failed init");
      // The worker never joined a control plane that is not there.
      assert.deepEqual((await hostState("w1")).footprintItems, []);
    } finally {
      await lab.lab.run(CONTROL_PLANE, `kill ${listener}`);
    }
  });

  it("fails with the host and the step when SSH drops during kubeadm init, and converges on the next up", async () => {
    // Drop every SSH session of cp1 (sshd's connection processes, killed inside the host: what a network cut
    // does to them) once kubeadm init has started the kubelet: the control plane is half made.
    const up = lab.up();
    let settled = false;
    void up.then(
      () => (settled = true),
      () => (settled = true),
    );
    let dropped = "";
    while (!settled && !dropped) {
      const started = await lab.lab.exec(
        CONTROL_PLANE,
        "test -e /var/lib/kubelet/config.yaml && pgrep -f '(^|/)kubeadm init( |$)' >/dev/null",
      );
      if (started.code === 0) {
        dropped = await lab.lab.run(
          CONTROL_PLANE,
          "main=$(systemctl show lab-sshd -p MainPID --value); for pid in $(pgrep -x sshd); do " +
            '[ "$pid" = "$main" ] || { kill -KILL "$pid" && echo "$pid"; }; done',
        );
      } else {
        await sleep(200);
      }
    }
    const message = await failure(up);
    assert.ok(dropped.trim(), `kubeadm init never got as far as the kubelet:\n${message}`);
    assert.match(message, /kubeadm init failed on cp1 \(root@127\.0\.0\.1:\d+\)/);
    assert.match(message, /could not be reset \(the connection is gone\); the next `pulumi up` resets it/);
    // The worker never joined a control plane that is not there.
    assert.deepEqual((await hostState("w1")).footprintItems, []);
    // Nothing signals kubeadm without a terminal but its broken output: it dies at its next line.
    for (let i = 0; i < 120 && (await kubeadmRunning(CONTROL_PLANE, "init")); i++) await sleep(500);
    assert.equal(await kubeadmRunning(CONTROL_PLANE, "init"), false, "kubeadm init still runs on cp1");
    assert.ok((await hostState(CONTROL_PLANE)).footprint, "the interrupted init left nothing to clear");

    const from = lab.output.length;
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    // Its API server answers, but the init never finished: reset at once, not adopted nor waited on.
    const next = lab.output.slice(from);
    assert.match(next, /warning: \[cp1\] kubeadm init did not finish on cp1 \(root@127\.0\.0\.1:\d+\) \(/);
    assert.match(next, /\[cp1\] reset: clearing leftovers of an earlier attempt/);
    await assertNodes([CONTROL_PLANE, "w1"]);
    await assertInitFinished();
  });

  it("joins a worker added after every earlier token has expired", async () => {
    // Wait the TTL out for real: the controller-manager's token cleaner deletes each token once it expires.
    const earlier = await lab.bootstrapTokenIds();
    assert.ok(earlier.length >= 1, "kubeadm init made no token");
    const deadline = Date.now() + (TOKEN_TTL_SECONDS + 120) * 1000;
    while ((await lab.bootstrapTokenIds()).length > 0) {
      assert.ok(
        Date.now() < deadline,
        `tokens still there after their TTL: ${(await lab.bootstrapTokenIds()).join(", ")}`,
      );
      await sleep(5000);
    }
    const w1Logins = lab.logins("w1");
    lab.declareHosts([CONTROL_PLANE], ["w1", "w2"]);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    await assertNodes([CONTROL_PLANE, "w1", "w2"]);
    const w2 = (await lab.kubeletBootstraps()).filter((b) => b.node === "w2");
    assert.equal(w2.length, 1, JSON.stringify(w2));
    assert.ok(!earlier.includes(w2[0].tokenId), "w2 joined with a token that existed before");
    assert.deepEqual(await lab.bootstrapTokenIds(), [], "w2's join token was not deleted");
    assert.equal(lab.logins("w1"), w1Logins, "w1 was touched");
  });

  it("destroys with a warning naming a worker that is down", async () => {
    await lab.lab.hostDown("w1");
    try {
      const from = lab.output.length;
      const result = await lab.destroy();
      assert.equal(result.summary.result, "succeeded");
      const output = lab.output.slice(from);
      assert.match(output, /warning: \[w1\] .*127\.0\.0\.1:\d+/);
      // The other hosts were reset as usual.
      for (const host of [CONTROL_PLANE, "w2"]) {
        assert.deepEqual((await hostState(host)).footprintItems, [], `${host} was not reset`);
      }
    } finally {
      await lab.lab.hostUp("w1");
    }
  });

  it("converges on the next up after the pulumi process was killed in the middle of the joins", async () => {
    lab.declareHosts([CONTROL_PLANE], ["w1", "w2"]);
    await killUpWhen(lab, async () => (await kubeadmRunning("w1", "join")) || (await kubeadmRunning("w2", "join")), {
      logName: "faults-killed-up.log",
      what: "any join started",
    });
    const joinedAtKill = await lab.nodeNames();
    // It was killed in the middle: the workers were joining, not joined.
    assert.ok(
      !joinedAtKill.includes("w1") || !joinedAtKill.includes("w2"),
      `both workers had joined already: ${joinedAtKill}`,
    );

    // The killed update still holds the stack's lock (the file backend's lock file): the engine refuses to
    // start another until `pulumi cancel` removes it, as its message says. That is the one manual step.
    const locked = await failure(lab.up());
    assert.match(locked, /the stack is currently locked by 1 lock\(s\).*pulumi cancel/s);
    lab.project.cli(["cancel", "--yes", "--stack", "lab"]);
    // The interrupted creates are only a warning: the engine creates them again, and the providers adopt what
    // the killed run finished or reset what it left half done.
    const from = lab.output.length;
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.match(lab.output.slice(from), /pending operations from previous deployment/);
    await assertNodes([CONTROL_PLANE, "w1", "w2"]);
    for (const worker of ["w1", "w2"]) {
      assert.match(await lab.lab.run(worker, "systemctl is-active kubelet"), /^active/m, `${worker}'s kubelet`);
    }
  });

  it("fails within the connect timeout, naming the address, when hosts are down or silent", async () => {
    // A second stack on the same lab: w2, switched off (its forwarder leads nowhere), and a host whose
    // "sshd" accepts connections and never says a word, so only ssh.connectTimeoutSeconds ends the wait.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as net.AddressInfo).port;
    await lab.lab.hostDown("w2");
    try {
      const w2 = lab.lab.host("w2");
      const hostsFile = path.join(labDir(lab.lab.name), "unreachable-hosts.yaml");
      fs.writeFileSync(
        hostsFile,
        stringify(
          {
            controlPlane: [
              {
                name: "w2",
                address: w2.sshAddress,
                port: w2.sshPort,
                advertiseAddress: w2.address,
                hostKey: w2.hostKey,
              },
            ],
            workers: [
              {
                name: "silent",
                address: "127.0.0.1",
                port: silentPort,
                advertiseAddress: lab.lab.network.host(248),
                hostKey: w2.hostKey,
              },
            ],
            ssh: { user: "root", privateKeyFile: lab.lab.inventory.privateKeyPath },
          },
          { lineWidth: 0 },
        ),
      );
      const config = { hostsFile, ...LAB_MIRRORS, ssh: { connectTimeoutSeconds: 2 } };
      const stack = await lab.project.stack(
        "unreachable",
        stringify({
          config: Object.fromEntries(Object.entries(config).map(([key, value]) => [`pulumi-kubeadm:${key}`, value])),
        }),
      );
      let output = "";
      const started = Date.now();
      const message = await failure(stack.up({ onOutput: (text) => (output += text) }));
      const elapsed = (Date.now() - started) / 1000;
      assert.ok(elapsed < 60, `up took ${elapsed}s to fail`);
      assert.match(message, new RegExp(`ssh w2 \\(root@127\\.0\\.0\\.1:${w2.sshPort}\\): `));
      assert.match(
        message,
        new RegExp(`ssh silent \\(root@127\\.0\\.0\\.1:${silentPort}\\): connection timed out after 2s`),
      );
      // The silent host's address and port are set on its own entry (in the hosts file), not under ssh.
      assert.match(output, /check workers\[0\]\.address, workers\[0\]\.port and that sshd runs/);
    } finally {
      silent.close();
      await lab.lab.hostUp("w2");
    }
  });
});
