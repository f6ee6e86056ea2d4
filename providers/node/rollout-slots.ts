// How many nodes of a kind are taken out at once during an upgrade. The engine updates resources that do not depend
// on each other in parallel: every worker, and every joined control plane, would be drained and restarted together,
// and a cluster with all its workers drained has nowhere to run. All dynamic resources of a program are served by
// one provider process (the engine starts one plugin per provider, and the dynamic resources share the default
// one), so a count kept in this module is seen by every node's update of the same `pulumi up`.

interface Slots {
  free: number;
  waiting: (() => void)[];
}

const rollouts = new Map<string, Slots>();

/**
 * Runs `work` once fewer than `size` others holding the same `key` are running (first come, first served), e.g.
 * key "<api endpoint> workers" with upgrade.workersAtOnce, or "<api endpoint> control planes" with 1.
 */
export async function withRolloutSlot<T>(
  key: string,
  size: number,
  work: () => Promise<T>,
  onWait?: () => void,
): Promise<T> {
  let slots = rollouts.get(key);
  if (!slots) {
    slots = { free: Math.max(1, size), waiting: [] };
    rollouts.set(key, slots);
  }
  if (slots.free > 0) {
    slots.free -= 1;
  } else {
    onWait?.();
    // The slot is handed over by the one that leaves (release below), so `free` stays as it is.
    await new Promise<void>((resolve) => slots.waiting.push(resolve));
  }
  try {
    return await work();
  } finally {
    const next = slots.waiting.shift();
    if (next) next();
    else slots.free += 1;
  }
}
