// Plain-data helpers the kubeadm providers share: what the engine sends for values unknown during preview,
// removing `undefined` before outputs go back to the engine, and comparing nested settings.

/** How the engine passes a value not yet known during preview (pulumi runtime's `unknownValue`). */
export const UNKNOWN_DURING_PREVIEW = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `value` or anything inside it is still unknown (preview). */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN_DURING_PREVIEW) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/**
 * A deep copy without `undefined` values: the dynamic provider host turns outputs into a protobuf Struct,
 * which rejects them ("Unexpected struct type", pulumi#7576). Optional fields of the spec (a connection's
 * privateKey, a repository URL) are often undefined. Array holes become nothing (dropped).
 */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.filter((item) => item !== undefined).map((item) => stripUndefined(item)) as T;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = stripUndefined(item);
    }
    return out as T;
  }
  return value;
}

/**
 * A connection's `sources` say which config key each of its settings came from, for messages; they are not
 * settings. Reordering the hosts renumbers them (`workers[1]` becomes `workers[0]`), which must not count as a
 * change of the connection: that would update, and log in to, every resource of the host.
 */
function isMessageOnly(owner: object, key: string): boolean {
  const connection = owner as Record<string, unknown>;
  return key === "sources" && typeof connection.host === "string" && typeof connection.port === "number";
}

/** JSON with object keys sorted and undefined members dropped, so equal settings compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([key, item]) => item !== undefined && !isMessageOnly(value, key))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Equality of settings as stored in state and as sent by the program. A value still unknown during preview
 * is never equal to anything: the diff must assume it changes (the engine then shows the worst case).
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (containsUnknown(a) || containsUnknown(b)) return false;
  return canonical(a) === canonical(b);
}

/** The value at a dotted path ("cluster.podSubnet"); unknown when any object on the way is unknown. */
export function valueAt(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const key of path.split(".")) {
    if (value === UNKNOWN_DURING_PREVIEW) return UNKNOWN_DURING_PREVIEW;
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The paths whose values differ between the old outputs and the new inputs, in the order given. */
export function changedPaths(olds: unknown, news: unknown, paths: readonly string[]): string[] {
  return paths.filter((path) => !sameData(valueAt(olds, path), valueAt(news, path)));
}
