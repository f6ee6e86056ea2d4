// Access to the kubeadm binaries the set-up builds, for tests that check our output against the real tool.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubeadmBinary } from "../../tools/paths";

/**
 * The kubeadm built for `version`. Under CI=true a missing binary fails the test (a silently skipped check is
 * no check); elsewhere the test is skipped with a note saying how to get it.
 */
export function requireKubeadm(context: Mocha.Context, version: string): string {
  const binary = kubeadmBinary(version);
  if (fs.existsSync(binary)) return binary;
  const message = `kubeadm ${version} is not built (expected at ${binary}); run the set-up in tools/ to build it`;
  if (process.env.CI === "true") throw new Error(message);
  console.log(`      skipped: ${message}`);
  context.skip();
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
