// The value kubeadm pins a cluster by (--discovery-token-ca-cert-hash / caCertHashes).
import { createHash, X509Certificate } from "crypto";

/**
 * "sha256:" + hex SHA-256 of the CA certificate's DER SubjectPublicKeyInfo. Hashing the SPKI (not just the
 * RSA modulus, as some how-tos do with `openssl rsa`) is what kubeadm does, and works for ECDSA CAs too.
 */
export function caCertHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}
