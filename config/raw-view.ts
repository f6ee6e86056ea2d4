// The cross-field checks run even when the schema check failed, so that one run reports every
// problem. They therefore read the unvalidated input through these accessors, which return
// undefined for anything of the wrong type (the schema check already reports that).
import type { ConfigPath } from "./key-path";

export type RawRecord = Record<string, unknown>;

export function asRecord(value: unknown): RawRecord | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as RawRecord) : undefined;
}

export function stringAt(record: RawRecord | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === "string" ? value : undefined;
}

export function booleanAt(record: RawRecord | undefined, key: string): boolean | undefined {
  const value = record?.[key];
  return typeof value === "boolean" ? value : undefined;
}

export function numberAt(record: RawRecord | undefined, key: string): number | undefined {
  const value = record?.[key];
  return typeof value === "number" ? value : undefined;
}

export function recordAt(record: RawRecord | undefined, key: string): RawRecord | undefined {
  return asRecord(record?.[key]);
}

export function arrayAt(record: RawRecord | undefined, key: string): unknown[] | undefined {
  const value = record?.[key];
  return Array.isArray(value) ? value : undefined;
}

export type HostGroup = "controlPlane" | "workers";

/** One entry of controlPlane or workers, with where it sits in the config. */
export interface RawHost {
  group: HostGroup;
  path: ConfigPath;
  fields: RawRecord;
  /** "controlPlane[0] (master01)": how messages refer to the host. */
  label: string;
}

export function rawHosts(root: RawRecord, groups: HostGroup[] = ["controlPlane", "workers"]): RawHost[] {
  const hosts: RawHost[] = [];
  for (const group of groups) {
    arrayAt(root, group)?.forEach((entry, index) => {
      const fields = asRecord(entry);
      if (!fields) return;
      const name = stringAt(fields, "name");
      hosts.push({
        group,
        path: [group, index],
        fields,
        label: name === undefined ? `${group}[${index}]` : `${group}[${index}] (${name})`,
      });
    });
  }
  return hosts;
}

/** What the checks get: the raw config, where to report, and how to tell whether a value was encrypted. */
export interface CheckContext {
  root: RawRecord;
  isSecret?: (path: ConfigPath) => boolean;
  /** The project directory: where relative file paths in the config (privateKeyFile) start. */
  baseDir: string;
  /** Whether the value at a path was read from hostsFile rather than written in the stack config. */
  fromHostsFile: (path: ConfigPath) => boolean;
}
