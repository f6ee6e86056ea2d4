// First boot of a host: the files that make it a distinct machine, written into its upper directories.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Distro } from "../inventory";
import { accountFiles, KUBE_SUDOERS, KUBE_UID } from "./accounts";
import { familyDirs, familyOf, hiddenPaths, MACHINE_WIDE_TOOLS, releaseFiles } from "./distro";
import { machineOnlyPaths } from "./machine-packages";
import { ensureUpperDir, hidePaths, OVERLAY_DIRS, upperPath, writeUpperFile } from "./mounts";
import { generateKey, HOST_KEY, SSHD_CONFIG, sshdConfig } from "./sshd";

export interface HostIdentity {
  name: string;
  distro: Distro;
  address: string;
  /** The lab's gateway address, named as the host's resolver. */
  gateway: string;
  /** "ssh-ed25519 AAAA..." authorized for root and kube. */
  clientPublicKey: string;
}

/** Writes everything a host needs before its first boot; returns its host key ("ssh-ed25519 AAAA..."). */
export async function provisionHost(upper: string, host: HostIdentity): Promise<string> {
  for (const dir of OVERLAY_DIRS) if (fs.existsSync(path.join("/", dir))) ensureUpperDir(upper, dir);

  ensureUpperDir(upper, "etc/ssh");
  const hostKey = await generateKey(upperPath(upper, HOST_KEY), `root@${host.name}`);
  writeUpperFile(upper, SSHD_CONFIG, sshdConfig(host.address));
  // The machine's own host keys must not be readable on the hosts.
  const machineKeys = safeReaddir("/etc/ssh").filter(
    (f) => f.startsWith("ssh_host_") && !f.startsWith("ssh_host_ed25519_key"),
  );
  hidePaths(
    upper,
    machineKeys.map((f) => `etc/ssh/${f}`),
  );

  writeUpperFile(upper, "etc/hostname", `${host.name}\n`);
  writeUpperFile(
    upper,
    "etc/hosts",
    `127.0.0.1\tlocalhost\n${host.address}\t${host.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
  );
  // Name lookups stay on the lab network: the machine's resolver is not the hosts' (CoreDNS on real nodes
  // forwards what it cannot answer to the node's resolver). Nothing listens on the switch's address, so a
  // lookup fails at once, as on a network without DNS.
  writeUpperFile(upper, "etc/resolv.conf", `nameserver ${host.gateway}\n`);
  writeUpperFile(upper, "etc/machine-id", crypto.randomBytes(16).toString("hex") + "\n", { mode: 0o444 });

  const family = familyOf(host.distro);
  hidePaths(upper, [...hiddenPaths(family), ...MACHINE_WIDE_TOOLS, ...machineOnly()]);
  for (const [rel, content] of Object.entries(releaseFiles(host.distro))) writeUpperFile(upper, rel, content);
  for (const dir of familyDirs(family)) ensureUpperDir(upper, dir);

  const accounts = accountFiles();
  const shadowGid = groupOf("/etc/shadow");
  writeUpperFile(upper, "etc/passwd", accounts.passwd);
  writeUpperFile(upper, "etc/group", accounts.group);
  writeUpperFile(upper, "etc/shadow", accounts.shadow, { mode: 0o640, gid: shadowGid });
  writeUpperFile(upper, "etc/gshadow", accounts.gshadow, { mode: 0o640, gid: shadowGid });
  writeUpperFile(upper, "etc/sudoers.d/kube", KUBE_SUDOERS, { mode: 0o440 });

  const keyLine = `${host.clientPublicKey} lab\n`;
  copySkel(upper, "root", 0);
  ensureUpperDir(upper, "root/.ssh", { mode: 0o700, uid: 0, gid: 0 });
  writeUpperFile(upper, "root/.ssh/authorized_keys", keyLine, { mode: 0o600 });
  const kube = { mode: 0o750, uid: KUBE_UID, gid: KUBE_UID };
  ensureUpperDir(upper, "home/kube", kube);
  copySkel(upper, "home/kube", KUBE_UID);
  ensureUpperDir(upper, "home/kube/.ssh", { ...kube, mode: 0o700 });
  writeUpperFile(upper, "home/kube/.ssh/authorized_keys", keyLine, { mode: 0o600, uid: KUBE_UID, gid: KUBE_UID });

  // Every distribution has it (this machine's kernel has no modules, so the machine does not); kube-proxy's
  // DaemonSet mounts it.
  ensureUpperDir(upper, "usr/lib/modules");

  // The doubles' per-host state and logs (README, "Doubles" and "Logs").
  ensureUpperDir(upper, "var/lib/lab");
  ensureUpperDir(upper, "var/log/lab");

  for (const dir of FRESH_DIRS) hideMachineContents(upper, dir);
  return hostKey;
}

let machineOnlyCache: string[] | undefined;
function machineOnly(): string[] {
  machineOnlyCache ??= machineOnlyPaths();
  return machineOnlyCache;
}

/**
 * Directories a freshly installed host has (nearly) empty, while the machine's are full of its own things: its
 * root's dotfiles and SSH keys, its users' homes, its locally installed tools. The machine's entries are hidden
 * there (and inside any subdirectory the host has its own copy of, like /root/.ssh), so that nothing of the
 * machine leaks into a host and the product cannot depend on it by accident.
 */
const FRESH_DIRS = ["root", "home", "opt", "usr/local/bin", "usr/local/sbin"];

function hideMachineContents(upper: string, rel: string): void {
  const hide: string[] = [];
  for (const entry of safeReaddir(path.join("/", rel))) {
    const mine = upperPath(upper, `${rel}/${entry}`);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(mine);
    } catch {
      hide.push(`${rel}/${entry}`);
      continue;
    }
    if (st.isDirectory() && fs.lstatSync(path.join("/", rel, entry)).isDirectory())
      hideMachineContents(upper, `${rel}/${entry}`);
  }
  hidePaths(upper, hide);
}

function copySkel(upper: string, home: string, uid: number): void {
  for (const f of safeReaddir("/etc/skel")) {
    const src = path.join("/etc/skel", f);
    if (fs.statSync(src).isFile()) writeUpperFile(upper, `${home}/${f}`, fs.readFileSync(src), { uid, gid: uid });
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function groupOf(file: string): number {
  try {
    return fs.statSync(file).gid;
  } catch {
    return 0;
  }
}
