// Answers "what does the schema expect at this path?" for messages (known keys, descriptions)
// and for loaders that must decode values before validation.
import { z } from "zod";
import { clusterConfig } from "./schema";
import type { ConfigPath } from "./key-path";

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** The schema of the value at `path`, or undefined when the path leaves the schema. */
export function schemaAt(path: ConfigPath): z.ZodType | undefined {
  let current: z.ZodType = clusterConfig;
  for (const segment of path) {
    const inner = unwrap(current);
    if (inner instanceof z.ZodObject && typeof segment === "string") {
      const shape = inner.shape as Record<string, z.ZodType>;
      if (!Object.hasOwn(shape, segment)) return undefined;
      current = shape[segment];
    } else if (inner instanceof z.ZodArray && typeof segment === "number") {
      current = inner.element as z.ZodType;
    } else if (inner instanceof z.ZodRecord && typeof segment === "string") {
      current = inner.valueType as z.ZodType;
    } else {
      return undefined;
    }
  }
  return unwrap(current);
}

/** The keys an object at `path` may have, or undefined when no object is expected there. */
export function knownKeysAt(path: ConfigPath): string[] | undefined {
  const schema = schemaAt(path);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : undefined;
}

/** True when the schema expects a plain string at `path` (as opposed to a number, list, object...). */
export function expectsString(path: ConfigPath): boolean {
  return schemaAt(path) instanceof z.ZodString;
}

/** The help text the schema carries for `path`, if any. */
export function descriptionAt(path: ConfigPath): string | undefined {
  let current: z.ZodType = clusterConfig;
  let description: string | undefined;
  for (const segment of path) {
    const inner = unwrap(current);
    let next: z.ZodType | undefined;
    if (inner instanceof z.ZodObject && typeof segment === "string") {
      next = (inner.shape as Record<string, z.ZodType>)[segment];
    } else if (inner instanceof z.ZodArray && typeof segment === "number") {
      next = inner.element as z.ZodType;
    } else if (inner instanceof z.ZodRecord && typeof segment === "string") {
      next = inner.valueType as z.ZodType;
    }
    if (next === undefined) return undefined;
    current = next;
    // .describe() may sit on the optional wrapper or on the inner type; take whichever has it.
    description = current.description ?? unwrap(current).description;
  }
  return description;
}

function editDistance(a: string, b: string): number {
  // Optimal string alignment: like Levenshtein, but a swapped pair of letters counts as one edit,
  // which is the most common typo in key names (podSubent).
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The known key the user most likely meant, when one is close enough to be a typo. */
export function closestKey(input: string, candidates: readonly string[]): string | undefined {
  const normalized = input.toLowerCase().replace(/[-_]/g, "");
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(normalized, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(1, Math.floor(Math.max(input.length, 3) / 3));
  return bestDistance <= tolerance ? best : undefined;
}
