// withSession against a real OpenSSH server on loopback (tests/support/sshd.ts).
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import { existsSync, readFileSync, rmSync, statSync } from "fs";
import { join } from "path";
import { RemoteCommandError, RemoteCommandTimeoutError, SshConnectionError } from "../../ssh/errors";
import { SECRET_PLACEHOLDER } from "../../ssh/mask";
import { withSession, type OutputStream, type RemoteSession } from "../../ssh/session";
import { requireSetUpTool } from "../support/set-up-tools";
import { startSshd, type TestSshd } from "../support/sshd";

const SECRET = "abcdef.0123456789abcdef";

function processRunning(pattern: string): boolean {
  try {
    execFileSync("pgrep", ["-f", pattern]);
    return true;
  } catch {
    return false;
  }
}

describe("withSession (real sshd)", function () {
  this.timeout(30_000);
  let sshd: TestSshd;

  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });

  it("returns stdout, stderr and the exit status; stdin reaches the command", async () => {
    const result = await withSession(sshd.connection(), (s) =>
      s.run("cat; echo to-stderr >&2; exit 0", { stdin: "from stdin\n" }),
    );
    assert.deepEqual(result, { code: 0, stdout: "from stdin\n", stderr: "to-stderr\n" });
    const failed = await withSession(sshd.connection(), (s) => s.run("exit 7", { allowFailure: true }));
    assert.equal(failed.code, 7);
  });

  it("throws RemoteCommandError on a non-zero exit, with host, command, status and masked stderr", async () => {
    const error = await withSession(
      sshd.connection(),
      (s) => s.run(`echo line1 >&2; echo "token ${SECRET}" >&2; exit 3`, { summary: `join with ${SECRET}` }),
      { secrets: [SECRET], label: "cp-1" },
    ).then(
      () => assert.fail("the command should have failed"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RemoteCommandError);
    assert.equal(error.exitCode, 3);
    assert.ok(error.message.startsWith(`ssh cp-1 (root@127.0.0.1:${sshd.port}): `), error.message);
    assert.ok(error.message.includes(`join with ${SECRET_PLACEHOLDER}`), error.message);
    assert.ok(error.message.includes("line1") && error.message.includes(`token ${SECRET_PLACEHOLDER}`), error.message);
    assert.ok(!error.message.includes(SECRET) && !error.message.includes("0123456789abcdef"), "secret leaked");
  });

  it("keeps only the last 20 lines of stderr in the error", async () => {
    const error = await withSession(sshd.connection(), (s) =>
      s.run("for i in $(seq 1 50); do echo err$i >&2; done; exit 1"),
    ).catch((e: RemoteCommandError) => e);
    assert.ok(error instanceof RemoteCommandError);
    assert.ok(error.message.includes("err31\n") && error.message.includes("err50"));
    assert.ok(!error.message.includes("err30\n"));
  });

  it("streams output lines to onOutput with secrets masked, even when a secret is split between writes", async () => {
    const lines: Array<[string, OutputStream]> = [];
    const halves = [SECRET.slice(0, 9), SECRET.slice(9)];
    const result = await withSession(
      sshd.connection(),
      (s) => s.run(`printf 'a %s' '${halves[0]}'; sleep 0.3; printf '%s b\\nnext\\n' '${halves[1]}'; echo e >&2`),
      { secrets: [SECRET], onOutput: (line, stream) => lines.push([line, stream]) },
    );
    assert.deepEqual(
      lines.filter(([, stream]) => stream === "stdout"),
      [
        [`a ${SECRET_PLACEHOLDER} b`, "stdout"],
        ["next", "stdout"],
      ],
    );
    assert.deepEqual(
      lines.filter(([, stream]) => stream === "stderr"),
      [["e", "stderr"]],
    );
    // The caller still gets the real output: it may need it (a join command, a kubeconfig).
    assert.ok(result.stdout.includes(SECRET));
  });

  it("masks the connection's own private key if a command prints it", async () => {
    const lines: string[] = [];
    const conn = sshd.connection();
    await withSession(conn, (s) => s.run("cat", { stdin: conn.privateKey }), { onOutput: (line) => lines.push(line) });
    assert.deepEqual(lines, [SECRET_PLACEHOLDER]);
  });

  it("uploads atomically with the requested mode, binary content and an awkward path intact", async () => {
    const binary = Buffer.concat([randomBytes(4096), Buffer.from([0, 10, 13, 39, 34, 92, 0])]);
    const awkwardDir = join(sshd.dir, "dir with 'quotes' and\nnewline", "sub");
    const awkwardPath = join(awkwardDir, `$(touch x) "it's"\n.bin`);
    const secretPath = join(sshd.dir, "pki", "ca.key");
    const after = await withSession(sshd.connection(), async (s) => {
      await s.upload(secretPath, "PRIVATE\n", { mode: 0o600 });
      await s.upload(awkwardPath, binary, { mode: 0o644, owner: "nobody", group: "nogroup" });
      return s.run(`stat -c %a ${JSON.stringify(secretPath)}`);
    });
    assert.equal(after.stdout.trim(), "600");
    assert.equal(readFileSync(secretPath, "utf8"), "PRIVATE\n");
    assert.deepEqual(readFileSync(awkwardPath), binary);
    assert.equal(statSync(awkwardPath).mode & 0o777, 0o644);
    assert.equal(statSync(awkwardPath).uid, 65534);
    assert.equal(existsSync(join(awkwardDir, "x")), false);
    assert.equal(existsSync(join(sshd.dir, "x")), false);
  });

  it("replaces an existing file on upload", async () => {
    const path = join(sshd.dir, "replace-me");
    await withSession(sshd.connection(), async (s) => {
      await s.upload(path, "one", { mode: 0o644 });
      await s.upload(path, "two", { mode: 0o600 });
    });
    assert.equal(readFileSync(path, "utf8"), "two");
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it("reads files: content when present, undefined when missing; exists agrees", async () => {
    const path = join(sshd.dir, "read me 'please'");
    const [missing, existedBefore, content, existsAfter] = await withSession(sshd.connection(), async (s) => {
      const missing = await s.readFile(path);
      const existedBefore = await s.exists(path);
      await s.upload(path, "hello\nworld", { mode: 0o600 });
      return [missing, existedBefore, await s.readFile(path), await s.exists(path)];
    });
    assert.equal(missing, undefined);
    assert.equal(existedBefore, false);
    assert.equal(content, "hello\nworld");
    assert.equal(existsAfter, true);
  });

  it("reports an unreadable file as an error, not as missing", async () => {
    await assert.rejects(
      withSession(sshd.connection(), (s) => s.readFile(sshd.dir)),
      (e: unknown) => e instanceof RemoteCommandError && /Is a directory/.test(e.message),
    );
  });

  it("runs every command of one operation over a single SSH connection", async () => {
    const before = sshd.acceptedLogins();
    await withSession(sshd.connection(), async (s) => {
      await s.run("true");
      await s.upload(join(sshd.dir, "one-connection"), "x", { mode: 0o600 });
      await s.readFile(join(sshd.dir, "one-connection"));
      await Promise.all([s.run("sleep 0.2"), s.run("sleep 0.2"), s.exists("/")]);
    });
    assert.equal(sshd.acceptedLogins() - before, 1);
  });

  it("closes the connection when fn throws, and passes fn's error through", async () => {
    let session: RemoteSession | undefined;
    await assert.rejects(
      withSession(sshd.connection(), async (s) => {
        session = s;
        await s.run("true");
        throw new Error("caller failed");
      }),
      /caller failed/,
    );
    assert.ok(session);
    await assert.rejects(session.run("true"), /connection lost|Not connected/);
  });

  it("reports a connection the server dropped during a command as lost (unreachable), not as a failed command", async () => {
    // The command kills its own sshd session processes (as a dropped connection or a rebooting host would end
    // them), never the listener.
    const dropSession = [
      "p=$PPID",
      'while [ "$p" -gt 1 ]; do',
      '  c=$(tr "\\0" " " < /proc/$p/cmdline)',
      '  case "$c" in sshd*"[listener]"*|"sshd: /"*) break ;; sshd*) kill -9 "$p" ;; esac',
      '  p=$(awk "{print \\$4}" /proc/$p/stat)',
      "done",
      "sleep 5",
    ].join("\n");
    const error = await withSession(sshd.connection(), (s) => s.run(dropSession, { summary: "drop" })).catch(
      (e: unknown) => e,
    );
    assert.ok(error instanceof SshConnectionError, String(error));
    assert.equal(error.failure, "unreachable");
    assert.match(error.message, /connection lost while running `drop`: the server closed the connection/);
  });

  it("stops a command at its timeout, naming host, command and seconds, and the remote command ends", async () => {
    const marker = `sleep 31.${process.pid}`;
    const started = Date.now();
    const sources = { commandTimeoutSeconds: "workers[0].commandTimeoutSeconds" };
    const error = await withSession(sshd.connection({ commandTimeoutSeconds: 1, sources }), (s) =>
      s.run(`echo started; ${marker}`),
    ).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    assert.ok(error instanceof RemoteCommandTimeoutError, String(error));
    assert.ok(elapsed >= 1000 && elapsed < 5000, `took ${elapsed}ms`);
    assert.ok(error.message.includes(`127.0.0.1:${sshd.port}`), error.message);
    assert.ok(error.message.includes(marker) && error.message.includes("1s"), error.message);
    assert.ok(error.message.includes("started"), "the output before the timeout helps find where it hung");
    assert.ok(error.message.includes("(raise workers[0].commandTimeoutSeconds if it needs longer)"), error.message);
    let stillRunning = true;
    for (let i = 0; i < 50 && stillRunning; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stillRunning = processRunning(marker);
    }
    assert.equal(stillRunning, false, "the remote command outlived its timeout");
  });

  it("a per-command timeout overrides the connection's", async () => {
    const error = await withSession(sshd.connection({ commandTimeoutSeconds: 60 }), (s) =>
      s.run("sleep 5", { timeoutSeconds: 1 }),
    ).catch((e: unknown) => e);
    assert.ok(error instanceof RemoteCommandTimeoutError && error.timeoutSeconds === 1);
    // The command's own timeout is the caller's choice: raising the connection's would change nothing.
    assert.ok(!error.message.includes("commandTimeoutSeconds"), error.message);
  });

  describe("sudo", () => {
    before(function () {
      requireSetUpTool(this, "sudo", "/usr/bin/sudo");
    });

    it("runs commands through sudo -n when the connection asks for it, unless a command opts out", async () => {
      const [viaSudo, direct] = await withSession(sshd.connection({ sudo: true }), async (s) => [
        await s.run('printf %s "$SUDO_COMMAND"'),
        await s.run('printf %s "${SUDO_COMMAND:-none}"', { sudo: false }),
      ]);
      assert.match(viaSudo.stdout, /^\/usr\/bin\/timeout -k \d+ \d+ sh -c printf/);
      assert.equal(direct.stdout, "none");
    });

    it("uploads through sudo with content on stdin", async () => {
      const path = join(sshd.dir, "sudo-upload");
      await withSession(sshd.connection({ sudo: true }), (s) => s.upload(path, "via sudo", { mode: 0o600 }));
      assert.equal(readFileSync(path, "utf8"), "via sudo");
      rmSync(path);
    });
  });
});
