// Network namespaces and links. Everything is created inside the lab's own namespaces: the machine's root
// namespace never gets a link, an address or a route (the veth is created in the switch namespace with its
// peer placed directly in the host's).
import * as fs from "fs";
import {
  GATEWAY,
  hostAddress,
  hostNs,
  LOAD_BALANCER_ADDRESS,
  LOAD_BALANCER_PORT_NAME,
  loadBalancerNs,
  nsPrefix,
  PREFIX_LENGTH,
  REGISTRY_ADDRESS,
  REGISTRY_PORT_NAME,
  registryNs,
  switchNs,
  switchPort,
} from "../names";
import { run, runSync } from "../run";

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

export async function createSwitch(lab: string): Promise<void> {
  const ns = switchNs(lab);
  if (!namespaceExists(ns)) await run("ip", ["netns", "add", ns]);
  await run("ip", ["-n", ns, "-batch", "-"], {
    input: [
      "link set lo up",
      "link add br0 type bridge",
      `addr add ${GATEWAY}/${PREFIX_LENGTH} dev br0`,
      "link set br0 up",
    ].join("\n"),
  });
}

/** Creates the host's namespace and plugs it into the switch; a host reboot calls this again on a fresh one. */
export async function connectHost(lab: string, host: string, index: number): Promise<void> {
  const ns = hostNs(lab, host);
  const port = switchPort(index);
  await run("ip", ["netns", "add", ns]);
  await run("ip", ["-n", switchNs(lab), "-batch", "-"], {
    input: [`link add ${port} type veth peer name eth0 netns ${ns}`, `link set ${port} master br0 up`].join("\n"),
  });
  await run("ip", ["-n", ns, "-batch", "-"], {
    input: [
      "link set lo up",
      `addr add ${hostAddress(index)}/${PREFIX_LENGTH} dev eth0`,
      "link set eth0 up",
      `route add default via ${GATEWAY}`,
    ].join("\n"),
  });
}

/** The load balancer's namespace, plugged into the switch like a host, on LOAD_BALANCER_ADDRESS. */
export function connectLoadBalancer(lab: string): Promise<void> {
  return connectService(lab, loadBalancerNs(lab), LOAD_BALANCER_PORT_NAME, LOAD_BALANCER_ADDRESS);
}

/** The registry's namespace, plugged into the switch like a host, on REGISTRY_ADDRESS. */
export function connectRegistry(lab: string): Promise<void> {
  return connectService(lab, registryNs(lab), REGISTRY_PORT_NAME, REGISTRY_ADDRESS);
}

async function connectService(lab: string, ns: string, portName: string, address: string): Promise<void> {
  if (namespaceExists(ns)) return;
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
      `route add default via ${GATEWAY}`,
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
