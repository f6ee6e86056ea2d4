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

/** The bridge's own address: the hosts' default gateway (nothing lies behind it). */
export const GATEWAY = "198.18.0.1";
export const PREFIX_LENGTH = 16;

export function loadBalancerNs(lab: string): string {
  return nsPrefix(lab) + LOAD_BALANCER;
}

/**
 * The load balancer's lab address: hosts end in .2 to .251 (see hostAddress), so .252 to .254 of 198.18.0.0
 * are never a host's; .252 is the load balancer's, .253 and .254 stay free (a virtual IP, for instance).
 */
export const LOAD_BALANCER_ADDRESS = "198.18.0.252";
/** The switch-side end of the load balancer's veth. */
export const LOAD_BALANCER_PORT_NAME = "vlb";

export function registryNs(lab: string): string {
  return nsPrefix(lab) + REGISTRY;
}

/**
 * The registry's lab address: in the last /24 of the lab's /16, above the highest host address (.251), so no
 * host ever has it, and outside the .252-.254 of the first /24 that HA stacks use.
 */
export const REGISTRY_ADDRESS = "198.18.255.253";
export const REGISTRY_PORT = 5000;
/** The switch-side end of the registry's veth. */
export const REGISTRY_PORT_NAME = "vreg";

/** Lab address of the host at 0-based position `index` (198.18.0.0/15 is reserved for benchmarking). */
export function hostAddress(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= 250 * 256) throw new Error(`no lab address for host #${index}`);
  return `198.18.${Math.floor(index / 250)}.${(index % 250) + 2}`;
}

/** The switch-side end of a host's veth (interface names are limited to 15 characters, host names are not). */
export function switchPort(index: number): string {
  return `v${index}`;
}
