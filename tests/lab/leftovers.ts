// What a lab may leave behind on the machine, looked at from the machine's side only (ip, /proc): shared by
// the teardown tests and the hosts tests' after hook.
import { execFileSync } from "child_process";
import * as fs from "fs";
import { labDir, nsPrefix } from "../../lab";
import { machineLinkLabsSync } from "../../lab/hosts/network";

export interface MachineSnapshot {
  links: string[];
  ipForward: string;
}

export function rootLinks(): string[] {
  return execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(":")[1].trim().split("@")[0])
    .sort();
}

export function snapshot(): MachineSnapshot {
  return { links: rootLinks(), ipForward: fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim() };
}

/** Everything found of the lab: empty when it is completely gone. */
export function leftovers(lab: string, before: MachineSnapshot): string[] {
  const dir = labDir(lab);
  const prefix = nsPrefix(lab);
  const found: string[] = [];
  const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(prefix));
  if (namespaces.length) found.push(`namespaces: ${namespaces.join(", ")}`);
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmd: string;
    let cwd: string;
    try {
      cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue;
    }
    if (cmd.includes(dir) || cmd.includes(prefix) || cwd.startsWith(dir)) found.push(`process ${entry}: ${cmd}`);
  }
  const mounts = fs
    .readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .filter((l) => l.split(" ")[1]?.startsWith(dir));
  if (mounts.length) found.push(`mounts: ${mounts.join("; ")}`);
  // A link into another lab's switch is that lab's: the suite runs two test files at once, each with its labs.
  const linkLabs = machineLinkLabsSync();
  const othersLink = (link: string) => {
    const owner = linkLabs.get(Number(/^pklab(\d+)$/.exec(link)?.[1] ?? NaN));
    return owner !== undefined && owner !== lab;
  };
  const newLinks = rootLinks().filter((l) => !before.links.includes(l) && !othersLink(l));
  if (newLinks.length) found.push(`links in the root namespace: ${newLinks.join(", ")}`);
  const ipForward = fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
  if (ipForward !== before.ipForward) found.push(`ip_forward changed: ${before.ipForward} -> ${ipForward}`);
  if (fs.existsSync(dir)) found.push(`state dir ${dir}`);
  return found;
}
