// The connection host preparation gives @pulumi/command's remote.Command. That provider checks the server against
// one key line (golang.org/x/crypto/ssh FixedHostKey) and, given none, accepts any key without a word: so the key is
// chosen here, from the configuration alone (nothing connects), and a host whose key cannot be pinned is refused
// instead of being reached unverified with the cluster's secrets.
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { keyscanCommand, parseHostKeyPins, sha256Fingerprint, type HostKeyPin } from "../../config/host-key-pins";
import { visibleText } from "../../config/problem";
import { shellQuote } from "../../config/quote";
import { definedOnly } from "../../config/resolve";
import type { Connection } from "../../config/spec";
import { describeTarget, settingKey } from "../../ssh/errors";
import { knownHostsName, readKnownHosts } from "../../ssh/host-key";

/** @pulumi/command's connection with plain values: all of it is known when the config is read. */
export type CommandConnection = pulumi.Unwrap<command.types.input.remote.ConnectionArgs>;
type CommandProxyConnection = pulumi.Unwrap<command.types.input.remote.ProxyConnectionArgs>;

type Hop = NonNullable<Connection["proxy"]>;
type KeyPin = Extract<HostKeyPin, { kind: "key" }>;

/**
 * `connection` as @pulumi/command's remote connection, its jump host included, with the host key each hop is checked
 * against. Throws, naming the config key to set, when a hop has no key the provider can check.
 */
export function commandConnection(connection: Connection): CommandConnection {
  return definedOnly({ ...hopConnection(connection), proxy: connection.proxy && hopConnection(connection.proxy) });
}

function hopConnection(hop: Hop): CommandProxyConnection {
  return definedOnly({
    host: hop.host,
    port: hop.port,
    user: hop.user,
    privateKey: hop.privateKey,
    privateKeyPassword: hop.privateKeyPassword,
    password: hop.password,
    agentSocketPath: hop.agentSocketPath,
    // Ours counts dial attempts; the provider counts the failed dials it tolerates, so N there makes N + 1 attempts.
    dialErrorLimit: Math.max(1, hop.dialErrorLimit) - 1,
    perDialTimeout: hop.connectTimeoutSeconds,
    hostKey: hostKeyLine(hop),
  });
}

// The provider takes a single key and offers the server only that key's algorithm, so of the keys the configuration
// accepts it gets the strongest. RSA comes last for another reason too: it is offered as "ssh-rsa" alone (SHA-1
// signatures), which OpenSSH 8.8 and later refuse by default.
const KEY_TYPE_PREFERENCE = [/^ssh-ed25519$/, /^ecdsa-sha2-nistp\d+$/, /^ssh-rsa$/];

function preference(key: KeyPin): number {
  const rank = KEY_TYPE_PREFERENCE.findIndex((keyType) => keyType.test(key.keyType));
  return rank < 0 ? KEY_TYPE_PREFERENCE.length : rank;
}

function keyLine(keys: KeyPin[]): string {
  const [best] = [...keys].sort((a, b) => preference(a) - preference(b));
  // Re-encoded from the blob rather than copied: Go's parser wants padded base64, and needs no comment or host name.
  return `${best.keyType} ${best.blob.toString("base64")}`;
}

const isKey = (pin: HostKeyPin): pin is KeyPin => pin.kind === "key";

/** knownHostsFile's keys for the hop, less those also marked @revoked (OpenSSH refuses a revoked key however listed). */
function knownKeys(hop: Hop & { knownHostsFile: string }): { keys: KeyPin[]; revoked: KeyPin[]; shownFile: string } {
  const known = readKnownHosts(hop);
  const revoked = known.revoked.filter(isKey);
  const keys = known.keys.filter(isKey).filter((key) => !revoked.some((r) => r.blob.equals(key.blob)));
  return { keys, revoked, shownFile: known.shownFile };
}

/**
 * The key line the hop is checked against; undefined only with insecureIgnoreHostKey. The precedence of
 * ssh/host-key.ts hostKeyPolicy: the hostKey pins, else knownHostsFile, else refused.
 */
function hostKeyLine(hop: Hop): string | undefined {
  if (hop.insecureIgnoreHostKey) return undefined;
  if (hop.hostKey !== undefined) return pinnedKeyLine(hop, hop.hostKey);
  const hostKey = settingKey(hop, "hostKey");
  const scan = keyscanCommand(hop.host, hop.port, "ed25519");
  const target = `ssh ${describeTarget(hop)}`;
  const file = hop.knownHostsFile;
  if (file === undefined) {
    throw new Error(
      `${target}: no host key to verify the server against, and without one @pulumi/command, which prepares the ` +
        `hosts, would accept any. Pin it: set ${hostKey} to the line \`${scan}\` prints, after checking its ` +
        `fingerprint on the host, or set ${settingKey(hop, "knownHostsFile")}; ` +
        `${settingKey(hop, "insecureIgnoreHostKey")}: true turns verification off`,
    );
  }
  const known = knownKeys({ ...hop, knownHostsFile: file });
  if (known.keys.length > 0) return keyLine(known.keys);
  const name = visibleText(knownHostsName(hop.host, hop.port));
  const revoked = known.revoked.map((key) => sha256Fingerprint(key.blob));
  const found =
    revoked.length > 0
      ? `every key for ${name} in known_hosts file ${known.shownFile} is marked @revoked (${revoked.join(", ")})`
      : `known_hosts file ${known.shownFile} has no entry for ${name}`;
  throw new Error(
    `${target}: ${found}. Add the host's current key with \`${scan} >> ${shellQuote(file)}\` after checking its ` +
      `fingerprint on the host, or set ${hostKey} to the line \`${scan}\` prints`,
  );
}

/**
 * The key line for a hostKey setting. A fingerprint pin cannot be given to the provider, which compares whole keys:
 * it stands for the key with that fingerprint in knownHostsFile, the only place a key can come from without
 * connecting.
 */
function pinnedKeyLine(hop: Hop, value: string): string {
  const hostKey = settingKey(hop, "hostKey");
  const pins = parseHostKeyPins(value, hostKey);
  const fingerprints = pins.flatMap((pin) => (pin.kind === "fingerprint" ? [pin.fingerprint] : []));
  const file = hop.knownHostsFile;
  // Read only when a fingerprint needs its key: hostKey's key lines alone are used as hostKeyPolicy uses them.
  const known = fingerprints.length > 0 && file !== undefined ? knownKeys({ ...hop, knownHostsFile: file }) : undefined;
  const named = known?.keys.filter((key) => fingerprints.includes(sha256Fingerprint(key.blob))) ?? [];
  const keys = [...pins.filter(isKey), ...named];
  if (keys.length > 0) return keyLine(keys);
  const name = visibleText(knownHostsName(hop.host, hop.port));
  const scan = keyscanCommand(hop.host, hop.port, "ed25519");
  const notInFile = known ? `, and known_hosts file ${known.shownFile} has no such key for ${name}` : "";
  throw new Error(
    `ssh ${describeTarget(hop)}: ${hostKey} pins the host key by fingerprint (${fingerprints.join(", ")})` +
      `${notInFile}, but @pulumi/command, which prepares the hosts, compares whole keys. Set ${hostKey} to the key ` +
      `line \`${scan}\` prints (\`${scan} | ssh-keygen -lf -\` shows its fingerprint), or add that line to the ` +
      `known_hosts file ${settingKey(hop, "knownHostsFile")} names`,
  );
}
