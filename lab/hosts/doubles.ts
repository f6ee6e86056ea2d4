// Installs the doubles (lab/doubles) into a host's /usr/local at every boot, so a rebooted host runs the
// doubles as they are now. Which ones a host gets depends on its distribution family (README, "Distribution").
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../../tools/paths";
import type { Family } from "./distro";
import { ensureUpperDir, upperPath } from "./mounts";

export function defaultDoublesDir(): string {
  return path.join(repoRoot, "lab", "doubles");
}

/**
 * Source folder (relative to the doubles dir) → destination on the host; later entries win on a clash. The
 * family folders (apt/, yum/) hold the doubles only that family has (apt-get, dnf, ...); their plain files go
 * to /usr/local/bin, their bin/ and sbin/ folders where the names say. lib/ and packages/ are not installed:
 * the doubles read them from /lab/doubles (the repository's lab/doubles, bound read-only).
 */
function layout(family: Family): [string, string][] {
  return [
    ["bin", "usr/local/bin"],
    ["sbin", "usr/local/sbin"],
    [family, "usr/local/bin"],
    [`${family}/bin`, "usr/local/bin"],
    [`${family}/sbin`, "usr/local/sbin"],
  ];
}

/** The empty file the machine's Node.js binary is bound on, for the doubles' `#!/usr/bin/env node`. */
export const NODE_MOUNT_POINT = "usr/local/bin/node";

/**
 * Copies the doubles into the upper tree (the host is down while this runs). What an earlier install put
 * there and the doubles dir no longer has is removed, recorded in `manifest`.
 */
export function installDoubles(upper: string, family: Family, doublesDir: string, manifest: string): string[] {
  const installed: string[] = [];
  for (const [from, to] of layout(family)) {
    const src = path.join(doublesDir, from);
    if (!fs.existsSync(src) || !fs.statSync(src).isDirectory()) continue;
    ensureUpperDir(upper, to);
    for (const entry of fs.readdirSync(src)) {
      // In a family folder, bin/ and sbin/ are folders of doubles, not doubles.
      if (from === family && ["bin", "sbin"].includes(entry)) continue;
      const dest = upperPath(upper, `${to}/${entry}`);
      fs.rmSync(dest, { recursive: true, force: true });
      fs.cpSync(path.join(src, entry), dest, { recursive: true, dereference: true });
      installed.push(`${to}/${entry}`);
    }
  }
  let previous: string[] = [];
  try {
    previous = JSON.parse(fs.readFileSync(manifest, "utf8")) as string[];
  } catch {
    // First boot.
  }
  for (const rel of previous)
    if (!installed.includes(rel)) fs.rmSync(upperPath(upper, rel), { recursive: true, force: true });
  fs.writeFileSync(manifest, JSON.stringify(installed) + "\n");
  const node = upperPath(upper, NODE_MOUNT_POINT);
  if (!installed.includes(NODE_MOUNT_POINT) && !isFile(node)) {
    ensureUpperDir(upper, path.dirname(NODE_MOUNT_POINT));
    fs.rmSync(node, { force: true });
    fs.writeFileSync(node, "", { mode: 0o755 });
  }
  return installed;
}

function isFile(p: string): boolean {
  try {
    return fs.lstatSync(p).isFile();
  } catch {
    return false;
  }
}
