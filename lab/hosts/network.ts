// Network namespaces and links. Each lab's hosts hang off a bridge in the lab's switch namespace, on the lab's
// own address block (lab/names.ts). The machine gets exactly one link per lab, into that bridge, with the
// block's machine address, so clients on the machine (pulumi, kubectl, a browser) reach lab addresses
// directly; and one "unreachable" route for the whole lab range per lab, so an address of no running lab
// fails at once instead of leaving the machine by its default route.
import * as fs from "fs";
import * as path from "path";
import {
  BLOCKS,
  candidateBlocks,
  DEFAULT_LAB,
  hostNs,
  LAB_RANGE,
  labAddresses,
  labDir,
  LOAD_BALANCER_PORT_NAME,
  loadBalancerNs,
  machineLink,
  nsPrefix,
  PREFIX_LENGTH,
  REGISTRY_PORT_NAME,
  registryNs,
  switchNs,
  switchPort,
  type LabAddresses,
} from "../names";
import { run, runStatus, runSync } from "../run";
import { noteLabBlock } from "../started";

function networkFile(lab: string): string {
  return path.join(labDir(lab), "network.json");
}

/** The lab's addresses, from the block its switch claimed. */
export function labNetwork(lab: string): LabAddresses {
  let block: number;
  try {
    block = (JSON.parse(fs.readFileSync(networkFile(lab), "utf8")) as { block: number }).block;
  } catch {
    throw new Error(`lab ${lab} has no network (no ${networkFile(lab)}); start it with 'lab up'`);
  }
  return labAddresses(block);
}

/**
 * The block a lab's switch holds, read from the switch itself: its bridge carries the block's gateway address.
 * Teardown needs it when the lab's state dir (network.json) is gone.
 */
export function switchBlockSync(lab: string): number | undefined {
  const ns = switchNs(lab);
  if (!namespaceExists(ns)) return undefined;
  const shown = runSync("ip", ["-n", ns, "-o", "-4", "addr", "show", "dev", "br0"]);
  const gateway = /inet (\S+)\//.exec(shown.stdout)?.[1];
  if (gateway === undefined) return undefined;
  return Array.from({ length: BLOCKS }, (_, b) => b).find((b) => labAddresses(b).gateway === gateway);
}

/** The route that keeps a lab range address on the machine, one per lab (told apart by its metric). */
function guardRoute(block: number): string[] {
  return ["unreachable", LAB_RANGE, "metric", String(1000 + block)];
}

/** Namespaces whose name starts with the lab's prefix, whether or not the lab's state knows them. */
export function labNamespaces(lab: string): string[] {
  const prefix = nsPrefix(lab);
  let entries: string[];
  try {
    entries = fs.readdirSync("/run/netns");
  } catch {
    return [];
  }
  return entries.filter((n) => n.startsWith(prefix));
}

export function namespaceExists(ns: string): boolean {
  return fs.existsSync(`/run/netns/${ns}`);
}

/**
 * Creates the switch and claims the lab's address block: the machine-side link's name is the claim, so two labs
 * starting at once can never take the same block (the kernel refuses the second link).
 */
export async function createSwitch(lab: string): Promise<LabAddresses> {
  const ns = switchNs(lab);
  if (!namespaceExists(ns)) await run("ip", ["netns", "add", ns]);
  await run("ip", ["-n", ns, "-batch", "-"], { input: ["link set lo up", "link add br0 type bridge"].join("\n") });
  let claimed: number | undefined;
  // A switch that died comes back on the block its hosts were given (lab repair).
  const recorded = fs.existsSync(networkFile(lab)) ? [labNetwork(lab).block] : undefined;
  for (const block of recorded ?? candidateBlocks(lab)) {
    const link = await runStatus("ip", [
      "link",
      "add",
      machineLink(block),
      "type",
      "veth",
      "peer",
      "name",
      "uplink",
      "netns",
      ns,
    ]);
    if (link.code === 0) {
      claimed = block;
      break;
    }
    if (!/exists/i.test(link.stderr))
      throw new Error(`lab ${lab}: ip link add ${machineLink(block)}: ${link.stderr.trim()}`);
  }
  if (claimed === undefined) {
    throw new Error(
      lab === DEFAULT_LAB
        ? `the default lab's address block is taken by a lab that is still running (${machineLink(0)}); run 'lab down --name lab'`
        : `all ${BLOCKS - 1} lab address blocks are taken: stop a lab ('lab list', 'lab down --name <lab>')`,
    );
  }
  noteLabBlock(lab, claimed);
  const addresses = labAddresses(claimed);
  fs.mkdirSync(labDir(lab), { recursive: true });
  fs.writeFileSync(networkFile(lab), JSON.stringify({ block: claimed }) + "\n");
  await run("ip", ["-n", ns, "-batch", "-"], {
    input: [
      `addr add ${addresses.gateway}/${PREFIX_LENGTH} dev br0`,
      "link set br0 up",
      "link set uplink master br0 up",
    ].join("\n"),
  });
  const link = machineLink(claimed);
  await run("ip", ["addr", "add", `${addresses.machine}/${PREFIX_LENGTH}`, "dev", link]);
  await run("ip", ["link", "set", link, "up"]);
  await run("ip", ["route", "replace", ...guardRoute(claimed)]);
  return addresses;
}

/**
 * Drops the guard routes of blocks that no lab holds any more (the link went with its switch namespace): the
 * lab's own, and any that a killed lab left behind.
 */
export function removeStaleGuardRoutesSync(): void {
  const routes = runSync("ip", ["route", "show", "exact", LAB_RANGE, "type", "unreachable"]).stdout;
  for (const m of routes.matchAll(/metric (\d+)/g)) {
    const block = Number(m[1]) - 1000;
    if (block < 0 || block >= BLOCKS || fs.existsSync(`/sys/class/net/${machineLink(block)}`)) continue;
    runSync("ip", ["route", "del", ...guardRoute(block)]);
  }
}

/**
 * The machine's links into lab switches (pklab<block>), by block, each with the lab whose switch namespace holds its
 * other end; no lab when that namespace has no name (any more): deleted, or never named.
 */
export function machineLinkLabsSync(): Map<number, string | undefined> {
  const links = new Map<number, string | undefined>();
  for (const line of runSync("ip", ["-o", "link", "show"]).stdout.split("\n")) {
    const link = /^\d+: pklab(\d+)[@:]/.exec(line);
    if (!link) continue;
    const lab = / link-netns pk-([a-z0-9]+)-sw(?:\s|$)/.exec(line)?.[1];
    links.set(Number(link[1]), lab);
  }
  return links;
}

/**
 * The host's eth0 MAC address, the same at every boot as a real machine's network card's (locally administered,
 * from its lab address): after a reboot the other hosts' neighbour entries still reach it, instead of sending to a
 * MAC that is gone until their entry goes stale (connections timed out for a while after `lab host up`).
 */
export function hostMac(address: string): string {
  return ["02", "00", ...address.split(".").map((octet) => Number(octet).toString(16).padStart(2, "0"))].join(":");
}

/** Creates the host's namespace and plugs it into the switch; a host reboot calls this again on a fresh one. */
export async function connectHost(lab: string, host: string, index: number): Promise<void> {
  const ns = hostNs(lab, host);
  const addresses = labNetwork(lab);
  const port = switchPort(index);
  // After a reboot the old port may still be on the bridge: the kernel removes a deleted namespace's veth
  // pair later, not when 'ip netns delete' returns. Deleting it here is synchronous ("not found" is fine).
  await runStatus("ip", ["-n", switchNs(lab), "link", "del", port]);
  await run("ip", ["netns", "add", ns]);
  await run("ip", ["-n", switchNs(lab), "-batch", "-"], {
    input: [
      `link add ${port} type veth peer name eth0 address ${hostMac(addresses.host(index))} netns ${ns}`,
      `link set ${port} master br0 up`,
    ].join("\n"),
  });
  await run("ip", ["-n", ns, "-batch", "-"], {
    input: [
      "link set lo up",
      `addr add ${addresses.host(index)}/${PREFIX_LENGTH} dev eth0`,
      "link set eth0 up",
      `route add default via ${addresses.gateway}`,
    ].join("\n"),
  });
}

/** The load balancer's namespace, plugged into the switch like a host, on the block's load balancer address. */
export function connectLoadBalancer(lab: string): Promise<void> {
  return connectService(lab, loadBalancerNs(lab), LOAD_BALANCER_PORT_NAME, labNetwork(lab).loadBalancer);
}

/** The registry's namespace, plugged into the switch like a host, on the block's registry address. */
export function connectRegistry(lab: string): Promise<void> {
  return connectService(lab, registryNs(lab), REGISTRY_PORT_NAME, labNetwork(lab).registry);
}

async function connectService(lab: string, ns: string, portName: string, address: string): Promise<void> {
  if (namespaceExists(ns)) return;
  const { gateway } = labNetwork(lab);
  await run("ip", ["netns", "add", ns]);
  await run("ip", ["-n", switchNs(lab), "-batch", "-"], {
    input: [`link add ${portName} type veth peer name eth0 netns ${ns}`, `link set ${portName} master br0 up`].join(
      "\n",
    ),
  });
  await run("ip", ["-n", ns, "-batch", "-"], {
    input: [
      "link set lo up",
      `addr add ${address}/${PREFIX_LENGTH} dev eth0`,
      "link set eth0 up",
      `route add default via ${gateway}`,
    ].join("\n"),
  });
}

/**
 * Removes a namespace (its veth goes with it). Synchronous: teardown runs it from process.on("exit") too.
 * The processes inside must be gone first, or the namespace lives on, unnamed, as long as they do.
 */
export function deleteNamespaceSync(ns: string): void {
  if (!namespaceExists(ns)) return;
  const result = runSync("ip", ["netns", "delete", ns]);
  // A half-created namespace (ip killed between creating the file and mounting on it) is just a file.
  if (result.code !== 0 && namespaceExists(ns)) {
    runSync("umount", ["-l", `/run/netns/${ns}`]);
    fs.rmSync(`/run/netns/${ns}`, { force: true });
  }
}
