// Reads a Pulumi.<stack>.yaml directly, for checking a configuration before (and without) running
// Pulumi. Encrypted values cannot be decrypted here; they count as present and as secret.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import type { ClusterSpec } from "./spec";
import { validateConfig, type Problem, type ValidationResult } from "./validate";
import { resolveConfig } from "./resolve";
import { expectsString } from "./schema-lookup";
import { configKey, pathArgument, PROJECT, type ConfigPath } from "./key-path";
import { asRecord } from "./raw-view";
import { engineView } from "./engine-values";
import { SECRET_PLACEHOLDER } from "./secret-keys";

export { SECRET_PLACEHOLDER };

export const REPO_ROOT = path.resolve(__dirname, "..");

export class StackFileNotFoundError extends Error {
  constructor(
    readonly file: string,
    readonly argument: string,
  ) {
    super(
      `stack config file not found: ${file} (from '${argument}'; give a stack name such as dev, ` +
        `or the path of a Pulumi.<stack>.yaml file)`,
    );
  }
}

export interface StackFileResult {
  /** Absolute path of the file that was read. */
  file: string;
  result: ValidationResult;
  /** The resolved cluster, when the config is valid. */
  spec?: ClusterSpec;
}

/** Pulumi.yaml's stackConfigDir decides where Pulumi.<stack>.yaml lives (the project directory by default). */
function stackConfigDir(repoRoot: string): string {
  const projectFile = path.join(repoRoot, "Pulumi.yaml");
  if (!fs.existsSync(projectFile)) return path.join(repoRoot, "stacks");
  const project = asRecord(YAML.parse(fs.readFileSync(projectFile, "utf8")));
  const configured = project?.stackConfigDir;
  return path.resolve(repoRoot, typeof configured === "string" ? configured : ".");
}

/** A stack name ("dev") or a path ("stacks/Pulumi.dev.yaml", "./x.yaml") to the file it means. */
export function stackFilePath(pathOrStackName: string, repoRoot = REPO_ROOT, cwd = process.cwd()): string {
  const looksLikePath = /\.ya?ml$/.test(pathOrStackName) || pathOrStackName.includes(path.sep);
  if (looksLikePath) return path.resolve(cwd, pathOrStackName);
  return path.join(stackConfigDir(repoRoot), `Pulumi.${pathOrStackName}.yaml`);
}

interface Decoded {
  value: unknown;
  problems: Problem[];
}

/**
 * Replaces `{secure: ...}` with the placeholder and records where it was. An encrypted value where a
 * map or list is expected was set without --path; its content cannot be checked offline.
 */
function decodeSecure(value: unknown, at: ConfigPath, securePaths: Set<string>, problems: Problem[]): unknown {
  if (Array.isArray(value))
    return value.map((item, index) => decodeSecure(item, [...at, index], securePaths, problems));
  const record = asRecord(value);
  if (!record) return value;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === "secure" && typeof record.secure === "string") {
    securePaths.add(configKey(at));
    if (expectsString(at)) return SECRET_PLACEHOLDER;
    problems.push({
      key: configKey(at),
      message:
        `is encrypted as a whole, so its settings cannot be checked before deployment: store it in plain text ` +
        `and encrypt only the credentials inside, e.g. pulumi config set --secret --path '${pathArgument([...at, "privateKey"])}'`,
    });
    return undefined;
  }
  return Object.fromEntries(
    Object.entries(record).map(([key, item]) => [key, decodeSecure(item, [...at, key], securePaths, problems)]),
  );
}

/** The project's keys from a stack file's `config:` map, following Pulumi's key rules. */
function projectConfigFromStack(configMap: Record<string, unknown>, securePaths: Set<string>): Decoded {
  const problems: Problem[] = [];
  const value: Record<string, unknown> = {};
  for (const [fullKey, item] of Object.entries(configMap)) {
    const parts = fullKey.split(":");
    // Pulumi refuses stack-file keys without a namespace ("configuration keys should be of the
    // form <namespace>:<name>"); `<namespace>:config:<name>` is its legacy spelling of the same key.
    // The rest of the file is still checked as if the namespace were there, so one run shows everything.
    if (parts.length === 1) {
      problems.push({
        key: fullKey,
        message: `Pulumi needs a namespace on every key in a stack file: write '${PROJECT}:${fullKey}'`,
      });
      parts.unshift(PROJECT);
    }
    const [namespace, ...rest] = parts;
    if (namespace !== PROJECT) continue;
    const name = rest.length === 2 && rest[0] === "config" ? rest[1] : rest.length === 1 ? rest[0] : undefined;
    if (name === undefined || name === "") {
      problems.push({ key: fullKey, message: `is not a Pulumi config key: write '${PROJECT}:<name>'` });
      continue;
    }
    value[name] = engineView(name, decodeSecure(item, [name], securePaths, problems));
  }
  return { value, problems };
}

function yamlProblems(file: string, document: YAML.Document.Parsed): Problem[] {
  return document.errors.map((error) => {
    const position = error.linePos?.[0];
    const where = position ? `${file}:${position.line}:${position.col}` : file;
    return { key: where, message: `${error.message.split("\n")[0]}: fix the YAML syntax` };
  });
}

function invalid(file: string, problems: Problem[]): StackFileResult {
  return { file, result: { ok: false, problems, warnings: [] } };
}

/**
 * Loads and validates a stack config file. Throws StackFileNotFoundError when the file is missing;
 * everything wrong inside the file comes back as problems.
 */
export function loadFromStackFile(pathOrStackName: string, repoRoot = REPO_ROOT, cwd = process.cwd()): StackFileResult {
  const file = stackFilePath(pathOrStackName, repoRoot, cwd);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new StackFileNotFoundError(file, pathOrStackName);
  const document = YAML.parseDocument(fs.readFileSync(file, "utf8"));
  if (document.errors.length > 0) return invalid(file, yamlProblems(file, document));
  const root = document.toJS() as unknown;
  const rootMap = asRecord(root);
  if (root !== null && root !== undefined && !rootMap) {
    return invalid(file, [{ key: file, message: "is not a stack config file: expected a map with a config: key" }]);
  }
  const configMap = rootMap?.config ?? {};
  if (!asRecord(configMap)) {
    return invalid(file, [{ key: `${file}: config`, message: "must be a map of '<namespace>:<name>' keys" }]);
  }
  const securePaths = new Set<string>();
  const decoded = projectConfigFromStack(configMap as Record<string, unknown>, securePaths);
  // Relative hostsFile and privateKeyFile paths start at the project directory, as in the program.
  const result = validateConfig(decoded.value, { isSecret: (at) => securePaths.has(configKey(at)), baseDir: repoRoot });
  if (decoded.problems.length > 0) {
    const problems = [...decoded.problems, ...(result.ok ? [] : result.problems)];
    return { file, result: { ok: false, problems, warnings: result.warnings } };
  }
  return result.ok ? { file, result, spec: resolveConfig(result.config, { baseDir: repoRoot }) } : { file, result };
}
