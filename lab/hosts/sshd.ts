// The host's OpenSSH server: its configuration and keys, generated per lab (never the machine's).
import * as fs from "fs";
import { run } from "../run";

export const SSHD_CONFIG = "etc/ssh/sshd_config";
export const HOST_KEY = "etc/ssh/ssh_host_ed25519_key";

/** Listens on the lab address only: the forwarder reaches it there, and so do the other hosts. */
export function sshdConfig(address: string): string {
  return [
    `ListenAddress ${address}:22`,
    `HostKey /${HOST_KEY}`,
    "PidFile /run/sshd.pid",
    "AuthorizedKeysFile .ssh/authorized_keys",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    // PAM would bring the machine's PAM stack (and its session modules) into every login.
    "UsePAM no",
    "StrictModes yes",
    "UseDNS no",
    "AllowTcpForwarding yes",
    "X11Forwarding no",
    "PrintMotd no",
    "PrintLastLog no",
    "AcceptEnv LANG LC_*",
    "Subsystem sftp internal-sftp",
    // The product opens connections to many hosts and several per host at once; defaults (10:30:100, 10) are
    // a real server's and would make a busy lab flaky.
    "MaxStartups 200:30:400",
    "MaxSessions 64",
    "LogLevel INFO",
    "",
  ].join("\n");
}

/** Generates an unencrypted ed25519 key pair at `file` and `file.pub`; returns the "ssh-ed25519 AAAA..." part. */
export async function generateKey(file: string, comment: string): Promise<string> {
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
  return publicKeyOf(file);
}

export function publicKeyOf(file: string): string {
  const [type, key] = fs.readFileSync(`${file}.pub`, "utf8").trim().split(/\s+/);
  return `${type} ${key}`;
}
