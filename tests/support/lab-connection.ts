// How the product reaches a lab host, for the tests that run its steps there directly (no engine): as root with
// the lab's key, the host key pinned from the lab's inventory.
import * as fs from "fs";
import type { Connection } from "../../config/spec";
import type { Lab } from "../../lab";

export function labConnection(lab: Lab, host: string): Connection {
  const entry = lab.host(host);
  return {
    host: entry.sshAddress,
    port: entry.sshPort,
    user: "root",
    sudo: false,
    privateKey: fs.readFileSync(lab.inventory.privateKeyPath, "utf8"),
    hostKey: entry.hostKey,
    insecureIgnoreHostKey: false,
    connectTimeoutSeconds: 10,
    commandTimeoutSeconds: 300,
    dialErrorLimit: 3,
  };
}
