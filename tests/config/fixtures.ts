// A valid configuration shaped like the lead's stacks/Pulumi.dev.yaml, which each test breaks in exactly
// one way, plus helpers to find the problem a test expects.
import { strict as assert } from "assert";
import { generateKeyPairSync, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClusterConfigInput } from "../../config/schema";
import { validateConfig, type Problem, type ValidateOptions, type ValidationResult } from "../../config/validate";

/** A syntactically real ssh-ed25519 known_hosts key: the blob names its own type, as the SSH layer checks. */
export function ed25519HostKey(): string {
  const type = Buffer.from("ssh-ed25519");
  const key = randomBytes(32);
  const blob = Buffer.concat([lengthPrefix(type.length), type, lengthPrefix(key.length), key]);
  return `ssh-ed25519 ${blob.toString("base64")}`;
}

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(length);
  return prefix;
}

/** A real private key (validation parses keys as ssh2 will), new on each call so no test depends on its bytes. */
export function newTestPrivateKey(): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return privateKey.export({ type: "sec1", format: "pem" }).toString().trim();
}

export const TEST_PRIVATE_KEY = newTestPrivateKey();

/** A line of TEST_PRIVATE_KEY's body: a message or a log that contains it has leaked the key. */
export const TEST_PRIVATE_KEY_MARKER = TEST_PRIVATE_KEY.split("\n")[1];

export function validConfig(): ClusterConfigInput {
  return {
    controlPlane: [{ name: "master01", address: "192.0.2.10", hostKey: ed25519HostKey() }],
    workers: [
      { name: "worker01", address: "192.0.2.11", hostKey: ed25519HostKey() },
      { name: "worker02", address: "192.0.2.12", hostKey: ed25519HostKey() },
    ],
    ssh: { user: "root", privateKey: TEST_PRIVATE_KEY },
    imageRepository: "registry.aliyuncs.com/google_containers",
    packages: {
      apt: { kubernetesRepository: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/" },
      yum: { kubernetesRepository: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/" },
    },
    containerd: { registryMirrors: { "docker.io": ["https://docker.m.daocloud.io"] } },
    controllerManager: {
      extraArgs: { "horizontal-pod-autoscaler-sync-period": "10s", "node-monitor-grace-period": "10s" },
    },
    apiServer: { extraArgs: { "runtime-config": "api/all=true" } },
    schedulableControlPlane: true,
  };
}

/** The base config after `change`, for tests that break one rule. */
export function configWith(change: (config: ClusterConfigInput) => void): ClusterConfigInput {
  const config = validConfig();
  change(config);
  return config;
}

/** What validation says of the base config after `change`. */
export function validateWith(
  change: (config: ClusterConfigInput) => void,
  options?: ValidateOptions,
): ValidationResult {
  return validateConfig(configWith(change), options);
}

function listProblems(problems: Problem[]): string {
  return problems.map((p) => `  ${p.key}: ${p.message}`).join("\n") || "  (none)";
}

/** The problems at `key` (asserting there is at least one), so tests can check the message. */
export function errorsAt(result: ValidationResult, key: string): Problem[] {
  assert.equal(result.ok, false, `expected problems at ${key}, but the config was valid`);
  const problems = result.ok ? [] : result.problems;
  const matching = problems.filter((p) => p.key === key);
  assert.ok(matching.length > 0, `no problem at ${key}; problems were:\n${listProblems(problems)}`);
  return matching;
}

/** The single error message at `key`. */
export function errorAt(result: ValidationResult, key: string): string {
  return errorsAt(result, key)[0].message;
}

export function warningAt(result: ValidationResult, key: string): string {
  const matching = result.warnings.filter((p) => p.key === key);
  assert.ok(matching.length > 0, `no warning at ${key}; warnings were:\n${listProblems(result.warnings)}`);
  return matching[0].message;
}

export function assertValid(result: ValidationResult): void {
  assert.ok(result.ok, `expected a valid config; problems were:\n${result.ok ? "" : listProblems(result.problems)}`);
}

export function assertNoErrorAt(result: ValidationResult, key: string): void {
  const problems = result.ok ? [] : result.problems.filter((p) => p.key === key);
  assert.deepEqual(problems, [], `unexpected problem at ${key}`);
}

/** A fresh directory under the system's temporary directory; remove it with fs.rmSync when done. */
export function tempDir(prefix = "pulumi-kubeadm-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes `text` to `dir`/`name` (creating parent folders) and returns the file's absolute path. */
export function writeFile(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}
