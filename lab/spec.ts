// What a lab is made of: its hosts' names and distributions, from the CLI's arguments or a test's list.
import { DISTROS, SWAP_KINDS, type Distro, type Inventory, type SwapKind } from "./inventory";
import { checkHostName, checkLabName } from "./names";

/** SELinux and firewalld as a RHEL-family install has them (rocky hosts only; the lab's doubles, see lab/README.md). */
export interface HostSecurity {
  /** /etc/selinux/config's SELINUX= at the first boot, and so the mode; without it SELinux is disabled. */
  selinux?: "enforcing" | "permissive" | "disabled";
  /** The firewalld package installed and enabled: its public zone enforced with nftables rules from boot on. */
  firewalld?: boolean;
}

/** What a host already has, or lacks, at its first boot: real hosts are not blank (ubuntu hosts only). */
export interface HostKind {
  /**
   * Docker as `apt-get install docker-ce` from download.docker.com leaves a host: Docker's apt source and key,
   * containerd.io (its config.toml disables CRI) and docker-ce installed, containerd and docker running. The
   * `docker` double runs containers through the host's real containerd (namespace moby).
   */
  docker?: boolean;
  /** A minimal install: no curl, gpg or ca-certificates (commands not found until apt installs them). */
  minimal?: boolean;
}

/** What a host had before the product came, besides the distribution (lab/doubles/init-host, first boot). */
export interface HostSetup {
  /**
   * The distribution's containerd installed (the release's version, older than the archive's newest), enabled and
   * configured by its admin for a private registry, registry.corp.example:5000 (hosts.toml and ca.crt under
   * /etc/containerd/certs.d, a config.toml of their own). Ubuntu hosts only.
   */
  privateRegistry?: boolean;
  /** The swap the host turns on at every boot; default ["fstab"], [] for none. */
  swap?: SwapKind[];
}

export interface HostSpec extends HostSecurity, HostKind, HostSetup {
  name: string;
  distro: Distro;
}

const isDefaultSwap = (swap: SwapKind[] | undefined) => swap === undefined || swap.join(",") === "fstab";

/** init-host's options for a host (lab/doubles/init-host): what its first boot installs besides the distribution. */
export function initArgs(host: HostSecurity & HostKind & HostSetup): string[] {
  return [
    ...(host.selinux ? [`--selinux=${host.selinux}`] : []),
    ...(host.firewalld ? ["--firewalld"] : []),
    ...(host.docker ? ["--docker"] : []),
    ...(host.minimal ? ["--minimal"] : []),
    ...(host.privateRegistry ? ["--private-registry"] : []),
    ...(isDefaultSwap(host.swap) ? [] : [`--swap=${host.swap!.length ? host.swap!.join(",") : "none"}`]),
  ];
}

/** `--security selinux=enforcing,firewalld` (lab up): the security options of every rocky host. */
export function parseSecurity(text: string): HostSecurity {
  const security: HostSecurity = {};
  for (const word of text.split(",").map((w) => w.trim())) {
    const selinux = /^selinux=(enforcing|permissive|disabled)$/.exec(word);
    if (selinux) security.selinux = selinux[1] as HostSecurity["selinux"];
    else if (word === "firewalld") security.firewalld = true;
    else
      throw new Error(
        `unknown security option ${JSON.stringify(word)} (selinux=enforcing|permissive|disabled, firewalld)`,
      );
  }
  return security;
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
    if (h.distro !== "rocky" && (h.selinux || h.firewalld))
      throw new Error(`host ${h.name}: SELinux and firewalld are for rocky hosts (the RHEL family), not ${h.distro}`);
    if (h.distro !== "ubuntu" && (h.docker || h.minimal))
      throw new Error(`host ${h.name}: docker and minimal hosts are ubuntu hosts, not ${h.distro}`);
    if (h.docker && h.privateRegistry)
      throw new Error(
        `host ${h.name}: docker's containerd.io and privateRegistry's containerd cannot both be installed`,
      );
    if (h.privateRegistry && h.distro !== "ubuntu")
      throw new Error(`host ${h.name}: privateRegistry is for ubuntu hosts (the distribution's containerd package)`);
    for (const kind of h.swap ?? []) {
      if (!SWAP_KINDS.includes(kind))
        throw new Error(`host ${h.name}: unknown swap kind ${JSON.stringify(kind)} (${SWAP_KINDS.join(", ")})`);
    }
    if (new Set(h.swap).size !== (h.swap ?? []).length) throw new Error(`host ${h.name}: a swap kind appears twice`);
  }
  for (const backend of loadBalancerBackends(spec) ?? []) {
    if (!seen.has(backend)) throw new Error(`the load balancer names ${backend}, which is not a host of the lab`);
  }
}

export function sameShape(inventory: Inventory, spec: LabSpec): boolean {
  const backends = loadBalancerBackends(spec);
  return (
    inventory.hosts.length === spec.hosts.length &&
    inventory.hosts.every(
      (h, i) =>
        h.name === spec.hosts[i].name &&
        h.distro === spec.hosts[i].distro &&
        initArgs(h).join(" ") === initArgs(spec.hosts[i]).join(" "),
    ) &&
    JSON.stringify(inventory.loadBalancer?.backends) === JSON.stringify(backends)
  );
}
