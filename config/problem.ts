import { configKey, type ConfigPath } from "./key-path";

/** One thing wrong (or worth a warning) in the config: the key as the user writes it, and what to do. */
export interface Problem {
  key: string;
  message: string;
}

/** Collects errors and warnings so that every check runs and the user sees everything in one pass. */
export class Findings {
  readonly errors: Problem[] = [];
  readonly warnings: Problem[] = [];

  error(path: ConfigPath, message: string): void {
    this.errors.push({ key: configKey(path), message });
  }

  warn(path: ConfigPath, message: string): void {
    this.warnings.push({ key: configKey(path), message });
  }
}

const NAMED_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
// C0 and C1 control characters, DEL included: any of them would break or forge a line of a message.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A user's value as a message shows it: in single quotes, with control characters escaped (`\n`, `\u0007`), so
 * that one problem stays one line and a value cannot forge further lines of the report.
 */
export function shownValue(text: string): string {
  const visible = text.replace(
    CONTROL_CHARACTER,
    (character) => NAMED_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `'${visible}'`;
}
