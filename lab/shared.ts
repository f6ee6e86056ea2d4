// Lab-wide inputs of the doubles, in .lab/<name>/shared (mounted on /lab on every host): the clock offset,
// per-host faults, the package catalogue (README, "Doubles").
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../tools/paths";
import { writeAtomic } from "./inventory";

/** A fault knob for one command on one host (README: fail, hang, dropSsh, delaySeconds, exitCode, times). */
export interface Fault {
  fail?: string;
  hang?: number;
  dropSsh?: boolean;
  delaySeconds?: number;
  exitCode?: number;
  times?: number;
}
export type Faults = Record<string, Fault>;

const UNITS: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };

/** "25h", "1h30m", "90s", "2d", "3600" (seconds), with an optional leading "-": seconds. */
export function parseDuration(text: string): number {
  const match = /^(-)?((?:\d+(?:\.\d+)?[dhms])+|\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration ${JSON.stringify(text)}: use e.g. 25h, 1h30m, 90s, 2d or seconds`);
  let seconds = 0;
  if (/^\d+(\.\d+)?$/.test(match[2])) seconds = Number(match[2]);
  else for (const [, n, unit] of match[2].matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) seconds += Number(n) * UNITS[unit];
  return Math.round(match[1] ? -seconds : seconds);
}

export function initShared(dir: string): void {
  fs.mkdirSync(path.join(dir, "faults"), { recursive: true });
  // Mount point of the repository's lab/doubles on the hosts (/lab/doubles).
  fs.mkdirSync(path.join(dir, "doubles"), { recursive: true });
  if (!fs.existsSync(path.join(dir, "clock"))) writeAtomic(path.join(dir, "clock"), "0\n");
  // The mirrors' offer is the repository's, copied so that a running lab is not changed by edits under lab/.
  const catalogue = path.join(repoRoot, "lab", "catalogue");
  if (fs.existsSync(catalogue)) fs.cpSync(catalogue, path.join(dir, "catalogue"), { recursive: true });
  else fs.mkdirSync(path.join(dir, "catalogue"), { recursive: true });
}

export function readClock(dir: string): number {
  const text = fs.readFileSync(path.join(dir, "clock"), "utf8").trim();
  const value = Number(text || "0");
  if (!Number.isFinite(value)) throw new Error(`${path.join(dir, "clock")} holds ${JSON.stringify(text)}, not seconds`);
  return value;
}

export function setClock(dir: string, seconds: number): void {
  writeAtomic(path.join(dir, "clock"), `${Math.round(seconds)}\n`);
}

export function advanceClock(dir: string, seconds: number): number {
  const value = readClock(dir) + seconds;
  setClock(dir, value);
  return value;
}

const faultFile = (dir: string, host: string): string => path.join(dir, "faults", `${host}.json`);

export function readFaults(dir: string, host: string): Faults {
  try {
    return JSON.parse(fs.readFileSync(faultFile(dir, host), "utf8")) as Faults;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
}

const FAULT_KEYS: Record<keyof Fault, string> = {
  fail: "string",
  hang: "number",
  dropSsh: "boolean",
  delaySeconds: "number",
  exitCode: "number",
  times: "number",
};

export function checkFault(value: unknown): Fault {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("a fault is a JSON object");
  for (const [key, v] of Object.entries(value)) {
    // Knobs the README does not list yet are the doubles' business: passed through unchecked.
    const type = FAULT_KEYS[key as keyof Fault] as string | undefined;
    if (type && typeof v !== type) throw new Error(`fault knob ${key} must be a ${type}`);
  }
  return value as Fault;
}

/** Sets (replaces) the fault of one command ("apt-get install") on one host; other commands' faults stay. */
export function setFault(dir: string, host: string, command: string, fault: Fault): void {
  const faults = { ...readFaults(dir, host), [command]: checkFault(fault) };
  writeAtomic(faultFile(dir, host), JSON.stringify(faults, null, 2) + "\n");
}

/** Clears one host's faults, or every host's. */
export function clearFaults(dir: string, host?: string): void {
  if (host) {
    fs.rmSync(faultFile(dir, host), { force: true });
    return;
  }
  for (const f of fs.readdirSync(path.join(dir, "faults"))) fs.rmSync(path.join(dir, "faults", f), { force: true });
}
