// Commands on lab hosts through the real OpenSSH client, host keys pinned by a known_hosts file built from the
// lab's inventory: how the tests that look at hosts from outside reach them.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { knownHostsLine, type Lab } from "../../lab";

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ShellOptions {
  user?: string;
  input?: string;
}

export interface LabShell {
  ssh(host: string, command: string, options?: ShellOptions): Promise<SshResult>;
  /** The command's stdout, asserting it exited 0. */
  ok(host: string, command: string, options?: ShellOptions): Promise<string>;
  /** The command's result, asserting its exit status. */
  fails(host: string, command: string, code: number): Promise<SshResult>;
}

/** A shell on `lab`'s hosts; the known_hosts file is written into `dir`. */
export function labShell(lab: Lab, dir: string): LabShell {
  const knownHosts = path.join(dir, "known_hosts");
  fs.writeFileSync(knownHosts, lab.inventory.hosts.map((h) => knownHostsLine(h) + "\n").join(""));

  function ssh(host: string, command: string, options: ShellOptions = {}): Promise<SshResult> {
    const args = [...lab.sshArgs(host, options.user ?? "root", knownHosts), command];
    return new Promise((resolve, reject) => {
      const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 255, stdout, stderr });
      });
      child.stdin.end(options.input ?? "");
    });
  }

  return {
    ssh,
    async ok(host, command, options = {}) {
      const r = await ssh(host, command, options);
      assert.equal(r.code, 0, `${host}: ${command} exited with ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r.stdout;
    },
    async fails(host, command, code) {
      const r = await ssh(host, command);
      assert.equal(r.code, code, `${host}: ${command} exited with ${r.code}, not ${code}\n${r.stdout}\n${r.stderr}`);
      return r;
    },
  };
}
