// The lab's hosts in the product's own format (the stack key `hostsFile`): the lab stack reads this file,
// so the product reaches the lab exactly as it reaches real hosts — pinned host keys, a key file, and the
// lab address as each node's advertiseAddress while SSH goes through the loopback forwarder.
import * as path from "path";
import { stringify } from "yaml";
import { writeAtomic, type Inventory } from "./inventory";
import { labDir } from "./names";

export function hostsFilePath(lab: string): string {
  return path.join(labDir(lab), "hosts.yaml");
}

export function hostsFileContent(inventory: Inventory, controlPlaneCount: number): string {
  if (controlPlaneCount < 1 || controlPlaneCount > inventory.hosts.length) {
    throw new Error(`--control-plane must be between 1 and ${inventory.hosts.length}`);
  }
  const host = (h: Inventory["hosts"][number]) => ({
    name: h.name,
    address: h.sshAddress,
    port: h.sshPort,
    advertiseAddress: h.address,
    hostKey: h.hostKey,
  });
  return stringify(
    {
      controlPlane: inventory.hosts.slice(0, controlPlaneCount).map(host),
      workers: inventory.hosts.slice(controlPlaneCount).map(host),
      // Absolute: the file is read wherever the program runs (the tests run copies of the project).
      ssh: { user: "root", privateKeyFile: inventory.privateKeyPath },
    },
    // One line per host key: folded keys are valid YAML but hard to compare with ssh-keyscan's output.
    { lineWidth: 0 },
  );
}

export function writeHostsFile(inventory: Inventory, controlPlaneCount: number): string {
  const file = hostsFilePath(inventory.name);
  writeAtomic(file, hostsFileContent(inventory, controlPlaneCount));
  return file;
}
