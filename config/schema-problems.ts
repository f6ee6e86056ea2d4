// Turns zod's issues into problems phrased for someone editing a stack file: the key as written,
// what was expected, and how to fix it (including "did you mean" for misspelt keys).
import type { z } from "zod";
import { clusterConfig } from "./schema";
import { configKey, type ConfigPath } from "./key-path";
import { closestKey, descriptionAt, knownKeysAt } from "./schema-lookup";
import type { Problem } from "./problem";

type Issue = z.core.$ZodIssue;

function valueAt(root: unknown, path: ConfigPath): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function typeName(value: unknown): string {
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a map of keys",
  record: "a map of keys",
};

function typeHint(expected: string, value: unknown): string {
  if (expected === "string" && (typeof value === "number" || typeof value === "boolean")) {
    return `; quote it so YAML keeps it as text, e.g. "${String(value)}"`;
  }
  if (expected === "boolean" && (value === "true" || value === "false")) return "; write it without quotes";
  if (expected === "number" && typeof value === "string" && /^\d+$/.test(value)) return "; write it without quotes";
  if (expected === "array" && value !== null && typeof value !== "object") return "; write a list, e.g. [a, b]";
  return "";
}

function unknownKeyProblem(objectPath: ConfigPath, key: string): Problem {
  const known = knownKeysAt(objectPath) ?? [];
  const suggestion = closestKey(key, known);
  const message = suggestion
    ? `unknown key '${key}': did you mean ${suggestion}? Rename the key`
    : `unknown key '${key}': remove it, or use one of: ${known.join(", ")}`;
  return { key: configKey([...objectPath, key]), message };
}

function enumValues(issue: Issue): unknown[] | undefined {
  if (issue.code === "invalid_value") return issue.values as unknown[];
  if (issue.code === "invalid_union") {
    const values = issue.errors.flat().flatMap((inner) => (inner.code === "invalid_value" ? inner.values : []));
    return values.length > 0 ? (values as unknown[]) : undefined;
  }
  return undefined;
}

function describeIssue(issue: Issue, root: unknown, fromHostsFile: (path: ConfigPath) => boolean): Problem[] {
  const path = issue.path as ConfigPath;
  const key = configKey(path);
  const value = valueAt(root, path);
  const values = enumValues(issue);
  if (values) {
    return [{ key, message: `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}` }];
  }
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((unknownKey) => unknownKeyProblem(path, unknownKey));
    case "invalid_type": {
      if (value === undefined) {
        const description = descriptionAt(path);
        const where = fromHostsFile(path) ? "the hosts file" : "the stack config";
        return [{ key, message: `is required${description ? ` (${description})` : ""}: add it to ${where}` }];
      }
      if (value === null) return [{ key, message: "has no value: give it one, or delete the key" }];
      if (issue.expected === "int") return [{ key, message: "must be a whole number" }];
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return [{ key, message: `must be ${expected}, not ${typeName(value)}${typeHint(issue.expected, value)}` }];
    }
    case "too_small":
      if (issue.origin === "string") return [{ key, message: "must not be empty: give it a value, or delete the key" }];
      if (issue.origin === "array") return [{ key, message: `needs at least ${issue.minimum} entries` }];
      return [{ key, message: `must be at least ${issue.minimum}` }];
    case "too_big":
      return [{ key, message: `must be at most ${issue.maximum}` }];
    default:
      return [{ key, message: issue.message }];
  }
}

/**
 * Every schema violation in `raw` (an empty list when it matches the schema). `fromHostsFile` tells which
 * values were read from hostsFile, so that a missing one is added there rather than to the stack config.
 */
export function schemaProblems(raw: unknown, fromHostsFile: (path: ConfigPath) => boolean = () => false): Problem[] {
  const result = clusterConfig.safeParse(raw);
  if (result.success) return [];
  return result.error.issues.flatMap((issue) => describeIssue(issue, raw, fromHostsFile));
}
