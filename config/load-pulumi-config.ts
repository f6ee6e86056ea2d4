// The program's entry to its configuration: read every key of the project's namespace from the
// engine, validate, and stop the deployment with one readable error listing every problem.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfigInput } from "./schema";
import { PROJECT } from "./key-path";
import type { ClusterSpec } from "./spec";
import { validateConfig, type Problem } from "./validate";
import { resolveConfig } from "./resolve";
import { decodeTopLevelValue } from "./engine-values";
import { secretKeysPresent } from "./secret-keys";
import { shellQuote } from "./quote";

export interface LoadedConfig {
  spec: ClusterSpec;
  /** The validated input, for callers that need to know what was set explicitly. */
  config: ClusterConfigInput;
  warnings: Problem[];
  /** Keys (`pulumi-kubeadm:ssh.privateKey`...) holding credentials; wrap whatever carries them in pulumi.secret. */
  secretKeysPresent: string[];
}

export interface PulumiConfigSource {
  /** Every config key, as `pulumi.runtime.allConfig()` returns them; read from the engine when absent. */
  allConfig?: Record<string, string>;
  /** Whether a full key (`pulumi-kubeadm:ssh`) holds a secret; read from the engine when absent. */
  isSecretKey?: (fullKey: string) => boolean;
  /** The stack's name, for the command a failure prints; read from the engine when absent. */
  stack?: string;
  /** Where warnings go; pulumi.log.warn when absent. */
  warn?: (message: string) => void;
  /**
   * The project directory, where relative hostsFile and privateKeyFile paths start; the working directory
   * when absent, which is where Pulumi runs the program (the directory holding Pulumi.yaml).
   */
  baseDir?: string;
}

/**
 * The engine marks secrecy per top-level key (a key counts as secret when anything inside it was set
 * with --secret). The SDK exports the lookup at run time without declaring it in its types.
 */
function engineSecretLookup(): ((fullKey: string) => boolean) | undefined {
  const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };
  return typeof runtime.isConfigSecret === "function" ? runtime.isConfigSecret : undefined;
}

/**
 * The stack the engine runs, or undefined outside it: without an engine the SDK answers a placeholder ("stack")
 * that would send the user to validate a stack that does not exist.
 */
function engineStack(): string | undefined {
  return pulumi.runtime.hasMonitor() ? pulumi.getStack() || undefined : undefined;
}

/** The project's keys without the `pulumi-kubeadm:` prefix; other namespaces belong to other packages. */
export function projectConfig(allConfig: Record<string, string>): Record<string, unknown> {
  const prefix = `${PROJECT}:`;
  const config: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(allConfig)) {
    if (!fullKey.startsWith(prefix)) continue;
    const name = fullKey.slice(prefix.length);
    // Pulumi.yaml gives optional keys an empty default (the engine demands one); empty means "not set".
    if (text === "") continue;
    config[name] = decodeTopLevelValue(name, text);
  }
  return config;
}

export function formatProblems(problems: Problem[]): string {
  return problems.map((problem) => `  ${problem.key}: ${problem.message}`).join("\n");
}

/** Reads, validates and resolves the stack's configuration; throws one error naming every problem. */
export function loadFromPulumiConfig(source: PulumiConfigSource = {}): LoadedConfig {
  const raw = projectConfig(source.allConfig ?? pulumi.runtime.allConfig());
  const isSecretKey = source.isSecretKey ?? engineSecretLookup();
  const baseDir = source.baseDir ?? process.cwd();
  // validateConfig merges hostsFile into the config, as it does for the validate CLI.
  const result = validateConfig(raw, {
    isSecret: isSecretKey ? (path) => isSecretKey(`${PROJECT}:${String(path[0])}`) : undefined,
    baseDir,
  });
  const warn = source.warn ?? ((message: string) => void pulumi.log.warn(message));
  for (const warning of result.warnings) warn(`${warning.key}: ${warning.message}`);
  if (!result.ok) {
    const count = result.problems.length;
    const stack = source.stack ?? engineStack();
    const validate = `npm run validate -- ${stack !== undefined ? shellQuote(stack) : "<stack>"}`;
    // RunError makes the CLI print the message without a stack trace; messages never contain secret values.
    throw new pulumi.RunError(
      `the stack configuration has ${count} problem${count === 1 ? "" : "s"} ` +
        `(check it offline with: ${validate}):\n${formatProblems(result.problems)}`,
    );
  }
  return {
    spec: resolveConfig(result.config, { baseDir }),
    config: result.config,
    warnings: result.warnings,
    secretKeysPresent: secretKeysPresent(result.config),
  };
}
