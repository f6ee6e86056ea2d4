// Preconditions shared by the init and join renderers. kubeadm would reject most of these too, but only after
// the config has been copied to a host; failing while rendering names the node and never echoes a secret.
import { isIP } from "net";
import type { NodeSpec } from "../config/spec";
import { isBootstrapToken, isCertificateKey } from "./token";

export function requireBootstrapToken(token: string, what: string): void {
  if (!isBootstrapToken(token)) {
    throw new Error(`${what} is not a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16}`);
  }
}

export function requireCertificateKey(key: string, what: string): void {
  if (!isCertificateKey(key)) {
    throw new Error(`${what} must be 64 lowercase hex characters (as generateCertificateKey returns)`);
  }
}

/** localAPIEndpoint.advertiseAddress must be an IP: kubeadm binds the API server and writes certificates for it. */
export function requireAdvertiseIp(node: NodeSpec): void {
  if (isIP(node.advertiseAddress) === 0) {
    throw new Error(
      `control-plane node ${node.name}: advertiseAddress "${node.advertiseAddress}" must be an IP address ` +
        "(set advertiseAddress when the SSH address is a host name)",
    );
  }
}
