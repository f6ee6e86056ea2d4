// The shell text the session sends, run here with the local sh: what sudo receives, and how an
// upload writes its file. Over SSH the same text runs (see session.test.ts).
import { strict as assert } from "assert";
import { execFileSync, spawn, spawnSync } from "child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "fs";
import { tmpdir } from "os";
import { join } from "path";
import {
  existsScript,
  KILL_AFTER_SECONDS,
  MISSING_FILE_STATUS,
  readFileScript,
  REMOTE_TIMEOUT_MARGIN_SECONDS,
  uploadScript,
  wrapCommand,
} from "../../ssh/scripts";

let dir: string;

function runSh(script: string, stdin?: string | Buffer, env?: NodeJS.ProcessEnv) {
  return spawnSync("sh", ["-c", script], { input: stdin, env: env ?? process.env });
}

describe("remote scripts", () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ssh-scripts-test-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe("wrapCommand", () => {
    const command = `printf '%s|' "$0" 'it''s' "$(echo sub)"; echo`;

    it("runs the command through sh -c, so the login shell does not change its meaning", () => {
      assert.equal(wrapCommand("true", { sudo: false }), "sh -c 'true'");
      const viaBash = execFileSync("bash", ["-c", wrapCommand(command, { sudo: false })]).toString();
      assert.equal(viaBash, "sh|its|sub|\n");
    });

    it("hands sudo -n exactly [timeout, -k, kill-after, seconds, sh, -c, command]", () => {
      // A stand-in sudo that records its arguments, one per line, then runs what it was given.
      const shimDir = join(dir, "bin");
      mkdirSync(shimDir);
      const record = join(dir, "sudo-args");
      writeFileSync(
        join(shimDir, "sudo"),
        `#!/bin/sh\nfor a do printf '%s\\n---\\n' "$a" >> '${record}'; done\n[ "$1" = -n ] && shift\nexec "$@"\n`,
      );
      chmodSync(join(shimDir, "sudo"), 0o755);
      const env = { ...process.env, PATH: `${shimDir}:${process.env.PATH}` };
      const wrapped = wrapCommand(command, { sudo: true, timeoutSeconds: 30 });
      const output = execFileSync("bash", ["-c", wrapped], { env }).toString();
      assert.equal(output, "sh|its|sub|\n");
      const args = readFileSync(record, "utf8").split("\n---\n").slice(0, -1);
      const remoteSeconds = String(30 + REMOTE_TIMEOUT_MARGIN_SECONDS);
      assert.deepEqual(args, ["-n", "timeout", "-k", String(KILL_AFTER_SECONDS), remoteSeconds, "sh", "-c", command]);
    });

    it("stops the whole command, background children included, when the timeout expires", () => {
      const started = Date.now();
      const marker = `sleep 29.${process.pid}`;
      const result = spawnSync("sh", [
        "-c",
        wrapCommand(`${marker} & ${marker}; wait`, { sudo: false, timeoutSeconds: 1 }),
      ]);
      assert.equal(result.status, 124, "coreutils timeout reports expiry as 124");
      assert.ok(Date.now() - started < 10_000);
      assert.equal(spawnSync("pgrep", ["-f", marker]).status, 1, "a child outlived the timeout");
    });
  });

  describe("uploadScript", () => {
    it("creates parent directories 0755, writes the file with its mode, and leaves no temporary file", () => {
      const target = join(dir, "a", "b", "secret.key");
      const result = runSh(`umask 077; ${uploadScript(target, { mode: 0o640 })}`, "content\n");
      assert.equal(result.status, 0, result.stderr.toString());
      assert.equal(readFileSync(target, "utf8"), "content\n");
      assert.equal(statSync(target).mode & 0o7777, 0o640);
      assert.equal(statSync(join(dir, "a", "b")).mode & 0o777, 0o755);
      assert.deepEqual(readdirSync(join(dir, "a", "b")), ["secret.key"]);
    });

    it("has the final mode and owner on the file before any content is written", async () => {
      const target = join(dir, "key.pem");
      // 0640, not mktemp's own 0600, so a chmod that ran after the content would show.
      const writer = spawn("sh", ["-c", uploadScript(target, { mode: 0o640, owner: "nobody", group: "nogroup" })]);
      writer.stdin.write("first part, ");
      // While the script waits for the rest of its input, the content is in the temporary file.
      let temporary: string | undefined;
      for (let i = 0; i < 200 && temporary === undefined; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        temporary = readdirSync(dir).find((name) => name.startsWith(".upload.") && statSync(join(dir, name)).size > 0);
      }
      assert.ok(temporary !== undefined, "no partly written temporary file appeared");
      const partial = statSync(join(dir, temporary));
      assert.equal(partial.mode & 0o7777, 0o640);
      assert.equal(partial.uid, Number(execFileSync("id", ["-u", "nobody"]).toString()));
      assert.equal(existsSync(target), false, "the target appeared before the content was complete");
      writer.stdin.end("second part");
      const status = await new Promise((resolve) => writer.on("close", resolve));
      assert.equal(status, 0);
      assert.equal(readFileSync(target, "utf8"), "first part, second part");
    });

    it("replaces an existing file only when the whole upload succeeds, and cleans up after failing", () => {
      const target = join(dir, "config");
      writeFileSync(target, "old");
      const failing = runSh(uploadScript(target, { mode: 0o644, owner: "no-such-user-here" }), "new");
      assert.notEqual(failing.status, 0);
      assert.equal(readFileSync(target, "utf8"), "old");
      assert.deepEqual(readdirSync(dir), ["config"]);
    });

    it("refuses relative paths, impossible modes and owner names that could be options", () => {
      assert.throws(() => uploadScript("etc/x", { mode: 0o600 }), /absolute/);
      assert.throws(() => uploadScript("/etc/x", { mode: 0o10000 }), /mode/);
      assert.throws(() => uploadScript("/etc/x", { mode: 1.5 }), /mode/);
      assert.throws(() => uploadScript("/etc/x", { mode: 0o600, owner: "-R" }), /not a user/);
      assert.throws(() => uploadScript("/etc/x", { mode: 0o600, group: "a b" }), /not a user/);
    });
  });

  describe("readFileScript and existsScript", () => {
    it("tell a missing file from an unreadable one", () => {
      const file = join(dir, "present");
      writeFileSync(file, "x");
      assert.equal(runSh(readFileScript(file)).stdout.toString(), "x");
      assert.equal(runSh(readFileScript(join(dir, "absent"))).status, MISSING_FILE_STATUS);
      assert.notEqual(runSh(readFileScript(dir)).status, MISSING_FILE_STATUS, "a directory is not a missing file");
      assert.equal(runSh(existsScript(file)).status, 0);
      assert.equal(runSh(existsScript(join(dir, "absent"))).status, 1);
    });
  });
});
