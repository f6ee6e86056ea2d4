// The lab's inventory (.lab/<name>/inventory.json): what a Pulumi stack or a test needs to reach the hosts.
import * as fs from "fs";
import * as path from "path";
import { labDir } from "./names";

export type Distro = "ubuntu" | "rocky";
export const DISTROS: readonly Distro[] = ["ubuntu", "rocky"];

/**
 * Swap as real hosts set it up, each kind on its own device (lab/README.md, "Boot"): "fstab" /swap.img (a fresh
 * install's), "fstab-indented" an indented /dev/vdb2 line, "fstab-short" a three-field /var/swap line, "unit"
 * /swapfile through an enabled swapfile.swap, "zram" /dev/zram0 from zram-generator's configuration.
 */
export const SWAP_KINDS = ["fstab", "fstab-indented", "fstab-short", "unit", "zram"] as const;
export type SwapKind = (typeof SWAP_KINDS)[number];

export interface InventoryHost {
  name: string;
  distro: Distro;
  /** Rocky hosts that started with SELinux (this mode) and firewalld (lab/spec.ts HostSecurity); absent otherwise. */
  selinux?: "enforcing" | "permissive" | "disabled";
  firewalld?: boolean;
  /** Ubuntu hosts that started with Docker, or as a minimal install (lab/spec.ts HostKind); absent otherwise. */
  docker?: boolean;
  minimal?: boolean;
  /** What the host had before the product came (lab/spec.ts HostSetup); absent when it had a fresh install's. */
  privateRegistry?: boolean;
  swap?: SwapKind[];
  /** Lab address: what the cluster uses (advertiseAddress, join endpoint). */
  address: string;
  /** Where SSH reaches the host from the machine (a forwarder on loopback). */
  sshAddress: string;
  sshPort: number;
  /** "ssh-ed25519 AAAA...": pin it; host-key verification is part of what the lab tests. */
  hostKey: string;
  users: string[];
}

/** The lab's load balancer (lab/load-balancer.ts), when the lab has one. */
export interface InventoryLoadBalancer {
  /** Lab address, reachable from every host: a stack's controlPlaneEndpoint is "<address>:<port>". */
  address: string;
  port: number;
  /** The hosts whose port 6443 it forwards to. */
  backends: string[];
  /** How it tells a backend is up (lab/load-balancer.ts); absent in inventories of older labs: "readyz". */
  check?: "readyz" | "tcp";
}

export interface Inventory {
  name: string;
  privateKeyPath: string;
  /** OpenSSH known_hosts with every host's key under [sshAddress]:sshPort. */
  knownHostsPath: string;
  hosts: InventoryHost[];
  loadBalancer?: InventoryLoadBalancer;
  /** The lab's registry mirror: the nodes' images come from it. */
  registry: { address: string; port: number };
}

export function inventoryPath(lab: string): string {
  return path.join(labDir(lab), "inventory.json");
}

export function knownHostsPath(lab: string): string {
  return path.join(labDir(lab), "known_hosts");
}

export function readInventory(lab: string): Inventory | undefined {
  let text: string;
  try {
    text = fs.readFileSync(inventoryPath(lab), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return JSON.parse(text) as Inventory;
}

export function knownHostsLine(host: Pick<InventoryHost, "sshAddress" | "sshPort" | "hostKey">): string {
  return `[${host.sshAddress}]:${host.sshPort} ${host.hostKey}`;
}

/** Writes both files atomically: a reader never sees half an inventory. */
export function writeInventory(inventory: Inventory): void {
  writeAtomic(inventory.knownHostsPath, inventory.hosts.map((h) => knownHostsLine(h) + "\n").join(""));
  writeAtomic(inventoryPath(inventory.name), JSON.stringify(inventory, null, 2) + "\n");
}

export function writeAtomic(file: string, content: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
}
