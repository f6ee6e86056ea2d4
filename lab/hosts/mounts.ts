// A host's private files live in the upper directories of its overlays (.lab/<name>/hosts/<host>/upper/<dir>),
// which init.sh mounts over the machine's directories. While the host is down they are plain directories, so
// the lab prepares a host by writing into them; it never writes there while the host runs (overlayfs does not
// allow changing an upper directory under a mounted overlay).
import * as fs from "fs";
import * as path from "path";
import { runSync } from "../run";

/**
 * Top-level directories that get a private overlay. The README's list (/etc, /var/lib, /var/log, /opt, /root,
 * /home, /usr/local) is covered by overlaying their parents: a host can write anywhere a real one would
 * (/usr/bin, /var/cache) without the write reaching the machine. Everything else of / is bound read-only.
 */
export const OVERLAY_DIRS = ["etc", "var", "usr", "opt", "root", "home", "srv", "mnt", "media"];

export function upperRoot(dir: string): string {
  return path.join(dir, "upper");
}

/** Path of a file in the host's view (from /) inside the upper directories. */
export function upperPath(upper: string, rel: string): string {
  return path.join(upper, rel.replace(/^\/+/, ""));
}

/**
 * Creates the directories leading to `rel` in the upper tree with the machine's owner and mode: the merged
 * view shows the upper directory's attributes, and /root must stay 0700, not become 0755.
 */
export function ensureUpperDir(
  upper: string,
  rel: string,
  fallback: { mode: number; uid: number; gid: number } = { mode: 0o755, uid: 0, gid: 0 },
): string {
  const parts = rel.replace(/^\/+/, "").split("/").filter(Boolean);
  fs.mkdirSync(upper, { recursive: true });
  let current = upper;
  let machine = "/";
  for (const part of parts) {
    current = path.join(current, part);
    machine = path.join(machine, part);
    if (fs.existsSync(current)) continue;
    let attrs = fallback;
    try {
      const st = fs.statSync(machine);
      if (st.isDirectory()) attrs = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    } catch {
      // Not on the machine: the host's own directory.
    }
    fs.mkdirSync(current);
    fs.chmodSync(current, attrs.mode);
    fs.chownSync(current, attrs.uid, attrs.gid);
  }
  return current;
}

export interface FileOptions {
  mode?: number;
  uid?: number;
  gid?: number;
}

export function writeUpperFile(upper: string, rel: string, content: string | Buffer, options: FileOptions = {}): void {
  ensureUpperDir(upper, path.dirname(rel));
  const file = upperPath(upper, rel);
  // A whiteout or a machine symlink copied earlier must not be written through.
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, content, { mode: options.mode ?? 0o644 });
  fs.chmodSync(file, options.mode ?? 0o644);
  fs.chownSync(file, options.uid ?? 0, options.gid ?? 0);
}

/**
 * Hides machine paths from the host with overlayfs whiteouts (a 0/0 character device in the upper directory).
 * Made here rather than by deleting inside the host: deleting /var/lib/dpkg there would whiteout its thousands
 * of files one by one. Paths the machine lacks, or the host already has its own copy of, are left alone.
 */
export function hidePaths(upper: string, rels: string[]): void {
  const targets: string[] = [];
  for (const rel of rels) {
    const machinePath = path.join("/", rel);
    const file = upperPath(upper, rel);
    if (!lexists(machinePath) || lexists(file)) continue;
    ensureUpperDir(upper, path.dirname(rel));
    targets.push(file);
  }
  if (targets.length === 0) return;
  const result = runSync("sh", ["-c", 'for p; do mknod "$p" c 0 0 || exit 1; done', "sh", ...targets]);
  if (result.code !== 0) throw new Error(`cannot create overlay whiteouts: ${result.stderr.trim()}`);
}

/** True when the path exists, a dangling symlink included. */
export function lexists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Places `src` at `dest` as a hard link (no copy of a 100 MB binary per lab) when both are on one file system,
 * as an executable copy otherwise.
 */
export function linkOrCopy(src: string, dest: string): void {
  fs.rmSync(dest, { force: true });
  try {
    fs.linkSync(src, dest);
  } catch {
    fs.copyFileSync(src, dest);
    fs.chmodSync(dest, 0o755);
  }
}
