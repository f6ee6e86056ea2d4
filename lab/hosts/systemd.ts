// A real node boots the real systemd (lab/hosts/init.sh). What it needs in the host's /etc before the first
// boot: the target a server boots into, units that cannot work in a host that shares the machine's kernel
// masked, the machine's own enabled services (its database, its apt timers) not enabled here, and the lab's
// sshd as a unit of its own.
import * as fs from "fs";
import * as path from "path";
import { hidePaths, upperPath, writeUpperFile, ensureUpperDir } from "./mounts";
import { SSHD_CONFIG } from "./sshd";

/**
 * Units masked on every real node: kernel-wide mounts and settings (debugfs, binfmt, modules: the machine's),
 * hardware (udev, consoles, the clock) and first-boot wizards. kind masks the same kinds in its node image.
 */
export const MASKED_UNITS = [
  "sys-kernel-debug.mount",
  "sys-kernel-tracing.mount",
  "sys-kernel-config.mount",
  "sys-fs-fuse-connections.mount",
  "dev-hugepages.mount",
  "proc-sys-fs-binfmt_misc.automount",
  "systemd-binfmt.service",
  "systemd-modules-load.service",
  "kmod-static-nodes.service",
  "systemd-udevd.service",
  "systemd-udevd-control.socket",
  "systemd-udevd-kernel.socket",
  "systemd-udev-trigger.service",
  "systemd-hwdb-update.service",
  "systemd-remount-fs.service",
  "systemd-firstboot.service",
  "systemd-timesyncd.service",
  "systemd-pstore.service",
  "getty.target",
  "console-getty.service",
  "getty@.service",
  "serial-getty@.service",
];

/**
 * systemd mounts cpu and cpuacct as one hierarchy ("cpu,cpuacct", with cpu and cpuacct as links to it). Where the
 * machine has them as two (this machine does), that joint mount fails and the host is left without either,
 * which the kubelet refuses ("Following Cgroup subsystem not mounted: [cpu cpuacct]"). This unit mounts each
 * hierarchy under its own name before anything that uses them starts.
 */
export const CGROUP_UNIT = "lab-cgroup-v1.service";
const CGROUP_SCRIPT = [
  "set -e",
  "for c in cpu cpuacct; do",
  '  grep -q "^[^ ]* /sys/fs/cgroup/$c cgroup " /proc/mounts && continue',
  "  mount -o remount,rw /sys/fs/cgroup",
  '  rm -f "/sys/fs/cgroup/$c"',
  '  mkdir -p "/sys/fs/cgroup/$c"',
  '  mount -t cgroup -o "nosuid,nodev,noexec,$c" cgroup "/sys/fs/cgroup/$c"',
  "  mount -o remount,ro /sys/fs/cgroup",
  "done",
].join("\n");

function cgroupUnit(): string {
  return [
    "[Unit]",
    "Description=cgroup v1 cpu and cpuacct hierarchies of the lab host",
    "DefaultDependencies=no",
    "Before=sysinit.target containerd.service kubelet.service",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    "ExecStart=/bin/sh /etc/systemd/lab-cgroup-v1.sh",
    "",
    "[Install]",
    "WantedBy=sysinit.target",
    "",
  ].join("\n");
}

/** The lab's sshd, enabled at boot: listens on the lab address, restarted if it dies, as init.sh did. */
export const SSHD_UNIT = "lab-sshd.service";

function sshdUnit(dropCaps: string): string {
  const dropped = dropCaps
    .split(",")
    .map((c) => `CAP_${c.replace(/^-/, "").toUpperCase()}`)
    .join(" ");
  return [
    "[Unit]",
    "Description=OpenSSH server of the lab host",
    "After=network.target",
    "",
    "[Service]",
    `ExecStart=/usr/sbin/sshd -D -e -f /${SSHD_CONFIG}`,
    "ExecReload=/bin/kill -HUP $MAINPID",
    // Sessions outlive an sshd restart, as with the distributions' own ssh.service.
    "KillMode=process",
    "Restart=always",
    "RestartSec=1",
    "RuntimeDirectory=sshd",
    "RuntimeDirectoryMode=0755",
    // init.sh binds the lab's .lab/<name>/hosts/<host>/sshd.log here.
    "StandardError=append:/run/lab/sshd.log",
    // Powers that act on the whole machine, not on the host's namespaces.
    `CapabilityBoundingSet=~${dropped}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

function symlink(upper: string, rel: string, target: string): void {
  ensureUpperDir(upper, path.dirname(rel));
  const file = upperPath(upper, rel);
  fs.rmSync(file, { force: true });
  fs.symlinkSync(target, file);
}

export function provisionSystemd(upper: string, dropCaps: string): void {
  symlink(upper, "etc/systemd/system/default.target", "/lib/systemd/system/multi-user.target");
  for (const unit of MASKED_UNITS) symlink(upper, `etc/systemd/system/${unit}`, "/dev/null");
  // The machine's enabled units (its services, timers, gettys) are the machine's, not a fresh node's.
  const wants = safeReaddir("/etc/systemd/system").filter((d) => d.endsWith(".wants") || d.endsWith(".requires"));
  hidePaths(
    upper,
    wants.flatMap((dir) =>
      safeReaddir(path.join("/etc/systemd/system", dir)).map((u) => `etc/systemd/system/${dir}/${u}`),
    ),
  );
  writeUpperFile(upper, `etc/systemd/system/${SSHD_UNIT}`, sshdUnit(dropCaps));
  writeUpperFile(upper, "etc/systemd/lab-cgroup-v1.sh", CGROUP_SCRIPT + "\n");
  writeUpperFile(upper, `etc/systemd/system/${CGROUP_UNIT}`, cgroupUnit());
  symlink(upper, `etc/systemd/system/sysinit.target.wants/${CGROUP_UNIT}`, `/etc/systemd/system/${CGROUP_UNIT}`);
  symlink(upper, `etc/systemd/system/multi-user.target.wants/${SSHD_UNIT}`, `/etc/systemd/system/${SSHD_UNIT}`);
  // journald would copy the machine's kernel log (/dev/kmsg is there for the kubelet) into every host's journal.
  writeUpperFile(upper, "etc/systemd/journald.conf.d/lab.conf", "[Journal]\nReadKMsg=no\nStorage=volatile\n");
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
