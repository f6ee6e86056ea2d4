// SSH host keys made by the real ssh-keygen, for the tests of host-key pins and known_hosts.
import { execFileSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";

export interface GeneratedKey {
  /** As ssh-keygen writes it: "type base64 comment". */
  line: string;
  /** "type base64", the form a pin or the command provider's hostKey takes. */
  keyLine: string;
  /** The key's wire form. */
  blob: Buffer;
  /** "SHA256:...", as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

let keyCounter = 0;

/** A new key pair of `type` in `dir`; its public half. */
export function generateKey(dir: string, type: "ed25519" | "ecdsa" | "rsa"): GeneratedKey {
  const path = join(dir, `key${keyCounter++}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "comment here", "-f", path]);
  const line = readFileSync(`${path}.pub`, "utf8").trim();
  const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${path}.pub`])
    .toString()
    .split(" ")[1];
  const [type_, base64] = line.split(" ");
  return { line, keyLine: `${type_} ${base64}`, blob: Buffer.from(base64, "base64"), fingerprint };
}
