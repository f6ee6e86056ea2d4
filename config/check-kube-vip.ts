// kube-vip as the control-plane endpoint: it announces one IP address (ARP) from the leader among the
// control-plane nodes, so the endpoint must be that IP, on the API server's own port, and free.
import { parseHostPort, parseIp, formatIp } from "./addresses";
import { booleanAt, rawHosts, recordAt, stringAt, type CheckContext } from "./raw-view";
import { DEFAULTS } from "./schema";
import type { Findings } from "./problem";

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', no whitespace, not "." or "..". */
const INTERFACE_NAME = /^(?!\.{1,2}$)[^/\s:]{1,15}$/;
const EXAMPLE_VIP = "192.0.2.100";

function checkEndpointIsFreeIp(ctx: CheckContext, findings: Findings, endpoint: string): void {
  const parsed = parseHostPort(endpoint);
  // A malformed endpoint is reported by checkControlPlaneEndpoint.
  if ("problem" in parsed) return;
  const ip = parseIp(parsed.host);
  if (ip === undefined) {
    findings.error(
      ["controlPlaneEndpoint"],
      `'${parsed.host}' is a DNS name, but kube-vip announces an IP address: set controlPlaneEndpoint to the ` +
        `virtual IP itself, e.g. ${EXAMPLE_VIP}:${DEFAULTS.apiServerPort} (a DNS name for it can go into ` +
        `apiServer.certSANs), or turn kubeVip.enabled off and point the name at your own load balancer`,
    );
    return;
  }
  if (parsed.port !== undefined && parsed.port !== DEFAULTS.apiServerPort) {
    findings.error(
      ["controlPlaneEndpoint"],
      `port ${parsed.port}: kube-vip moves the address, not the port, so the virtual IP reaches each API server ` +
        `on its own port ${DEFAULTS.apiServerPort}; write ${parsed.host}:${DEFAULTS.apiServerPort}`,
    );
  }
  for (const host of rawHosts(ctx.root)) {
    for (const field of ["address", "advertiseAddress"]) {
      const text = stringAt(host.fields, field);
      const hostIp = text === undefined ? undefined : parseIp(text);
      if (hostIp !== undefined && hostIp.family === ip.family && hostIp.value === ip.value) {
        findings.error(
          ["controlPlaneEndpoint"],
          `${formatIp(ip)} is the ${field} of ${host.label}: kube-vip needs an unused address on the ` +
            `control-plane nodes' network for the virtual IP; pick a free one`,
        );
      }
    }
  }
}

export function checkKubeVip(ctx: CheckContext, findings: Findings): void {
  const kubeVip = recordAt(ctx.root, "kubeVip");
  if (kubeVip === undefined) return;
  const iface = stringAt(kubeVip, "interface");
  if (booleanAt(kubeVip, "enabled") !== true) {
    if (iface !== undefined || stringAt(kubeVip, "image") !== undefined) {
      findings.warn(
        ["kubeVip", "enabled"],
        "kubeVip has settings but kubeVip.enabled is not true, so kube-vip is not deployed: set " +
          "kubeVip.enabled: true to use it, or remove the kubeVip settings",
      );
    }
    return;
  }
  const endpoint = stringAt(ctx.root, "controlPlaneEndpoint");
  if (endpoint === undefined) {
    findings.error(
      ["kubeVip", "enabled"],
      `kube-vip holds controlPlaneEndpoint's IP, and no controlPlaneEndpoint is set: set it to a free IP on the ` +
        `control-plane nodes' network, e.g. pulumi config set controlPlaneEndpoint ${EXAMPLE_VIP}:${DEFAULTS.apiServerPort}`,
    );
  } else {
    checkEndpointIsFreeIp(ctx, findings, endpoint);
  }
  if (iface === undefined) {
    findings.error(
      ["kubeVip", "interface"],
      "kube-vip needs the network interface that carries the control-plane nodes' addresses: set it, e.g. " +
        "pulumi config set --path kubeVip.interface eth0 (`ip -br addr` on a control-plane node shows it)",
    );
  } else if (!INTERFACE_NAME.test(iface)) {
    findings.error(
      ["kubeVip", "interface"],
      `'${iface}' is not a Linux interface name (at most 15 characters, no '/', ':' or spaces), e.g. eth0`,
    );
  }
  const image = stringAt(kubeVip, "image");
  if (image !== undefined && (/\s/.test(image) || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(image))) {
    findings.error(
      ["kubeVip", "image"],
      `'${image}' is not an image reference: write registry/path:tag without a scheme, e.g. ${DEFAULTS.kubeVipImage}`,
    );
  }
}
