// Every real node runs its own systemd, journald, containerd and kubelet, and each of them holds inotify
// instances. The kernel counts those per user, and every host runs as the machine's root, so the default limit of
// 128 instances is shared by all labs at once: at about a dozen real nodes, systemd fails with "Failed to create
// inotify object: Too many open files" and its boot stalls. kind asks its users to raise the same limits for the
// same reason. Only ever raised, never lowered; the machine's own value stays when it is already higher.
import * as fs from "fs";

export const INOTIFY_MINIMUMS: Record<string, number> = {
  "/proc/sys/fs/inotify/max_user_instances": 8192,
  "/proc/sys/fs/inotify/max_user_watches": 524288,
};

/** Raises what is below the minimum; returns what it changed, "<name> <old> -> <new>", for the lab to say. */
export function ensureInotifyLimits(minimums = INOTIFY_MINIMUMS): string[] {
  const changed: string[] = [];
  for (const [file, minimum] of Object.entries(minimums)) {
    const current = Number(fs.readFileSync(file, "utf8").trim());
    if (current >= minimum) continue;
    fs.writeFileSync(file, `${minimum}\n`);
    changed.push(`${file.replace("/proc/sys/", "").replace(/\//g, ".")} ${current} -> ${minimum}`);
  }
  return changed;
}
