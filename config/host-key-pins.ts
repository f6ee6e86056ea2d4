// What a hostKey setting holds: public keys or SHA256 fingerprints, read the way OpenSSH writes them, and the
// ssh-keyscan command that prints them. In config/, below ssh/, because the configuration check reports a setting
// that cannot be read, and names the command, before anything connects; ssh/host-key.ts verifies with the pins.
// Node built-ins only, so this module is cheap to capture in a dynamic provider.
import { createHash } from "crypto";
import { shownValue } from "./problem";
import { shellQuote } from "./quote";

/** OpenSSH's fingerprint format: "SHA256:" + unpadded base64 of the SHA-256 of the key blob. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type recorded inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) {
    return "unknown";
  }
  const length = keyBlob.readUInt32BE(0);
  return length > 0 && length < 64 && keyBlob.length >= 4 + length
    ? keyBlob.subarray(4, 4 + length).toString("latin1")
    : "unknown";
}

export type HostKeyPin = { kind: "key"; keyType: string; blob: Buffer } | { kind: "fingerprint"; fingerprint: string };

const KEY_TYPE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+|[a-z0-9-]+-cert-v01@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key in a line's tokens: a key type followed by its base64 blob, as public key files and known_hosts write it. */
export function parseKeyTokens(tokens: string[]): HostKeyPin | undefined {
  const typeIndex = tokens.findIndex((token) => KEY_TYPE.test(token));
  if (typeIndex < 0 || typeIndex + 1 >= tokens.length || !BASE64.test(tokens[typeIndex + 1])) {
    return undefined;
  }
  const blob = Buffer.from(tokens[typeIndex + 1], "base64");
  // The blob names its own type; a mismatch means a corrupted or hand-edited line.
  if (keyTypeOfBlob(blob) !== tokens[typeIndex]) {
    return undefined;
  }
  return { kind: "key", keyType: tokens[typeIndex], blob };
}

/**
 * Reads a hostKey setting (`keyPath` names it in errors): one or more lines, each a public key ("ssh-ed25519 AAAA...
 * comment", with or without the host name ssh-keyscan puts in front) or a fingerprint ("SHA256:..."). Several
 * lines (all of ssh-keyscan's output) mean "any of these". Throws on anything else so that a typo is
 * reported instead of turning into a mismatch at connect time.
 */
export function parseHostKeyPins(value: string, keyPath = "ssh.hostKey"): HostKeyPin[] {
  const pins: HostKeyPin[] = [];
  for (const rawLine of value.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) {
      continue;
    }
    const tokens = line.split(/\s+/);
    const fingerprint = tokens.length === 1 ? /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(tokens[0]) : null;
    if (fingerprint) {
      pins.push({ kind: "fingerprint", fingerprint: `SHA256:${fingerprint[1]}` });
      continue;
    }
    const key = parseKeyTokens(tokens);
    if (!key) {
      throw new Error(
        `${keyPath}: cannot read ${shownValue(line.slice(0, 60))} as a public key ("ssh-ed25519 AAAA...") ` +
          `or a SHA256 fingerprint ("SHA256:..." as printed by ssh-keygen -lf)`,
      );
    }
    pins.push(key);
  }
  if (pins.length === 0) {
    throw new Error(`${keyPath} is empty`);
  }
  return pins;
}

/**
 * The command that prints a host's keys, for messages that tell the user how to pin one; the address is quoted, as the
 * user pastes the command into a shell. No port means ssh-keyscan's default, 22.
 */
export function keyscanCommand(host: string, port?: number, keyType?: string): string {
  const options = [port !== undefined ? `-p ${port}` : "", keyType !== undefined ? `-t ${keyType}` : ""];
  return ["ssh-keyscan", ...options.filter((option) => option !== ""), shellQuote(host)].join(" ");
}
