// What a lab is made of: its hosts' names and distributions, from the CLI's arguments or a test's list.
import { DISTROS, type Distro, type Inventory } from "./inventory";
import { checkHostName, checkLabName } from "./names";

export interface HostSpec {
  name: string;
  distro: Distro;
}

export interface LabSpec {
  name: string;
  hosts: HostSpec[];
  /**
   * A TCP load balancer in front of port 6443 of the hosts (all of them, or those named), standing in for a
   * user's own load balancer in front of the API servers (lab/load-balancer.ts); `check` "tcp" for backends
   * that are not API servers (default "readyz").
   */
  loadBalancer?: boolean | { hosts?: string[]; check?: "readyz" | "tcp" };
}

/** How the load balancer checks its backends. */
export function loadBalancerCheck(spec: LabSpec): "readyz" | "tcp" {
  return (typeof spec.loadBalancer === "object" && spec.loadBalancer.check) || "readyz";
}

/** The hosts the load balancer forwards to, or undefined when the lab has none. */
export function loadBalancerBackends(spec: LabSpec): string[] | undefined {
  if (!spec.loadBalancer) return undefined;
  const named = typeof spec.loadBalancer === "object" ? spec.loadBalancer.hosts : undefined;
  return named ?? spec.hosts.map((h) => h.name);
}

export type DistroChoice = Distro | "mixed" | string;

/** Host specs from `up`'s arguments: h1..hN unless named; one distro, "mixed" (alternating) or a cycled list. */
export function hostSpecs(count: number | undefined, distro: DistroChoice = "ubuntu", names?: string[]): HostSpec[] {
  const n = count ?? names?.length;
  if (n === undefined || !Number.isInteger(n) || n < 1)
    throw new Error("the number of hosts must be a positive integer");
  if (names && names.length !== n) throw new Error(`${n} hosts but ${names.length} names`);
  const cycle = (distro === "mixed" ? "ubuntu,rocky" : distro).split(",").map((d) => d.trim());
  for (const d of cycle) {
    if (!DISTROS.includes(d as Distro))
      throw new Error(`unknown distro ${JSON.stringify(d)} (${DISTROS.join(", ")}, mixed)`);
  }
  return Array.from({ length: n }, (_, i) => ({
    name: names?.[i] ?? `h${i + 1}`,
    distro: cycle[i % cycle.length] as Distro,
  }));
}

export function checkSpec(spec: LabSpec): void {
  checkLabName(spec.name);
  if (spec.hosts.length === 0) throw new Error("a lab needs at least one host");
  const seen = new Set<string>();
  for (const h of spec.hosts) {
    checkHostName(h.name);
    if (seen.has(h.name)) throw new Error(`host ${h.name} appears twice`);
    seen.add(h.name);
    if (!DISTROS.includes(h.distro)) throw new Error(`host ${h.name}: unknown distro ${JSON.stringify(h.distro)}`);
  }
  for (const backend of loadBalancerBackends(spec) ?? []) {
    if (!seen.has(backend)) throw new Error(`the load balancer names ${backend}, which is not a host of the lab`);
  }
}

export function sameShape(inventory: Inventory, spec: LabSpec): boolean {
  const backends = loadBalancerBackends(spec);
  return (
    inventory.hosts.length === spec.hosts.length &&
    inventory.hosts.every((h, i) => h.name === spec.hosts[i].name && h.distro === spec.hosts[i].distro) &&
    JSON.stringify(inventory.loadBalancer?.backends) === JSON.stringify(backends)
  );
}
