// The diff every kubeadm resource makes from its three lists of setting paths: those that replace it, those
// updated in place, and those only stored. Replacement is always delete-before-replace: the old and the new
// resource are the same host, and creating the new one first would have the old one's delete reset it.
import { changedPaths } from "./plain-data";
import { unfinishedPaths } from "./unfinished-update";

export interface PathLists {
  replace: readonly string[];
  update: readonly string[];
  stored: readonly string[];
}

export interface PathChanges {
  replaces: string[];
  updates: string[];
  stored: string[];
}

/**
 * The changed paths of each list, between the old outputs and the new inputs. Update paths an earlier update left
 * unfinished (providers/shared/unfinished-update.ts) count as changed whatever their values: the host may hold either.
 */
export function pathChanges(olds: unknown, news: unknown, paths: PathLists): PathChanges {
  const unfinished = unfinishedPaths(olds);
  const changed = changedPaths(olds, news, paths.update);
  return {
    replaces: changedPaths(olds, news, paths.replace),
    updates: paths.update.filter((path) => changed.includes(path) || unfinished.includes(path)),
    stored: changedPaths(olds, news, paths.stored),
  };
}

/** A resource's changes (what its update acts on) and diff (what the engine gets), from its path lists. */
export function diffByPaths<O, I>(paths: PathLists) {
  const changes = (olds: O, news: I): PathChanges => pathChanges(olds, news, paths);
  return { changes, diff: (olds: O, news: I) => diffOfChanges(changes(olds, news)) };
}

/** What the provider's diff returns to the engine. */
export function diffOfChanges({ replaces, updates, stored }: PathChanges) {
  return {
    changes: replaces.length + updates.length + stored.length > 0,
    replaces,
    deleteBeforeReplace: replaces.length > 0,
  };
}
