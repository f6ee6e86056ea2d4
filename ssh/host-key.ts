// Host-key verification: decides whether the key a server presents is the one the configuration
// expects, from a pinned key or fingerprint, or from an OpenSSH known_hosts file.
// Node built-ins only; no ssh2 here, so this module is cheap to capture in a dynamic provider.
import { createHmac, timingSafeEqual } from "crypto";
import { readFileSync } from "fs";
import type { ServerHostKeyAlgorithm } from "ssh2";
import type { Connection } from "../config/spec";
import { shownValue, visibleText } from "../config/problem";
import {
  keyscanCommand,
  keyTypeOfBlob,
  parseHostKeyPins,
  parseKeyTokens,
  sha256Fingerprint,
  type HostKeyPin,
} from "../config/host-key-pins";
import { shellQuote } from "../config/quote";
import { settingKey } from "./errors";

function describePin(pin: HostKeyPin): string {
  return pin.kind === "key" ? `${pin.keyType} ${sha256Fingerprint(pin.blob)}` : pin.fingerprint;
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

/** The known_hosts entries for the endpoint, and how messages name its file: the path and its config key. */
export function readKnownHosts(
  settings: Pick<Connection, "host" | "port" | "sources"> & { knownHostsFile: string },
): KnownHostsEntries & { shownFile: string } {
  const file = settings.knownHostsFile;
  const shownFile = `${shownValue(file)} (${settingKey(settings, "knownHostsFile")})`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`known_hosts file ${shownFile} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return { ...knownHostsEntries(text, settings.host, settings.port), shownFile };
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
    const { keys, revoked, shownFile } = readKnownHosts({ ...settings, knownHostsFile: file });
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
