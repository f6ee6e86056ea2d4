// Whether a CA the user brings (clusterCa.certPem/keyPem) can stand in for the one this program would generate:
// kubeadm finds /etc/kubernetes/pki/ca.{crt,key}, prints "Using existing ca certificate authority" and signs every
// other certificate with it, so it must be a CA allowed to sign certificates, its key must be the certificate's,
// it must be valid now, and its key must be one kubeadm's encryptionAlgorithm offers (RSA-2048/3072/4096,
// ECDSA-P256, ECDSA-P384).
//
// Node's crypto reads both RSA and ECDSA certificates and keys; node-forge's certificate reader only takes RSA,
// so the keyUsage extension, which Node does not expose, is read with node-forge's ASN.1 parser for both kinds.
import { createPrivateKey, X509Certificate, type KeyObject } from "crypto";
import type * as Forge from "node-forge";

export interface CaFindings {
  /** Problems with the certificate alone. */
  cert: string[];
  /** Problems with the key, or with the pair. */
  key: string[];
  /** Worth saying, not worth refusing (expiry within EXPIRY_WARNING_DAYS). */
  warnings: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const EXPIRY_WARNING_DAYS = 30;
/** kubeadm's RSA sizes start at 2048 bits. */
const MIN_RSA_BITS = 2048;
/** Node's names of the curves kubeadm's ECDSA-P256 and ECDSA-P384 use. */
const CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384" };
const SUPPORTED_KEYS = "RSA of 2048 bits or more, or ECDSA on P-256 or P-384 (kubeadm's encryptionAlgorithm choices)";
const KEY_USAGE_OID = "2.5.29.15";
/** keyCertSign is bit 5 of the KeyUsage BIT STRING (RFC 5280 §4.2.1.3), counted from the most significant bit. */
const KEY_CERT_SIGN_BIT = 5;

/** The first PEM block of `text`, or undefined when there is none. */
function pemBlock(text: string, label: RegExp): string | undefined {
  const match = new RegExp(`-----BEGIN (${label.source})-----[\\s\\S]*?-----END \\1-----`).exec(text);
  return match?.[0];
}

/**
 * The keyUsage extension's bits as a number (bit 0 the most significant of the first byte), undefined when the
 * certificate has no keyUsage. Reads the DER with node-forge's ASN.1 parser: Certificate → tbsCertificate →
 * [3] extensions → Extension { extnID, critical?, extnValue }.
 */
function keyUsageBits(certificate: X509Certificate): number | undefined {
  const forge: typeof Forge = require("node-forge");
  const { asn1 } = forge;
  const cert = asn1.fromDer(forge.util.createBuffer(certificate.raw.toString("binary")));
  const tbs = (cert.value as Forge.asn1.Asn1[])[0];
  const explicit = (tbs.value as Forge.asn1.Asn1[]).find(
    (node) => node.tagClass === asn1.Class.CONTEXT_SPECIFIC && node.type === 3,
  );
  if (!explicit) return undefined;
  const extensions = (explicit.value as Forge.asn1.Asn1[])[0].value as Forge.asn1.Asn1[];
  for (const extension of extensions) {
    const parts = extension.value as Forge.asn1.Asn1[];
    if (asn1.derToOid(parts[0].value as string) !== KEY_USAGE_OID) continue;
    const value = asn1.fromDer(parts[parts.length - 1].value as string);
    // A BIT STRING's first byte counts the unused bits; the usage bits follow.
    const bytes = (value.value as string).slice(1);
    let bits = 0;
    for (let i = 0; i < 2; i++) bits = (bits << 8) | (i < bytes.length ? bytes.charCodeAt(i) : 0);
    return bits;
  }
  return undefined;
}

function hasKeyCertSign(bits: number): boolean {
  return (bits & (1 << (15 - KEY_CERT_SIGN_BIT))) !== 0;
}

/** Why `key` is not a kind kubeadm takes, or undefined. */
function keyTypeProblem(key: KeyObject): string | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") {
    const bits = details.modulusLength ?? 0;
    return bits >= MIN_RSA_BITS ? undefined : `is an RSA key of ${bits} bits: kubeadm takes ${SUPPORTED_KEYS}`;
  }
  if (key.asymmetricKeyType === "ec") {
    const curve = details.namedCurve ?? "an unnamed curve";
    return CURVES[curve] ? undefined : `is an ECDSA key on ${curve}: kubeadm takes ${SUPPORTED_KEYS}`;
  }
  return `is a ${key.asymmetricKeyType ?? "unknown"} key: kubeadm takes ${SUPPORTED_KEYS}`;
}

function readCertificate(certPem: string, findings: CaFindings): X509Certificate | undefined {
  const block = pemBlock(certPem, /CERTIFICATE/);
  if (!block) {
    findings.cert.push("holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA's certificate (ca.crt)");
    return undefined;
  }
  try {
    return new X509Certificate(block);
  } catch (error) {
    findings.cert.push(`cannot be read as an X.509 certificate (${(error as Error).message}): give the CA's ca.crt`);
    return undefined;
  }
}

function checkCertificate(cert: X509Certificate, now: number, findings: CaFindings): void {
  // OpenSSL's CA check, behind X509Certificate.ca, also fails a keyUsage without keyCertSign: that is said first.
  const usage = keyUsageBits(cert);
  if (usage !== undefined && !hasKeyCertSign(usage)) {
    findings.cert.push("has a keyUsage without keyCertSign, so it may not sign certificates: give a CA certificate");
  } else if (!cert.ca) {
    findings.cert.push(
      "is not a CA certificate (basicConstraints CA:TRUE is missing): kubeadm signs the cluster's certificates " +
        "with it; give a CA certificate",
    );
  }
  const notBefore = new Date(cert.validFrom).getTime();
  const notAfter = new Date(cert.validTo).getTime();
  if (notBefore > now) {
    findings.cert.push(
      `is not valid yet (from ${new Date(notBefore).toISOString()}): hosts would refuse it; check the clock or ` +
        "give a certificate valid now",
    );
  } else if (notAfter <= now) {
    findings.cert.push(
      `expired on ${new Date(notAfter).toISOString()}: a cluster cannot be built on it; give a CA valid now`,
    );
  } else if (notAfter - now < EXPIRY_WARNING_DAYS * DAY_MS) {
    const days = Math.ceil((notAfter - now) / DAY_MS);
    findings.warnings.push(
      `expires on ${new Date(notAfter).toISOString()}, in ${days} day${days === 1 ? "" : "s"}: kubeadm does not ` +
        "renew CAs, and every certificate of the cluster stops working with it",
    );
  }
  const typeProblem = keyTypeProblem(cert.publicKey);
  if (typeProblem) findings.cert.push(`holds a public key that ${typeProblem}`);
}

function keyMatches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    // A key of another kind than the certificate's (EC key, RSA certificate).
    return false;
  }
}

/**
 * What is wrong with a supplied CA: `certPem` and `keyPem` as written or read from their files; `keyPem` may be
 * undefined when it cannot be seen (encrypted in a stack file read without Pulumi): then only the certificate is
 * checked. Messages never quote the key.
 */
export function suppliedCaProblems(certPem: string, keyPem: string | undefined, now = Date.now()): CaFindings {
  const findings: CaFindings = { cert: [], key: [], warnings: [] };
  const cert = readCertificate(certPem, findings);
  if (cert) checkCertificate(cert, now, findings);
  if (keyPem === undefined) return findings;
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    findings.key.push(
      "cannot be read as an unencrypted PEM private key (RSA, EC or PKCS#8): give the CA's ca.key without a " +
        "passphrase (kubeadm reads it unencrypted)",
    );
    return findings;
  }
  const typeProblem = keyTypeProblem(key);
  if (typeProblem) findings.key.push(typeProblem);
  else if (cert && !keyMatches(cert, key)) {
    findings.key.push("does not belong to the certificate (its public key differs): give the CA's own key");
  }
  return findings;
}
