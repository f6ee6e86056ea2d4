// Access to the kubeadm binaries the set-up builds, for tests that check our output against the real tool.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubeadmBinary } from "../../tools/paths";
import { requireSetUpTool } from "../support/set-up-tools";

/** The kubeadm the set-up built for `version`; missing, it fails the test under tools/test and skips it elsewhere. */
export function requireKubeadm(context: Mocha.Context, version: string): string {
  return requireSetUpTool(context, `kubeadm ${version}`, kubeadmBinary(version));
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], input?: string): CommandResult {
  const result = spawnSync(command, args, { encoding: "utf8", input, timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A private temporary directory, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `kubeadm config validate` on a config; the file is written 0600 because it holds tokens. */
export function kubeadmValidate(binary: string, config: string): CommandResult {
  const { dir, cleanup } = tempDir("kubeadm-validate-");
  try {
    const file = path.join(dir, "kubeadm.yaml");
    fs.writeFileSync(file, config, { mode: 0o600 });
    return run(binary, ["config", "validate", "--config", file]);
  } finally {
    cleanup();
  }
}
