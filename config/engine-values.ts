// Pulumi hands a program every top-level config value as text: plain strings as they are, everything
// else (booleans, numbers, maps, lists) as JSON. Both loaders decode through here so that the validate
// CLI judges a stack file exactly as the program will see it.
import { expectsString } from "./schema-lookup";

export function decodeTopLevelValue(name: string, text: string): unknown {
  if (expectsString([name])) return text;
  try {
    return JSON.parse(text);
  } catch {
    // Left as text, the schema check reports the wrong type under the right key.
    return text;
  }
}

/** A top-level value from a stack file, as the engine would pass it to the program. */
export function engineView(name: string, value: unknown): unknown {
  const isScalar = typeof value === "string" || typeof value === "number" || typeof value === "boolean";
  return isScalar ? decodeTopLevelValue(name, String(value)) : value;
}
