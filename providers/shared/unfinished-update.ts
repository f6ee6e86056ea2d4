// An in-place update that fails part way can leave the host with some of the new settings: a control-plane manifest
// rewritten with a flag that makes the API server crash, say. The engine keeps the old outputs after a failed
// update, so putting the config back would show no change, and nothing would ever rewrite that manifest again.
// So a failed update is reported as a partial failure (the engine's "updated, but failed to initialise"): the state
// keeps the old settings and connection (nothing new is stored), plus the update paths that did not finish. Those
// count as changed (path-diff.ts) until an update finishes: the next `pulumi up` runs their in-place work again,
// rendered from the settings it has then, whether the config was put back or kept.

/** The output that lists the unfinished update paths; absent once an update finishes. */
export const UNFINISHED_OUTPUT = "unfinished";

/** The update paths a failed update left unfinished, from a resource's stored outputs. */
export function unfinishedPaths(olds: unknown): string[] {
  const value = (olds as Record<string, unknown> | undefined)?.[UNFINISHED_OUTPUT];
  return Array.isArray(value) ? value.filter((path): path is string => typeof path === "string") : [];
}

/**
 * The error the dynamic-provider host turns into a partial failure: its `id` and `properties` are stored as the
 * resource's state, and `reasons` are what the engine shows.
 */
export class UnfinishedUpdateError extends Error {
  readonly reasons: string[];

  constructor(
    readonly id: string,
    readonly properties: Record<string, unknown>,
    cause: unknown,
  ) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(message, { cause });
    this.name = "UnfinishedUpdateError";
    this.reasons = [message];
  }
}

/**
 * Runs an update's work. When it fails with update paths to do, the error carries the old outputs plus those paths
 * as unfinished; an update with none (only a changed connection to prove) fails as it is, storing nothing.
 */
export async function recordingUnfinished<T>(
  id: string,
  olds: object,
  updates: string[],
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (updates.length === 0) throw error;
    throw new UnfinishedUpdateError(id, { ...olds, [UNFINISHED_OUTPUT]: updates }, error);
  }
}
