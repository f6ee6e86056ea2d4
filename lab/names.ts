// Names and places shared by everything the lab creates (see lab/README.md, "Names" and "Network").
import * as path from "path";
import { repoRoot } from "../tools/paths";

/**
 * Lab names have no dash, so the namespace prefix `pk-<name>-` of one lab can never be a prefix of another
 * lab's ("lab" and "lab-2" would share "pk-lab-", and tearing down one would take the other with it).
 */
const LAB_NAME = /^[a-z][a-z0-9]{0,19}$/;
/** Host names are hostnames (one DNS label); "sw" is the switch. */
const HOST_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
export const SWITCH = "sw";
/** The load balancer's namespace suffix (`pk-<lab>-lb`); like "sw", not a host name. */
export const LOAD_BALANCER = "lb";
/** The image registry's namespace suffix (`pk-<lab>-reg`), on labs with real nodes. */
export const REGISTRY = "reg";
export const DEFAULT_LAB = "lab";

export function checkLabName(name: string): string {
  if (!LAB_NAME.test(name)) {
    throw new Error(`invalid lab name ${JSON.stringify(name)}: lowercase letters and digits, starting with a letter`);
  }
  return name;
}

export function checkHostName(name: string): string {
  if (!HOST_NAME.test(name) || [SWITCH, LOAD_BALANCER, REGISTRY].includes(name)) {
    throw new Error(
      `invalid host name ${JSON.stringify(name)}: a hostname label (lowercase), and not "${SWITCH}", "${LOAD_BALANCER}" or "${REGISTRY}"`,
    );
  }
  return name;
}

/** Where labs keep their state; PULUMI_KUBEADM_LAB_ROOT moves it (tests on another disk, for instance). */
export function labsRoot(): string {
  return process.env.PULUMI_KUBEADM_LAB_ROOT || path.join(repoRoot, ".lab");
}

export function labDir(lab: string): string {
  return path.join(labsRoot(), checkLabName(lab));
}

export function hostDir(lab: string, host: string): string {
  return path.join(labDir(lab), "hosts", host);
}

export function sharedDir(lab: string): string {
  return path.join(labDir(lab), "shared");
}

export function nsPrefix(lab: string): string {
  return `pk-${checkLabName(lab)}-`;
}

export function hostNs(lab: string, host: string): string {
  return nsPrefix(lab) + host;
}

export function switchNs(lab: string): string {
  return nsPrefix(lab) + SWITCH;
}

/**
 * Every lab has a block of its own in 198.18.0.0/15 (reserved for benchmarks, RFC 2544): a /20, so 32 labs
 * can run side by side and each is routed from the machine into its own switch (lab/hosts/network.ts). The
 * default lab always has block 0, so the demo's addresses (198.18.0.2, ...) never change; other labs take the
 * first free block from 1 on. Inside a block the layout is fixed (`labAddresses`).
 */
export const LAB_RANGE = "198.18.0.0/15";
export const BLOCKS = 32;
export const PREFIX_LENGTH = 20;
/** Hosts per block: 16 /24s of 250 hosts each (.2 to .251). */
export const MAX_HOSTS = 16 * 250;

export interface LabAddresses {
  block: number;
  /** "198.18.16.0/20" */
  cidr: string;
  /** The bridge's own address: the hosts' default gateway and resolver (nothing lies behind it). */
  gateway: string;
  /** The machine's own address on the lab's switch: where routes from the machine into the lab go out. */
  machine: string;
  /** The load balancer's: .252 of the block's first /24, above every host of that /24. */
  loadBalancer: string;
  /** Free for a stack's virtual IP (kube-vip): .253 of the first /24; .254 stays free too. */
  virtualIp: string;
  /** The registry's: .253 of the block's last /24, above the highest host address. */
  registry: string;
  /** The host at 0-based position `index`. */
  host(index: number): string;
}

export function labAddresses(block: number): LabAddresses {
  if (!Number.isInteger(block) || block < 0 || block >= BLOCKS) throw new Error(`no lab address block #${block}`);
  const second = 18 + Math.floor(block / 16);
  const third = (block % 16) * 16;
  const at = (offset: number, last: number) => `198.${second}.${third + offset}.${last}`;
  return {
    block,
    cidr: `${at(0, 0)}/${PREFIX_LENGTH}`,
    gateway: at(0, 1),
    machine: at(15, 254),
    loadBalancer: at(0, 252),
    virtualIp: at(0, 253),
    registry: at(15, 253),
    host(index: number): string {
      if (!Number.isInteger(index) || index < 0 || index >= MAX_HOSTS)
        throw new Error(`no lab address for host #${index}`);
      return at(Math.floor(index / 250), (index % 250) + 2);
    },
  };
}

/** The blocks a lab may take, in order of preference: the default lab's is fixed. */
export function candidateBlocks(lab: string): number[] {
  if (checkLabName(lab) === DEFAULT_LAB) return [0];
  return Array.from({ length: BLOCKS - 1 }, (_, i) => i + 1);
}

/** The machine-side end of a lab's link into its switch (the switch side is "uplink"). */
export function machineLink(block: number): string {
  return `pklab${block}`;
}

/** The switch-side end of the load balancer's veth. */
export const LOAD_BALANCER_PORT_NAME = "vlb";

export function loadBalancerNs(lab: string): string {
  return nsPrefix(lab) + LOAD_BALANCER;
}

export function registryNs(lab: string): string {
  return nsPrefix(lab) + REGISTRY;
}

export const REGISTRY_PORT = 5000;
/** The switch-side end of the registry's veth. */
export const REGISTRY_PORT_NAME = "vreg";

/** The switch-side end of a host's veth (interface names are limited to 15 characters, host names are not). */
export function switchPort(index: number): string {
  return `v${index}`;
}
