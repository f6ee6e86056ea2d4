// The machines: at least one control plane, names Kubernetes accepts, no machine listed twice,
// and a control-plane layout kubeadm can actually build.
import { isDnsName, isLowercaseDnsSubdomain, parseIp } from "./addresses";
import { pathArgument, type ConfigPath } from "./key-path";
import {
  arrayAt,
  booleanAt,
  numberAt,
  rawHosts,
  recordAt,
  stringAt,
  type CheckContext,
  type RawHost,
  type RawRecord,
} from "./raw-view";
import { DEFAULTS } from "./schema";
import { shownValue, type Findings } from "./problem";

export function checkControlPlanePresent(ctx: CheckContext, findings: Findings): void {
  const controlPlane = arrayAt(ctx.root, "controlPlane");
  if (controlPlane === undefined || controlPlane.length > 0) return;
  if (ctx.fromHostsFile(["controlPlane"])) {
    findings.error(["controlPlane"], "at least one control-plane host is required: add one to the hosts file");
    return;
  }
  findings.error(
    ["controlPlane"],
    `at least one control-plane host is required: add one, e.g. pulumi config set --path ` +
      `'controlPlane[0].name' master01 && pulumi config set --path 'controlPlane[0].address' 192.0.2.10, ` +
      `or list the hosts in a file named by hostsFile`,
  );
}

function checkNodeName(findings: Findings, host: RawHost): void {
  const name = stringAt(host.fields, "name");
  if (name === undefined || name === "" || isLowercaseDnsSubdomain(name)) return;
  const lowered = name.toLowerCase();
  findings.error(
    [...host.path, "name"],
    `'${name}' is not a valid Kubernetes node name: use lowercase letters, digits, '-' and '.', starting and ` +
      `ending with a letter or digit, at most 63 characters between dots` +
      (isLowercaseDnsSubdomain(lowered) ? `, e.g. '${lowered}'` : ""),
  );
}

/** Why `address` (at `owner`'s address key) cannot be dialled as written, or undefined when it can. */
function sshAddressProblem(address: string, owner: ConfigPath): string | undefined {
  if (parseIp(address) !== undefined) return undefined;
  if (address.includes("@")) return `contains a login name: put it in ${pathArgument([...owner, "user"])}`;
  if (/^\[.*\]:\d+$|^[^:]+:\d+$/.test(address)) return `contains a port: put it in ${pathArgument([...owner, "port"])}`;
  if (!isDnsName(address)) return "is neither an IP address nor a DNS name: write the host's IP, e.g. 192.0.2.10";
  return undefined;
}

function checkAddress(findings: Findings, host: RawHost): void {
  const address = stringAt(host.fields, "address");
  if (address === undefined || address === "") return;
  const path = [...host.path, "address"];
  const problem = sshAddressProblem(address, host.path);
  if (problem) {
    findings.error(path, `${shownValue(address)} ${problem}`);
  } else if (
    parseIp(address) === undefined &&
    host.group === "controlPlane" &&
    stringAt(host.fields, "advertiseAddress") === undefined
  ) {
    findings.error(
      [...host.path, "advertiseAddress"],
      `${host.label} is reached by the DNS name '${address}', but kubeadm advertises the API server on an IP ` +
        `address: set advertiseAddress to the node's IP`,
    );
  }
}

/** A bastion is another machine, reached like a host: by an address without login or port. */
function checkBastion(ctx: CheckContext, findings: Findings, host: RawHost): void {
  const bastion = recordAt(host.fields, "bastion");
  const address = stringAt(bastion, "address");
  if (!bastion || address === undefined || address === "") return;
  const path = [...host.path, "bastion"];
  const problem = sshAddressProblem(address, path);
  if (problem) {
    findings.error([...path, "address"], `${shownValue(address)} ${problem}`);
    return;
  }
  const hostAddress = stringAt(host.fields, "address");
  const sshDefaults = recordAt(ctx.root, "ssh");
  const port = (fields: RawRecord | undefined) =>
    numberAt(fields, "port") ?? numberAt(sshDefaults, "port") ?? DEFAULTS.sshPort;
  if (hostAddress !== undefined && canonicalAddress(hostAddress) === canonicalAddress(address)) {
    if (port(bastion) === port(host.fields)) {
      findings.error(
        [...path, "address"],
        `${shownValue(address)} port ${port(bastion)} is ${host.label} itself: a bastion is the machine the host is ` +
          `reached through; remove bastion to connect directly, or give the jump host's address`,
      );
    }
  }
}

function checkAdvertiseAddress(findings: Findings, host: RawHost): void {
  const advertiseAddress = stringAt(host.fields, "advertiseAddress");
  if (advertiseAddress === undefined || advertiseAddress === "" || parseIp(advertiseAddress) !== undefined) return;
  findings.error(
    [...host.path, "advertiseAddress"],
    `'${advertiseAddress}' is not an IP address: kubeadm advertises the node on an IP; write the node's cluster-facing IP`,
  );
}

/** One spelling per machine address, so that "2001:db8::1" and "2001:DB8:0::1" compare equal. */
function canonicalAddress(text: string): string {
  const ip = parseIp(text);
  return ip ? `${ip.family}/${ip.value}` : text.toLowerCase();
}

function checkDuplicates(ctx: CheckContext, findings: Findings, hosts: RawHost[]): void {
  const sshDefaults = recordAt(ctx.root, "ssh");
  const byName = new Map<string, RawHost>();
  const bySshEndpoint = new Map<string, RawHost>();
  const byAdvertised = new Map<string, RawHost>();
  for (const host of hosts) {
    const name = stringAt(host.fields, "name");
    if (name !== undefined) {
      const first = byName.get(name);
      if (first) {
        findings.error(
          [...host.path, "name"],
          `'${name}' is also the name of ${first.label}: node names must be unique across controlPlane and workers`,
        );
      } else byName.set(name, host);
    }
    const address = stringAt(host.fields, "address");
    if (address === undefined) continue;
    // Two entries may share an address when they are distinct sshd ports behind one NAT address,
    // so the SSH identity of a machine is address plus port.
    const port = numberAt(host.fields, "port") ?? numberAt(sshDefaults, "port") ?? DEFAULTS.sshPort;
    const sshEndpoint = `${canonicalAddress(address)}|${port}`;
    const firstSsh = bySshEndpoint.get(sshEndpoint);
    if (firstSsh) {
      findings.error(
        [...host.path, "address"],
        `${address} port ${port} is also the address of ${firstSsh.label}: each entry must be a different machine; ` +
          `remove the duplicate or correct the address`,
      );
      continue;
    }
    bySshEndpoint.set(sshEndpoint, host);
    const advertiseAddress = stringAt(host.fields, "advertiseAddress");
    const advertised = canonicalAddress(advertiseAddress ?? address);
    const firstAdvertised = byAdvertised.get(advertised);
    if (firstAdvertised) {
      findings.error(
        [...host.path, advertiseAddress === undefined ? "address" : "advertiseAddress"],
        `${host.label} would advertise ${advertiseAddress ?? address}, which ${firstAdvertised.label} already ` +
          `advertises: each node needs its own cluster address; set advertiseAddress to this node's IP`,
      );
    } else byAdvertised.set(advertised, host);
  }
}

function checkControlPlaneLayout(ctx: CheckContext, findings: Findings): void {
  const count = arrayAt(ctx.root, "controlPlane")?.length ?? 0;
  if (count > 1 && ctx.root.controlPlaneEndpoint === undefined) {
    findings.error(
      ["controlPlaneEndpoint"],
      `${count} control-plane hosts need a controlPlaneEndpoint: a load-balancer or virtual-IP host:port that ` +
        `reaches every control-plane node (e.g. k8s-api.example.com:6443); kubeadm can only add control-plane ` +
        `nodes to a cluster created with one. Set it to your load balancer, e.g. pulumi config set ` +
        `controlPlaneEndpoint k8s-api.example.com:6443, or to a free IP with kubeVip.enabled: true and ` +
        `kubeVip.interface to let kube-vip hold that IP`,
    );
  }
  if (count > 0 && count % 2 === 0) {
    findings.warn(
      ["controlPlane"],
      `${count} control-plane hosts: etcd needs a majority, so ${count} members survive no more failures than ` +
        `${count - 1}; use an odd number (1, 3 or 5): add or remove one control-plane host`,
    );
  }
}

function checkSomethingSchedulable(ctx: CheckContext, findings: Findings): void {
  const workers = arrayAt(ctx.root, "workers")?.length ?? 0;
  const controlPlane = arrayAt(ctx.root, "controlPlane")?.length ?? 0;
  if (workers > 0 || controlPlane === 0 || booleanAt(ctx.root, "schedulableControlPlane") === true) return;
  findings.warn(
    ["schedulableControlPlane"],
    "there are no workers and the control plane keeps its NoSchedule taint, so ordinary pods will stay " +
      "Pending: add workers or set schedulableControlPlane: true",
  );
}

const LABEL_NAME = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && !isLowercaseDnsSubdomain(prefix)) {
    return `the prefix '${prefix}' must be a lowercase DNS subdomain, e.g. example.com/role`;
  }
  if (!LABEL_NAME.test(name)) {
    return `'${name}' must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

function checkLabels(findings: Findings, host: RawHost): void {
  const labels = recordAt(host.fields, "labels");
  if (!labels) return;
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) findings.error([...host.path, "labels", key], `label key '${key}' is invalid: ${keyProblem}`);
    if (typeof value === "string" && value !== "" && !LABEL_NAME.test(value)) {
      findings.error(
        [...host.path, "labels", key],
        `label value '${value}' is invalid: use at most 63 letters, digits, '-', '_' or '.', starting and ending ` +
          `with a letter or digit (or leave it empty)`,
      );
    }
  }
}

export function checkHosts(ctx: CheckContext, findings: Findings): void {
  checkControlPlanePresent(ctx, findings);
  const hosts = rawHosts(ctx.root);
  for (const host of hosts) {
    checkNodeName(findings, host);
    checkAddress(findings, host);
    checkBastion(ctx, findings, host);
    checkAdvertiseAddress(findings, host);
    checkLabels(findings, host);
  }
  checkDuplicates(ctx, findings, hosts);
  checkControlPlaneLayout(ctx, findings);
  checkSomethingSchedulable(ctx, findings);
}
