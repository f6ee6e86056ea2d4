// Connecting: host-key verification, credentials, retries and jump hosts, against real sshd
// processes on loopback (tests/support/sshd.ts).
import { strict as assert } from "assert";
import { execFileSync, spawn, type ChildProcess } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import type { Connection } from "../../config/spec";
import { resolveConfig } from "../../config/resolve";
import type { ClusterConfigInput } from "../../config/schema";
import { HostKeyVerificationError, SshConnectionError } from "../../ssh/errors";
import { withSession } from "../../ssh/session";
import { freePort, startSshd, startTcpRelay, type TcpRelay, type TestSshd } from "../support/sshd";

const whoami = (conn: Connection) => withSession(conn, (s) => s.run("id -un")).then((r) => r.stdout.trim());

async function connectionError(conn: Connection): Promise<SshConnectionError> {
  const error = await whoami(conn).then(
    () => assert.fail("the connection should have failed"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SshConnectionError, `expected SshConnectionError, got ${String(error)}`);
  return error;
}

function otherHostKeyLine(): { line: string; fingerprint: string } {
  const dir = mkdtempSync(join(tmpdir(), "other-key-"));
  try {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
    const line = execFileSync("cat", [join(dir, "k.pub")])
      .toString()
      .split(" ")
      .slice(0, 2)
      .join(" ");
    const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", join(dir, "k.pub")])
      .toString()
      .split(" ")[1];
    return { line, fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("connecting (real sshd)", function () {
  this.timeout(30_000);
  let sshd: TestSshd;
  let relay: TcpRelay | undefined;

  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });
  afterEach(async () => {
    await relay?.close();
    relay = undefined;
  });

  describe("host keys", () => {
    it("accepts the pinned key line and the pinned SHA256 fingerprint", async () => {
      assert.equal(await whoami(sshd.connection({ hostKey: sshd.hostKeyLine })), "root");
      assert.equal(await whoami(sshd.connection({ hostKey: sshd.hostKeyFingerprint })), "root");
    });

    it("rejects a different pinned key at once, showing expected and actual fingerprints", async () => {
      const other = otherHostKeyLine();
      const loginsBefore = sshd.acceptedLogins();
      const error = await connectionError(sshd.connection({ hostKey: other.line, dialErrorLimit: 3 }));
      assert.ok(error instanceof HostKeyVerificationError);
      assert.equal(error.attempts, 1);
      assert.equal(error.actualFingerprint, sshd.hostKeyFingerprint);
      assert.ok(error.message.includes(other.fingerprint), error.message);
      assert.ok(error.message.includes(sshd.hostKeyFingerprint), error.message);
      assert.ok(error.message.includes(`127.0.0.1:${sshd.port}`), error.message);
      assert.equal(sshd.acceptedLogins(), loginsBefore, "logged in despite the wrong host key");
    });

    it("refuses when no key is pinned, explaining how to pin it", async () => {
      const error = await connectionError(sshd.connection({ hostKey: undefined }));
      assert.ok(error instanceof HostKeyVerificationError);
      assert.ok(error.message.includes(`ssh-keyscan -p ${sshd.port} '127.0.0.1'`), error.message);
    });

    it("accepts any key with insecureIgnoreHostKey", async () => {
      const other = otherHostKeyLine();
      assert.equal(await whoami(sshd.connection({ hostKey: undefined, insecureIgnoreHostKey: true })), "root");
      assert.equal(await whoami(sshd.connection({ hostKey: other.line, insecureIgnoreHostKey: true })), "root");
    });

    it("uses a known_hosts file with a [host]:port entry, and rejects a wrong one", async () => {
      const dir = mkdtempSync(join(tmpdir(), "known-hosts-"));
      try {
        const good = join(dir, "good");
        writeFileSync(good, `# comment\n[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
        assert.equal(await whoami(sshd.connection({ hostKey: undefined, knownHostsFile: good })), "root");
        const wrong = join(dir, "wrong");
        writeFileSync(wrong, `[127.0.0.1]:${sshd.port} ${otherHostKeyLine().line}\n`);
        const error = await connectionError(sshd.connection({ hostKey: undefined, knownHostsFile: wrong }));
        assert.ok(error instanceof HostKeyVerificationError && error.message.includes(wrong), error.message);
        // A bare host name in known_hosts stands for port 22 only.
        const portless = join(dir, "portless");
        writeFileSync(portless, `127.0.0.1 ${sshd.hostKeyLine}\n`);
        const missing = await connectionError(sshd.connection({ hostKey: undefined, knownHostsFile: portless }));
        assert.ok(missing.message.includes(`no entry for [127.0.0.1]:${sshd.port}`), missing.message);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("credentials", () => {
    it("fails authentication without retrying and without printing the key", async () => {
      const other = await startSshd();
      try {
        relay = await startTcpRelay(() => ({ forwardTo: sshd.port }));
        const conn = sshd.connection({ port: relay.port, privateKey: other.clientPrivateKey, dialErrorLimit: 3 });
        const error = await connectionError(conn);
        assert.equal(error.failure, "authentication");
        assert.equal(relay.connections(), 1);
        assert.match(error.message, /authentication failed/);
        assert.ok(
          !error.message.includes("PRIVATE KEY") && !error.message.includes(other.clientPrivateKey.slice(40, 80)),
        );
      } finally {
        await other.stop();
      }
    });

    it("decrypts a passphrase-protected key, and reports a missing passphrase as a configuration error", async () => {
      const passphrase = "correct horse battery";
      const locked = await startSshd({ clientKeyPassphrase: passphrase });
      try {
        const conn = locked.connection({ privateKeyPassword: passphrase });
        assert.equal(await whoami(conn), "root");
        const error = await connectionError(locked.connection({ dialErrorLimit: 3 }));
        assert.equal(error.failure, "configuration");
        assert.equal(error.attempts, 1);
        const wrong = await connectionError(locked.connection({ privateKeyPassword: "wrong passphrase" }));
        assert.ok(!wrong.message.includes("wrong passphrase"), wrong.message);
      } finally {
        await locked.stop();
      }
    });

    it("authenticates through an ssh-agent socket", async () => {
      const dir = mkdtempSync(join(tmpdir(), "agent-"));
      const socket = join(dir, "agent.sock");
      let agent: ChildProcess | undefined;
      try {
        agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
        for (let i = 0; i < 100; i++) {
          try {
            execFileSync("ssh-add", ["-l"], { env: { SSH_AUTH_SOCK: socket }, stdio: "ignore" });
            break;
          } catch (error) {
            // ssh-add -l exits 1 for "no identities" once the agent answers, 2 while it cannot connect.
            if ((error as { status?: number }).status === 1) break;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        writeFileSync(join(dir, "key"), sshd.clientPrivateKey, { mode: 0o600 });
        execFileSync("ssh-add", [join(dir, "key")], { env: { SSH_AUTH_SOCK: socket }, stdio: "ignore" });
        const conn = sshd.connection({ privateKey: undefined, agentSocketPath: socket });
        assert.equal(await whoami(conn), "root");
      } finally {
        agent?.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("retries", () => {
    it("gives up on a closed port after dialErrorLimit attempts, naming host:port", async () => {
      const port = await freePort();
      const started = Date.now();
      const error = await connectionError(sshd.connection({ port, dialErrorLimit: 3, connectTimeoutSeconds: 5 }));
      const elapsed = Date.now() - started;
      assert.equal(error.failure, "unreachable");
      assert.equal(error.attempts, 3);
      assert.ok(error.message.includes(`root@127.0.0.1:${port}`), error.message);
      // Built by hand, this connection has no sources: the keys named are the cluster-wide ones.
      assert.match(error.message, /connection refused \(3 attempts over [\d.]+s\) — check address, ssh\.port and/);
      assert.ok(elapsed < 5000, `took ${elapsed}ms`);
    });

    it("names the node given as label in connection errors", async () => {
      const port = await freePort();
      const error = await withSession(sshd.connection({ port }), async () => undefined, { label: "worker-7" }).catch(
        (e: unknown) => e,
      );
      assert.ok(error instanceof SshConnectionError);
      assert.ok(error.message.startsWith(`ssh worker-7 (root@127.0.0.1:${port}): connection refused`), error.message);
    });

    it("keeps the message on one line when the label or address holds a line break", async () => {
      const port = await freePort();
      const conn = sshd.connection({ port, user: "root\nforged: line" });
      const error = await withSession(conn, async () => undefined, { label: "worker-7\r\n" }).catch((e: unknown) => e);
      assert.ok(error instanceof SshConnectionError);
      assert.ok(!/[\r\n]/.test(error.message), error.message);
      assert.ok(
        error.message.startsWith(`ssh worker-7\\r\\n (root\\nforged: line@127.0.0.1:${port}): `),
        error.message,
      );
    });

    it("retries a server that drops connections and succeeds once it answers", async () => {
      relay = await startTcpRelay((attempt) => (attempt <= 2 ? "reset" : { forwardTo: sshd.port }));
      assert.equal(await whoami(sshd.connection({ port: relay.port, dialErrorLimit: 3 })), "root");
      assert.equal(relay.connections(), 3);
    });

    it("times out a server that never answers, after connectTimeoutSeconds per attempt", async () => {
      relay = await startTcpRelay(() => "silent");
      const started = Date.now();
      const error = await connectionError(
        sshd.connection({ port: relay.port, dialErrorLimit: 2, connectTimeoutSeconds: 1 }),
      );
      const elapsed = Date.now() - started;
      assert.equal(relay.connections(), 2);
      assert.match(error.message, /connection timed out after 1s \(2 attempts/);
      assert.ok(elapsed >= 2000 && elapsed < 6000, `took ${elapsed}ms`);
    });
  });

  describe("jump host", () => {
    let target: TestSshd;

    before(async () => {
      target = await startSshd();
    });
    after(async () => {
      await target?.stop();
    });

    it("reaches the target through the jump host, one login on each", async () => {
      const jumpLogins = sshd.acceptedLogins();
      const targetLogins = target.acceptedLogins();
      const conn = target.connection({ proxy: sshd.connection() });
      const hostname = await withSession(conn, async (s) => {
        await s.run("true");
        return (await s.run("echo via-jump")).stdout;
      });
      assert.equal(hostname, "via-jump\n");
      assert.equal(sshd.acceptedLogins() - jumpLogins, 1);
      assert.equal(target.acceptedLogins() - targetLogins, 1);
    });

    it("verifies the target's host key too", async () => {
      const conn = target.connection({ proxy: sshd.connection(), hostKey: otherHostKeyLine().line });
      const error = await connectionError(conn);
      assert.ok(error instanceof HostKeyVerificationError);
      assert.ok(error.message.includes(`via root@127.0.0.1:${sshd.port}`), error.message);
      assert.ok(error.message.includes(target.hostKeyFingerprint), error.message);
    });

    it("retries and then reports a target the jump host cannot reach", async () => {
      const closedPort = await freePort();
      const conn = target.connection({ port: closedPort, dialErrorLimit: 2, proxy: sshd.connection() });
      const error = await connectionError(conn);
      assert.equal(error.failure, "unreachable");
      assert.equal(error.attempts, 2);
      assert.ok(error.message.includes(`127.0.0.1:${closedPort} via root@127.0.0.1:${sshd.port}`), error.message);
      assert.match(error.message, /jump host could not connect/);
    });

    it("says so when the jump host does not allow forwarding", async () => {
      const strict = await startSshd({ extraConfig: ["AllowTcpForwarding no"] });
      try {
        const conn = target.connection({ proxy: strict.connection(), dialErrorLimit: 3 });
        const error = await connectionError(conn);
        assert.equal(error.failure, "configuration");
        assert.match(error.message, /AllowTcpForwarding/);
      } finally {
        await strict.stop();
      }
    });
  });

  describe("messages name the config key each value came from", () => {
    let dir: string;
    let stranger: TestSshd;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "key-paths-"));
      // Its client key is one this server does not authorize.
      stranger = await startSshd();
      writeFileSync(join(dir, "wrong_key"), stranger.clientPrivateKey, { mode: 0o600 });
    });
    after(async () => {
      await stranger?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** worker01's connection as the program resolves it: the cluster-wide ssh settings work, `change` breaks one. */
    function worker(change: (config: ClusterConfigInput) => void): Connection {
      const config: ClusterConfigInput = {
        controlPlane: [{ name: "master01", address: "192.0.2.10" }],
        workers: [{ name: "worker01", address: "127.0.0.1", port: sshd.port }],
        ssh: { user: "root", privateKey: sshd.clientPrivateKey, hostKey: sshd.hostKeyLine, connectTimeoutSeconds: 5 },
      };
      change(config);
      return resolveConfig(config, { baseDir: dir }).workers[0].connection;
    }

    it("a key from workers[0].privateKeyFile that the server refuses", async () => {
      const error = await connectionError(worker((c) => (c.workers![0].privateKeyFile = "wrong_key")));
      assert.equal(error.failure, "authentication");
      assert.ok(error.message.includes("tried workers[0].privateKeyFile) — check ssh.user"), error.message);
      assert.ok(!error.message.includes("ssh.privateKey"), error.message);
    });

    it("a host key pinned at workers[0].hostKey that the server does not have", async () => {
      const error = await connectionError(worker((c) => (c.workers![0].hostKey = otherHostKeyLine().line)));
      assert.ok(error instanceof HostKeyVerificationError);
      assert.ok(error.message.includes("update workers[0].hostKey"), error.message);
      assert.ok(!error.message.includes("ssh.hostKey"), error.message);
    });

    it("a bastion's own pin, workers[0].bastion.hostKey", async () => {
      const error = await connectionError(
        worker((c) => {
          c.workers![0].bastion = { address: "127.0.0.1", port: sshd.port, hostKey: otherHostKeyLine().line };
        }),
      );
      assert.ok(error instanceof HostKeyVerificationError);
      assert.ok(error.message.includes("(jump host for root@127.0.0.1"), error.message);
      assert.ok(error.message.includes("update workers[0].bastion.hostKey"), error.message);
    });

    it("an address and port nothing answers at: workers[0].address and workers[0].port", async () => {
      const closed = await freePort();
      const error = await connectionError(worker((c) => (c.workers![0].port = closed)));
      assert.equal(error.failure, "unreachable");
      assert.ok(error.message.endsWith("check workers[0].address, workers[0].port and that sshd runs"), error.message);
    });
  });
});
