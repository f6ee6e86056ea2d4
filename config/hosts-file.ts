// hostsFile: hosts and SSH defaults kept in a file of their own (an inventory written by another tool,
// the lab's hosts.yaml), so that a stack can use them without copying them, or any key, into the stack
// config. The file is merged into the config before validation, so every check sees one config, and
// both loaders (the program's and the validate CLI's) go through here and read it the same way.
import * as path from "path";
import YAML from "yaml";
import { configKey, type ConfigPath } from "./key-path";
import { readLocalFile } from "./local-path";
import type { Problem } from "./problem";
import { asRecord, stringAt, type RawRecord } from "./raw-view";
import { closestKey } from "./schema-lookup";
import { encryptedPathProblem } from "./secret-keys";

/** The keys a hosts file may hold, in the same shape as the stack keys of the same names. */
export const HOSTS_FILE_KEYS = ["controlPlane", "workers", "ssh"] as const;

const HOST_GROUPS = ["controlPlane", "workers"] as const;

/** Two ways of giving the same setting: a stack that sets either one replaces the file's. */
const KEY_SOURCE_FIELDS = ["privateKey", "privateKeyFile"];

export interface HostsFileMerge {
  /** The config with the file's hosts and SSH defaults merged in; the input itself without a hostsFile. */
  raw: unknown;
  /** What is wrong with the file itself, or with combining it with the stack config. */
  problems: Problem[];
  /** Whether the value at a path was read from the file. */
  fromFile: (path: ConfigPath) => boolean;
  /** True when a hostsFile is named but could not be used (missing, unparsable): its hosts are unknown. */
  unusable: boolean;
  /** The problems, with those about values read from the file saying so. */
  annotate: (problems: Problem[]) => Problem[];
}

export interface MergeOptions {
  /** Whether a stack value was encrypted: an encrypted hostsFile read without Pulumi cannot be opened. */
  isSecret?: (path: ConfigPath) => boolean;
}

function noHostsFile(raw: unknown, problems: Problem[] = []): HostsFileMerge {
  return { raw, problems, fromFile: () => false, annotate: (list) => list, unusable: problems.length > 0 };
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}

/**
 * The file's content, or why it cannot be parsed. Parser messages are cut to their first line, and
 * JSON.parse's quote of the input is dropped, so no content of the file appears in a message.
 */
function parseHostsFile(file: string, text: string): { value: unknown } | { problem: string } {
  if (path.extname(file).toLowerCase() === ".json") {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (error) {
      const message = (error as Error).message.replace(/,\s*"[\s\S]*" is not valid JSON$/, "");
      return { problem: `is not valid JSON: ${message}` };
    }
  }
  const document = YAML.parseDocument(text);
  const error = document.errors[0];
  if (error) return { problem: `is not valid YAML: ${error.message.split("\n")[0].replace(/:$/, "")}` };
  return { value: document.toJS() as unknown };
}

/** A stack value that says something: Pulumi.yaml's empty defaults ([] and {}) mean "not set". */
function isSet(value: unknown): boolean {
  if (value === undefined) return false;
  if (Array.isArray(value)) return value.length > 0;
  const record = asRecord(value);
  return record ? Object.keys(record).length > 0 : true;
}

function unknownKeyProblem(file: string, key: string): Problem {
  const suggestion = closestKey(key, HOSTS_FILE_KEYS);
  return {
    key: configKey(["hostsFile"]),
    message:
      `${file} has an unknown key '${key}': ` +
      (suggestion
        ? `did you mean ${suggestion}? Rename the key`
        : `a hosts file holds only ${HOSTS_FILE_KEYS.join(", ")}; set other keys in the stack config`),
  };
}

/** Under `prefix` (the key itself, or a key inside it), as configKey spells keys. */
function isUnder(key: string, prefix: string): boolean {
  return key === prefix || key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`);
}

/**
 * Merges the file named by `hostsFile` into `raw` (the project's config, without the prefix):
 * controlPlane and workers come from the file when the stack does not set them (both is an error), and
 * the file's ssh is the base that the stack's ssh fields override. `baseDir` is the project directory.
 */
export function mergeHostsFile(raw: unknown, baseDir: string, opts: MergeOptions = {}): HostsFileMerge {
  const root = asRecord(raw);
  const written = stringAt(root, "hostsFile");
  // Not a non-empty string: the schema check reports it.
  if (!root || written === undefined || written === "") return noHostsFile(raw);
  const hostsFileKey = configKey(["hostsFile"]);
  const encrypted = encryptedPathProblem(written, opts.isSecret?.(["hostsFile"]) ?? false, "hostsFile");
  if (encrypted) return noHostsFile(raw, [{ key: hostsFileKey, message: encrypted }]);

  const read = readLocalFile(written, baseDir);
  if (!read.ok) {
    return noHostsFile(raw, [
      {
        key: hostsFileKey,
        message:
          `${read.file} ${read.reason}: give the path of a YAML or JSON file holding controlPlane, workers and/or ` +
          `ssh (~ is the home directory; a relative path starts at the project directory, ${baseDir})`,
      },
    ]);
  }
  const parsed = parseHostsFile(read.file, read.text);
  if ("problem" in parsed) {
    return noHostsFile(raw, [{ key: hostsFileKey, message: `${read.file} ${parsed.problem}: fix the file` }]);
  }
  const content = asRecord(parsed.value);
  if (!content) {
    return noHostsFile(raw, [
      {
        key: hostsFileKey,
        message:
          `${read.file} holds ${typeName(parsed.value)}: it must hold a map with controlPlane, workers and/or ssh, ` +
          `in the same shape as the stack keys`,
      },
    ]);
  }

  const problems: Problem[] = [];
  for (const key of Object.keys(content)) {
    if (!(HOSTS_FILE_KEYS as readonly string[]).includes(key)) problems.push(unknownKeyProblem(read.file, key));
  }
  const merged: RawRecord = { ...root };
  /** Keys (as configKey spells them) whose whole value came from the file. */
  const fromFilePrefixes: string[] = [];
  const groupsFromFile = new Set<string>();

  for (const group of HOST_GROUPS) {
    const fileHosts = content[group];
    if (fileHosts === undefined) continue;
    if (isSet(root[group])) {
      if (isSet(fileHosts)) {
        problems.push({
          key: configKey([group]),
          message:
            `is set both in the stack config and in hostsFile (${written}): set hosts in the stack or in ` +
            `hostsFile, not both; remove one of the two lists`,
        });
      }
      continue;
    }
    merged[group] = fileHosts;
    groupsFromFile.add(group);
    fromFilePrefixes.push(configKey([group]));
  }

  let wholeSsh = false;
  const sshFieldsFromFile = new Set<string>();
  const fileSsh = content.ssh;
  if (fileSsh !== undefined) {
    const fileRecord = asRecord(fileSsh);
    const stackRecord = asRecord(root.ssh);
    if (!isSet(root.ssh)) {
      merged.ssh = fileSsh;
      wholeSsh = true;
      fromFilePrefixes.push(configKey(["ssh"]));
    } else if (!fileRecord) {
      problems.push({
        key: configKey(["ssh"]),
        message: `must be a map of SSH settings in hostsFile (${written}), not ${typeName(fileSsh)}: fix the file`,
      });
    } else if (stackRecord) {
      // The stack's key replaces the file's however each gives it, rather than both ending up set.
      const stackSetsKey = KEY_SOURCE_FIELDS.some((field) => stackRecord[field] !== undefined);
      const base = Object.fromEntries(
        Object.entries(fileRecord).filter(([field]) => !(stackSetsKey && KEY_SOURCE_FIELDS.includes(field))),
      );
      merged.ssh = { ...base, ...stackRecord };
      for (const field of Object.keys(base)) {
        if (stackRecord[field] !== undefined) continue;
        sshFieldsFromFile.add(field);
        fromFilePrefixes.push(configKey(["ssh", field]));
      }
    }
    // A stack ssh that is not a map is reported by the schema check; the file's is not used then.
  }

  const suffix = ` (from hostsFile ${written})`;
  return {
    raw: merged,
    problems,
    unusable: false,
    fromFile: (at) => {
      const [head, field] = at;
      if (head === "ssh") return wholeSsh || (at.length > 1 && sshFieldsFromFile.has(String(field)));
      return typeof head === "string" && groupsFromFile.has(head);
    },
    annotate: (list) =>
      list.map((problem) =>
        fromFilePrefixes.some((prefix) => isUnder(problem.key, prefix))
          ? { ...problem, message: `${problem.message}${suffix}` }
          : problem,
      ),
  };
}
