// Pod and service ranges, the API endpoint, and certificate SANs: the values kubeadm itself
// validates at init time, checked here so that the mistake surfaces before any host is touched.
import { DEFAULTS } from "./schema";
import {
  bitsOf,
  cidrContains,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  formatIp,
  hasHostBits,
  isDnsName,
  parseCidr,
  parseHostPort,
  parseIp,
  type Cidr,
} from "./addresses";
import { arrayAt, rawHosts, recordAt, stringAt, type CheckContext, type RawRecord } from "./raw-view";
import type { Findings } from "./problem";

// kubeadm constants (cmd/kubeadm/app/constants): MaximumBitsForServiceSubnet = 20,
// MinimumAddressesInServiceSubnet = 10, MinimumAddressesInPodSubnet = 14, PodSubnetNodeMaskMaxDiff = 16.
// The service rule is kubeadm's ValidateServiceSubnetSize ("specified service subnet is too large;
// for 32-bit addresses, the mask must be >= 12"), the pod rules its ValidatePodSubnetNodeMask.
const MAX_SERVICE_HOST_BITS = 20;
const MIN_SERVICE_ADDRESSES = 10n;
const MIN_POD_ADDRESSES = 14n;
const MAX_POD_NODE_MASK_DIFF = 16;
// kube-controller-manager's default per-node pod range.
const DEFAULT_NODE_MASK = { 4: 24, 6: 64 } as const;

type SubnetKey = "podSubnet" | "serviceSubnet";

interface Subnet {
  key: SubnetKey;
  text: string;
  cidr: Cidr;
  /** False when the user left the key out and the default applies. */
  configured: boolean;
}

function subnetName(subnet: Subnet): string {
  return subnet.configured ? `${subnet.key} ${subnet.text}` : `the default ${subnet.key} ${subnet.text}`;
}

/** Parses and shape-checks one range; returns it for the cross checks only when it is usable. */
function checkSubnetSyntax(ctx: CheckContext, findings: Findings, key: SubnetKey): Subnet | undefined {
  const configuredText = stringAt(ctx.root, key);
  // A wrong type or an empty string is already a schema problem; the defaults need checking too, though.
  if ((configuredText === undefined && ctx.root[key] !== undefined) || configuredText === "") return undefined;
  const text = configuredText ?? DEFAULTS[key];
  const example = DEFAULTS[key];
  if (text.includes(",")) {
    findings.error([key], `dual-stack ranges ('${text}') are not supported: give one CIDR, e.g. ${example}`);
    return undefined;
  }
  const cidr = parseCidr(text);
  if (!cidr) {
    findings.error([key], `'${text}' is not a CIDR range: write network/prefix, e.g. ${example}`);
    return undefined;
  }
  if (hasHostBits(cidr)) {
    findings.error(
      [key],
      `'${text}' has host bits set: the /${cidr.prefix} network containing it is ${formatCidr(cidr)}; write that`,
    );
    return undefined;
  }
  return { key, text, cidr, configured: configuredText !== undefined };
}

function nodeMaskFor(root: RawRecord, family: 4 | 6): number {
  const extraArgs = recordAt(recordAt(root, "controllerManager"), "extraArgs");
  const flag = stringAt(extraArgs, family === 4 ? "node-cidr-mask-size-ipv4" : "node-cidr-mask-size-ipv6");
  const generic = stringAt(extraArgs, "node-cidr-mask-size");
  const configured = Number(flag ?? generic);
  return Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_NODE_MASK[family];
}

function checkServiceSubnetSize(findings: Findings, subnet: Subnet): void {
  const bits = bitsOf(subnet.cidr.family);
  if (bits - subnet.cidr.prefix > MAX_SERVICE_HOST_BITS) {
    findings.error(
      [subnet.key],
      `${subnetName(subnet)} is too large: kubeadm requires the mask of a ${bits}-bit service subnet to be ` +
        `>= /${bits - MAX_SERVICE_HOST_BITS} (e.g. ${DEFAULTS.serviceSubnet})`,
    );
  } else if (cidrSize(subnet.cidr) < MIN_SERVICE_ADDRESSES) {
    findings.error(
      [subnet.key],
      `${subnetName(subnet)} is too small: kubeadm needs at least ${MIN_SERVICE_ADDRESSES} addresses ` +
        `(cluster DNS takes the 10th); use /28 or larger, e.g. ${DEFAULTS.serviceSubnet}`,
    );
  }
}

function checkPodSubnetSize(ctx: CheckContext, findings: Findings, subnet: Subnet): void {
  const nodeMask = nodeMaskFor(ctx.root, subnet.cidr.family);
  const prefix = subnet.cidr.prefix;
  if (cidrSize(subnet.cidr) < MIN_POD_ADDRESSES || prefix > nodeMask) {
    findings.error(
      [subnet.key],
      `${subnetName(subnet)} is smaller than the /${nodeMask} range the controller manager gives each node: ` +
        `use a larger range such as ${DEFAULTS.podSubnet}`,
    );
  } else if (nodeMask - prefix > MAX_POD_NODE_MASK_DIFF) {
    findings.error(
      [subnet.key],
      `${subnetName(subnet)} is too large: kubeadm allows at most ${MAX_POD_NODE_MASK_DIFF} bits between it and ` +
        `the /${nodeMask} per-node range, so use /${nodeMask - MAX_POD_NODE_MASK_DIFF} or a longer prefix`,
    );
  }
}

function checkHostsOutsideSubnet(ctx: CheckContext, findings: Findings, subnet: Subnet): void {
  const clashes: string[] = [];
  for (const host of rawHosts(ctx.root)) {
    for (const field of ["address", "advertiseAddress"]) {
      const text = stringAt(host.fields, field);
      const ip = text === undefined ? undefined : parseIp(text);
      if (ip && cidrContains(subnet.cidr, ip)) clashes.push(`${formatIp(ip)} (${field} of ${host.label})`);
    }
  }
  if (clashes.length === 0) return;
  findings.error(
    [subnet.key],
    `${subnetName(subnet)} contains host addresses: ${clashes.join(", ")}; cluster-internal addresses would ` +
      `shadow the host network, so set ${subnet.key} to a range none of your hosts use`,
  );
}

export function checkSubnets(ctx: CheckContext, findings: Findings): void {
  const pod = checkSubnetSyntax(ctx, findings, "podSubnet");
  const service = checkSubnetSyntax(ctx, findings, "serviceSubnet");
  if (pod) {
    checkPodSubnetSize(ctx, findings, pod);
    checkHostsOutsideSubnet(ctx, findings, pod);
  }
  if (service) {
    checkServiceSubnetSize(findings, service);
    checkHostsOutsideSubnet(ctx, findings, service);
  }
  if (pod && service && cidrsOverlap(pod.cidr, service.cidr)) {
    // Point at a key the user wrote: changing a default they never set is not the obvious fix.
    const reportAt = pod.configured || !service.configured ? pod : service;
    findings.error(
      [reportAt.key],
      `${subnetName(pod)} overlaps ${subnetName(service)}: pod and service addresses must not collide; ` +
        `pick disjoint ranges, e.g. podSubnet ${DEFAULTS.podSubnet} and serviceSubnet ${DEFAULTS.serviceSubnet}`,
    );
  }
}

export function checkControlPlaneEndpoint(ctx: CheckContext, findings: Findings): void {
  const text = stringAt(ctx.root, "controlPlaneEndpoint");
  if (text === undefined) return;
  const parsed = parseHostPort(text);
  if ("problem" in parsed) {
    findings.error(
      ["controlPlaneEndpoint"],
      `'${text}' ${parsed.problem}: write host[:port] with a DNS name or IP that reaches every control-plane ` +
        `node, e.g. k8s-api.example.com:6443`,
    );
  }
}

export function checkCertSans(ctx: CheckContext, findings: Findings): void {
  arrayAt(recordAt(ctx.root, "apiServer"), "certSANs")?.forEach((entry, index) => {
    if (typeof entry !== "string" || entry === "") return;
    const dnsName = entry.startsWith("*.") ? entry.slice(2) : entry;
    if (parseIp(entry) !== undefined || isDnsName(dnsName)) return;
    findings.error(
      ["apiServer", "certSANs", index],
      `'${entry}' is neither an IP address nor a DNS name: the API server certificate can only name those ` +
        `(a leading '*.' wildcard is allowed), e.g. k8s-api.example.com`,
    );
  });
}
