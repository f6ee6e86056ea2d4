// Host-key verification: decides whether the key a server presents is the one the configuration
// expects, from a pinned key or fingerprint, or from an OpenSSH known_hosts file.
// Node built-ins only; no ssh2 here, so this module is cheap to capture in a dynamic provider.
import { createHash, createHmac, timingSafeEqual } from "crypto";
import { readFileSync } from "fs";
import type { ServerHostKeyAlgorithm } from "ssh2";
import type { Connection } from "../config/spec";
import { shownValue, visibleText } from "../config/problem";
import { settingKey } from "./errors";
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

function describePin(pin: HostKeyPin): string {
  return pin.kind === "key" ? `${pin.keyType} ${sha256Fingerprint(pin.blob)}` : pin.fingerprint;
}

const KEY_TYPE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+|[a-z0-9-]+-cert-v01@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parseKeyTokens(tokens: string[]): HostKeyPin | undefined {
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

/** The name OpenSSH files a host under: "host" on port 22, "[host]:port" otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

function hashedEntryMatches(entry: string, name: string): boolean {
  const [, magic, salt, hash] = entry.split("|");
  if (magic !== "1" || !salt || !hash) {
    return false;
  }
  const expected = Buffer.from(hash, "base64");
  const actual = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether a known_hosts host field ("a,b,!c", "[h]:p", wildcards, or "|1|salt|hash") covers `name`. */
export function hostPatternsMatch(field: string, name: string): boolean {
  if (field.startsWith("|")) {
    return hashedEntryMatches(field, name);
  }
  let matched = false;
  for (const pattern of field.split(",")) {
    const negated = pattern.startsWith("!");
    if (wildcardToRegExp(negated ? pattern.slice(1) : pattern).test(name)) {
      if (negated) {
        return false;
      }
      matched = true;
    }
  }
  return matched;
}

export interface KnownHostsEntries {
  keys: HostKeyPin[];
  revoked: HostKeyPin[];
}

/**
 * The entries of a known_hosts text that apply to host:port. `@cert-authority` lines are skipped:
 * host certificates are not supported, so such a host must be pinned by key instead.
 */
export function knownHostsEntries(text: string, host: string, port: number): KnownHostsEntries {
  const name = knownHostsName(host, port);
  const entries: KnownHostsEntries = { keys: [], revoked: [] };
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) {
      continue;
    }
    let tokens = line.split(/\s+/);
    const marker = tokens[0].startsWith("@") ? tokens[0] : undefined;
    if (marker) {
      tokens = tokens.slice(1);
    }
    if (marker === "@cert-authority" || tokens.length < 3 || !hostPatternsMatch(tokens[0], name)) {
      continue;
    }
    const key = parseKeyTokens(tokens.slice(1));
    if (key) {
      (marker === "@revoked" ? entries.revoked : entries.keys).push(key);
    }
  }
  return entries;
}

function pinMatches(pin: HostKeyPin, keyBlob: Buffer): boolean {
  return pin.kind === "key" ? pin.blob.equals(keyBlob) : pin.fingerprint === sha256Fingerprint(keyBlob);
}

export type HostKeyDecision = { accepted: true } | { accepted: false; reason: string };

/** What a connection checks the server's key against, built before connecting. */
export interface HostKeyPolicy {
  verify(keyBlob: Buffer): HostKeyDecision;
  /**
   * Host-key algorithms to offer, so a server with several keys presents one that is pinned
   * (as OpenSSH does for known_hosts); undefined keeps ssh2's defaults.
   */
  algorithms?: ServerHostKeyAlgorithm[];
}

type HostKeySettings = Pick<
  Connection,
  "host" | "port" | "hostKey" | "knownHostsFile" | "insecureIgnoreHostKey" | "sources"
>;

// ssh2 names RSA signature algorithms separately from the "ssh-rsa" key type.
const ALGORITHMS_FOR_KEY_TYPE: Record<string, ServerHostKeyAlgorithm[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

function algorithmsFor(pins: HostKeyPin[]): ServerHostKeyAlgorithm[] | undefined {
  const algorithms: ServerHostKeyAlgorithm[] = [];
  for (const pin of pins) {
    // A bare fingerprint does not say which key type it belongs to: any key type may match it.
    const forType = pin.kind === "key" ? ALGORITHMS_FOR_KEY_TYPE[pin.keyType] : undefined;
    if (!forType) {
      return undefined;
    }
    algorithms.push(...forType.filter((a) => !algorithms.includes(a)));
  }
  return algorithms;
}

/**
 * The command that prints a host's keys, for messages that tell the user how to pin one; the address is quoted, as the
 * user pastes the command into a shell. No port means ssh-keyscan's default, 22.
 */
export function keyscanCommand(host: string, port?: number, keyType?: string): string {
  const options = [port !== undefined ? `-p ${port}` : "", keyType !== undefined ? `-t ${keyType}` : ""];
  return ["ssh-keyscan", ...options.filter((option) => option !== ""), shellQuote(host)].join(" ");
}

function pinnedPolicy(settings: HostKeySettings, pins: HostKeyPin[], source: string): HostKeyPolicy {
  return {
    algorithms: algorithmsFor(pins),
    verify: (keyBlob) =>
      pins.some((pin) => pinMatches(pin, keyBlob))
        ? { accepted: true }
        : {
            accepted: false,
            reason:
              `host key mismatch: the server presented ${keyTypeOfBlob(keyBlob)} ${sha256Fingerprint(keyBlob)}, ` +
              `but ${source} expects ${pins.map(describePin).join(" or ")}. If the host was reinstalled, ` +
              `update ${source} (\`${keyscanCommand(settings.host, settings.port)}\`); otherwise the connection ` +
              `may be intercepted`,
          },
  };
}

/**
 * Builds the host-key check for one endpoint. Precedence: insecureIgnoreHostKey, then the pinned
 * `hostKey`, then `knownHostsFile`; with none of them the connection is refused, because accepting
 * an unknown key would let anyone on the path impersonate the host and receive cluster secrets.
 */
export function hostKeyPolicy(settings: HostKeySettings): HostKeyPolicy {
  if (settings.insecureIgnoreHostKey) {
    return { verify: () => ({ accepted: true }) };
  }
  if (settings.hostKey !== undefined) {
    const key = settingKey(settings, "hostKey");
    return pinnedPolicy(settings, parseHostKeyPins(settings.hostKey, key), key);
  }
  const scan = keyscanCommand(settings.host, settings.port);
  if (settings.knownHostsFile !== undefined) {
    const file = settings.knownHostsFile;
    const shownFile = `${shownValue(file)} (${settingKey(settings, "knownHostsFile")})`;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new Error(`known_hosts file ${shownFile} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    const { keys, revoked } = knownHostsEntries(text, settings.host, settings.port);
    const name = knownHostsName(settings.host, settings.port);
    const pinned = keys.length > 0 ? pinnedPolicy(settings, keys, `known_hosts file ${shownFile}`) : undefined;
    return {
      algorithms: pinned?.algorithms,
      verify: (keyBlob) => {
        if (revoked.some((pin) => pinMatches(pin, keyBlob))) {
          const fingerprint = sha256Fingerprint(keyBlob);
          return { accepted: false, reason: `host key ${fingerprint} is marked @revoked in ${shownFile}` };
        }
        if (pinned) {
          return pinned.verify(keyBlob);
        }
        return {
          accepted: false,
          reason:
            `known_hosts file ${shownFile} has no entry for ${visibleText(name)} (the server presented ` +
            `${keyTypeOfBlob(keyBlob)} ${sha256Fingerprint(keyBlob)}); add one with ` +
            `\`${scan} >> ${shellQuote(file)}\` after checking the fingerprint on the host`,
        };
      },
    };
  }
  return {
    verify: (keyBlob) => ({
      accepted: false,
      reason:
        `no host key to verify the server against (it presented ${keyTypeOfBlob(keyBlob)} ` +
        `${sha256Fingerprint(keyBlob)}). Pin it: set ${settingKey(settings, "hostKey")} to a line of \`${scan}\` ` +
        `output (or its SHA256 fingerprint) after checking it on the host, or set ` +
        `${settingKey(settings, "knownHostsFile")}; ${settingKey(settings, "insecureIgnoreHostKey")}: true turns ` +
        `verification off`,
    }),
  };
}
