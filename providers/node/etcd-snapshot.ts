// An etcd snapshot before a control plane changes (scripts/etcd-snapshot.sh): what an update can break, a snapshot
// can bring back (README "etcd snapshots" restores one). Kept on the node under /var/lib/etcd-snapshots, the newest
// `etcdSnapshots.keep` of them; the node's reset removes them with the rest of the cluster.
import { readFileSync } from "fs";
import { join } from "path";
import { shellCommand, type RemoteSession } from "../../ssh";
import { warn, type StepReporter } from "../shared/step-reporter";

export const ETCD_SNAPSHOT_SCRIPT_FILE = join(__dirname, "..", "scripts", "etcd-snapshot.sh");

export interface EtcdSnapshot {
  path: string;
  bytes: number;
  /** sha256:<hex> of the file. */
  sha256: string;
  takenAt: string;
}

/** The script's last line: `snapshot <path> <bytes> <hex>`, or undefined for `no snapshot: <why>`. */
export function parseSnapshotLine(stdout: string, now = new Date()): EtcdSnapshot | undefined {
  const line = stdout.trim().split("\n").pop() ?? "";
  const match = /^snapshot (\/\S+) (\d+) ([0-9a-f]{64})$/.exec(line);
  if (!match) return undefined;
  return { path: match[1], bytes: Number(match[2]), sha256: `sha256:${match[3]}`, takenAt: now.toISOString() };
}

export async function takeEtcdSnapshot(
  session: RemoteSession,
  node: string,
  keep: number,
  reporter: StepReporter,
): Promise<EtcdSnapshot | undefined> {
  reporter.begin("etcd snapshot", `before the change, keeping the newest ${keep} in /var/lib/etcd-snapshots`);
  const script = readFileSync(ETCD_SNAPSHOT_SCRIPT_FILE, "utf8");
  const result = await session.run(`${shellCommand(["sh", "-c", script, "etcd-snapshot", String(keep)])}`, {
    streamOutput: false,
    summary: "etcd-snapshot.sh (etcdctl snapshot save in the etcd container)",
  });
  const snapshot = parseSnapshotLine(result.stdout);
  if (snapshot === undefined) {
    warn(node, `${result.stdout.trim().split("\n").pop() ?? "no snapshot"}; the update goes on without one`);
  }
  return snapshot;
}
