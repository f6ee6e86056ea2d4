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
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Whether `text` holds a control character (a line break, a tab, an escape...). */
export function hasControlCharacter(text: string): boolean {
  return text.search(CONTROL_CHARACTERS) >= 0;
}

/**
 * Text with its control characters escaped (`\n`, `\u0007`), so that a value inside a message cannot break its line
 * or forge further lines; for values a message shows without quotes, such as the host in user@host:port.
 */
export function visibleText(text: string): string {
  return text.replace(
    CONTROL_CHARACTERS,
    (character) => NAMED_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * A user's value as a message shows it: in single quotes, with control characters escaped (visibleText), so
 * that one problem stays one line and a value cannot forge further lines of the report.
 */
export function shownValue(text: string): string {
  return `'${visibleText(text)}'`;
}
