// The machine runs the lab's registry and may have a container runtime of its own (the set-up installs Debian's
// containerd, runc and CNI plugins to build the real nodes' packages from). A host's /usr, /etc and /var are
// overlays of the machine's, so without this every host would boot with that runtime already installed and
// enabled, and a destroy that removes "its" containerd would delete files the host had before. What a host
// starts with is the lab's decision (a fresh distribution), never the machine's.
import * as fs from "fs";
import * as path from "path";
import { runSync } from "../run";
import { lexists } from "./mounts";

/** Debian packages of the machine whose files no host may inherit. */
export const MACHINE_ONLY_PACKAGES = ["containerd", "runc", "containernetworking-plugins", "docker-registry"];

/** Files those packages' maintainer scripts and services create, which dpkg does not list. */
const RUNTIME_STATE = [
  // deb-systemd-helper enables their services when they are installed, whether or not systemd runs.
  "etc/systemd/system/multi-user.target.wants/containerd.service",
  "etc/systemd/system/multi-user.target.wants/docker-registry.service",
  "etc/containerd",
  "etc/cni",
  "etc/docker/registry",
  "var/lib/containerd",
  "var/lib/cni",
  "var/lib/docker-registry",
  "var/log/containerd",
];

function packageFiles(name: string): string[] {
  const result = runSync("dpkg-query", ["-L", name]);
  if (result.code !== 0) return [];
  return result.stdout
    .split("\n")
    .map((p) => p.trim())
    .filter((p) => p.startsWith("/") && p !== "/.");
}

/**
 * The smallest set of paths (relative to /) that hides every file of those packages: a directory whose whole
 * content belongs to them is hidden as one, a directory shared with other packages (/usr/bin) never is.
 */
export function machineOnlyPaths(packages: string[] = MACHINE_ONLY_PACKAGES): string[] {
  const owned = new Set<string>();
  for (const name of packages) {
    for (const file of packageFiles(name)) {
      // Merged /usr: dpkg lists /lib/... and /bin/... for what is really under /usr.
      owned.add(fs.existsSync(file) ? fs.realpathSync(path.dirname(file)) + "/" + path.basename(file) : file);
    }
  }
  const hidden: string[] = [];
  const fullyOwned = (dir: string): boolean =>
    fs.readdirSync(dir).every((entry) => {
      const p = path.join(dir, entry);
      if (!owned.has(p)) return false;
      return !fs.lstatSync(p).isDirectory() || fullyOwned(p);
    });
  const visit = (p: string): void => {
    if (!lexists(p)) return;
    // /lib, /bin, /sbin on a merged-/usr system: the distribution's links, listed by every package.
    if (fs.lstatSync(p).isSymbolicLink() && fs.statSync(p).isDirectory()) return;
    if (fs.lstatSync(p).isDirectory()) {
      if (fullyOwned(p)) hidden.push(p);
      return;
    }
    hidden.push(p);
  };
  // Parents before children, so a hidden directory's entries are skipped.
  for (const p of [...owned].sort()) {
    if (hidden.some((h) => p.startsWith(h + "/"))) continue;
    visit(p);
  }
  for (const rel of RUNTIME_STATE) {
    const p = "/" + rel;
    if (lexists(p) && !hidden.some((h) => p === h || p.startsWith(h + "/"))) hidden.push(p);
  }
  return hidden.map((p) => p.replace(/^\/+/, ""));
}
