// Add-on settings that can be judged without the cluster: Rook-Ceph's device list and whether
// there are nodes for it to run on.
import * as path from "path";
import { arrayAt, booleanAt, recordAt, stringAt, type CheckContext } from "./raw-view";
import { shownValue, type Findings } from "./problem";

// Rook takes a kernel device name (sdb, nvme0n1, vdb1) or a stable /dev path (/dev/disk/by-id/...).
const BARE_DEVICE = /^[a-z][a-z0-9_-]*$/;
const DEV_PATH = /^\/dev\/[A-Za-z0-9._:@+-]+(?:\/[A-Za-z0-9._:@+-]+)*$/;

export function isDeviceName(text: string): boolean {
  return (BARE_DEVICE.test(text) || DEV_PATH.test(text)) && !text.split("/").includes("..");
}

// Rook's cleanup policy wipes dataDirHostPath on the hosts: a directory the system owns must never be it.
const SYSTEM_DIRECTORIES = new Set(
  ["/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root", "/run", "/sbin"].concat([
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/var",
    "/var/lib",
    "/var/log",
  ]),
);

/** Why Rook could not use `text` as its directory on every host (the CRD wants ^/(\S+)), or undefined. */
export function dataDirHostPathProblem(text: string): string | undefined {
  const example = "e.g. /var/lib/rook";
  if (!text.startsWith("/")) return `is not an absolute path: the directory on every host, ${example}`;
  const normal = path.posix.normalize(text).replace(/(.)\/+$/, "$1");
  if (normal !== text) return `is not in its plain form: write '${normal}'`;
  if (SYSTEM_DIRECTORIES.has(text)) {
    return `is a system directory, and Rook's cleanup deletes what is in its data directory: use a directory of its own, ${example}`;
  }
  return undefined;
}

/** Replicated storage wants three nodes: Ceph's default pool size and monitor count are 3. */
const CEPH_NODES = 3;

export function checkAddons(ctx: CheckContext, findings: Findings): void {
  const rook = recordAt(recordAt(ctx.root, "addons"), "rookCeph");
  if (!rook) return;
  arrayAt(rook, "devices")?.forEach((device, index) => {
    if (typeof device !== "string" || device === "" || isDeviceName(device)) return;
    findings.error(
      ["addons", "rookCeph", "devices", index],
      `'${device}' is not a block device: write a bare device name such as sdb or nvme0n1, or a /dev path such as ` +
        `/dev/disk/by-id/<id>`,
    );
  });
  const dataDir = stringAt(rook, "dataDirHostPath");
  const dataDirProblem = dataDir ? dataDirHostPathProblem(dataDir) : undefined;
  if (dataDir && dataDirProblem) {
    findings.error(["addons", "rookCeph", "dataDirHostPath"], `${shownValue(dataDir)} ${dataDirProblem}`);
  }
  const devices = arrayAt(rook, "devices") ?? [];
  if (booleanAt(rook, "useAllDevices") === true && devices.length > 0) {
    findings.warn(
      ["addons", "rookCeph", "useAllDevices"],
      "is true, so Rook takes every unused device and the devices list does not limit it: set one or the other",
    );
  }
  if (booleanAt(rook, "enabled") !== true) return;
  const workers = arrayAt(ctx.root, "workers")?.length ?? 0;
  const controlPlane =
    booleanAt(ctx.root, "schedulableControlPlane") === true ? (arrayAt(ctx.root, "controlPlane")?.length ?? 0) : 0;
  const schedulable = workers + controlPlane;
  if (schedulable === 0) {
    findings.error(
      ["addons", "rookCeph", "enabled"],
      "Rook-Ceph needs nodes that run pods, and there are none: add workers or set schedulableControlPlane: true",
    );
  } else if (schedulable < CEPH_NODES) {
    findings.warn(
      ["addons", "rookCeph", "enabled"],
      `only ${schedulable} node(s) can run Ceph, which keeps ${CEPH_NODES} replicas on different nodes: data will ` +
        `not survive a node failure; add nodes for production use`,
    );
  }
}
