// Address arithmetic for the network checks. Addresses become bigints so that IPv4 and IPv6
// share one containment/overlap implementation.
import { isIPv4, isIPv6 } from "net";

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  /** The address as written, which may have host bits set. */
  address: bigint;
  prefix: number;
}

export function bitsOf(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) {
    const value = text.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
    return { family: 4, value };
  }
  // Zone ids (fe80::1%eth0) name a local interface and mean nothing to other nodes.
  if (isIPv6(text) && !text.includes("%")) return { family: 6, value: ipv6Value(text) };
  return undefined;
}

function ipv6Value(text: string): bigint {
  let groups = text;
  const lastColon = groups.lastIndexOf(":");
  const tail = groups.slice(lastColon + 1);
  if (tail.includes(".")) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two 16-bit groups.
    const v4 = parseIp(tail);
    const v4Value = v4 ? v4.value : 0n;
    groups = `${groups.slice(0, lastColon + 1)}${(v4Value >> 16n).toString(16)}:${(v4Value & 0xffffn).toString(16)}`;
  }
  const [head, rest] = groups.includes("::") ? groups.split("::") : [groups, undefined];
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const zeros = rest === undefined ? [] : new Array<string>(8 - headGroups.length - restGroups.length).fill("0");
  return [...headGroups, ...zeros, ...restGroups].reduce((acc, group) => (acc << 16n) | BigInt(`0x${group}`), 0n);
}

export function formatIp(address: IpAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => ((address.value >> shift) & 0xffn).toString()).join(".");
  }
  const groups = [...Array(8).keys()].map((i) => (address.value >> BigInt((7 - i) * 16)) & 0xffffn);
  // Compress the longest run of zero groups (two or more) to "::", as RFC 5952 prescribes.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0n) length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const ip = parseIp(match[1]);
  const prefix = Number(match[2]);
  if (!ip || prefix > bitsOf(ip.family)) return undefined;
  return { family: ip.family, address: ip.value, prefix };
}

function hostMask(cidr: Cidr): bigint {
  return (1n << BigInt(bitsOf(cidr.family) - cidr.prefix)) - 1n;
}

/** The network address of the range: the written address with its host bits cleared. */
export function networkAddress(cidr: Cidr): IpAddress {
  return { family: cidr.family, value: cidr.address & ~hostMask(cidr) };
}

export function hasHostBits(cidr: Cidr): boolean {
  return (cidr.address & hostMask(cidr)) !== 0n;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(networkAddress(cidr))}/${cidr.prefix}`;
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  return (ip.value & ~hostMask(cidr)) === networkAddress(cidr).value;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, networkAddress(b)) || cidrContains(b, networkAddress(a));
}

/** Number of addresses in the range, as kubeadm counts them for its minimum-size rules. */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(bitsOf(cidr.family) - cidr.prefix);
}

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A host name that resolvers accept: dot-separated labels of letters, digits and inner hyphens. */
export function isDnsName(text: string): boolean {
  return text.length <= 253 && text.split(".").every((label) => DNS_LABEL.test(label));
}

const LOWERCASE_DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Kubernetes' RFC 1123 subdomain: what node names and dnsDomain must be. */
export function isLowercaseDnsSubdomain(text: string): boolean {
  return text.length <= 253 && text.split(".").every((label) => LOWERCASE_DNS_LABEL.test(label));
}

export type HostPort = { host: string; port?: number } | { problem: string };

/**
 * Splits "host", "host:port", "[v6]" or "[v6]:port". The host must be an IP address or DNS name.
 * Bare IPv6 without brackets is accepted as a host without port, as kubeadm does.
 */
export function parseHostPort(text: string): HostPort {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) {
    return { problem: "has a URL scheme" };
  }
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
    if (parseIp(host)?.family !== 6) return { problem: `has '${host}' in brackets, which is not an IPv6 address` };
  } else if ((text.match(/:/g) ?? []).length > 1) {
    if (parseIp(text)?.family !== 6) return { problem: "is neither host:port nor an IPv6 address" };
    return { host: text };
  } else {
    const colon = text.indexOf(":");
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    if (parseIp(host) === undefined && !isDnsName(host)) {
      return { problem: `has host '${host}', which is neither an IP address nor a DNS name` };
    }
  }
  if (portText === undefined) return { host };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535))
    return { problem: `has port '${portText}', which is not a number from 1 to 65535` };
  return { host, port };
}

/** "host:port" with IPv6 hosts bracketed, as URLs and kubeadm's controlPlaneEndpoint expect. */
export function joinHostPort(host: string, port: number): string {
  return parseIp(host)?.family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
