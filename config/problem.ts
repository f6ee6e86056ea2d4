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
