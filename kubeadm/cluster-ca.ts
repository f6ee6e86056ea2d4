// Generates the cluster CA outside the cluster, so that its certificate (and the hash joins pin) is known
// before any host runs `kubeadm init`, survives re-creating the first control-plane node, and can be handed to
// kubeadm as /etc/kubernetes/pki/ca.{crt,key} ("Using existing ca certificate authority").
//
// The certificate imitates kubeadm's own CA (pkiutil.NewSelfSignedCACert): CN and a DNS SAN equal to the
// common name, critical basicConstraints CA:TRUE, critical keyUsage digitalSignature+keyEncipherment+keyCertSign,
// a subjectKeyIdentifier, a random positive serial. Keys are written as kubeadm writes them: PKCS#1
// "RSA PRIVATE KEY" or SEC1 "EC PRIVATE KEY".
//
// node-forge is required inside the functions: this module is copied into the ClusterCa dynamic provider by
// Pulumi's closure serializer, and a require at call time keeps the package out of the captured closure.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from "crypto";
import type * as Forge from "node-forge";

export type CaKeyType = "rsa" | "ecdsa";

export interface ClusterCaOptions {
  keyType: CaKeyType;
  /** Ignored for ECDSA, which always uses P-256 (what kubeadm's ECDSA-P256 algorithm uses). */
  rsaBits: number;
  validityDays: number;
  commonName?: string;
}

export interface ClusterCaMaterial {
  certPem: string;
  /** Secret. */
  keyPem: string;
}

export const DEFAULT_CA_COMMON_NAME = "kubernetes";
/** The CA is made on the machine running Pulumi; hosts whose clocks lag a little must still accept it. */
const CLOCK_SKEW_ALLOWANCE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export function generateClusterCa(options: ClusterCaOptions): ClusterCaMaterial {
  if (!Number.isInteger(options.validityDays) || options.validityDays < 1) {
    throw new Error(`CA validityDays must be a positive whole number, got ${options.validityDays}`);
  }
  const commonName = options.commonName ?? DEFAULT_CA_COMMON_NAME;
  const now = Date.now();
  const validity = {
    notBefore: new Date(now - CLOCK_SKEW_ALLOWANCE_MS),
    notAfter: new Date(now + options.validityDays * DAY_MS),
  };
  if (options.keyType === "rsa") {
    if (![2048, 3072, 4096].includes(options.rsaBits)) {
      throw new Error(`CA rsaBits must be 2048, 3072 or 4096, got ${options.rsaBits}`);
    }
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: options.rsaBits });
    return rsaCa(privateKey, commonName, validity);
  }
  if (options.keyType === "ecdsa") {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    return ecdsaCa(privateKey, commonName, validity);
  }
  throw new Error(`CA keyType must be "rsa" or "ecdsa", got "${String(options.keyType)}"`);
}

interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/**
 * 16 random bytes with the top two bits forced to 01: positive (no sign byte) and minimally encoded, which Go's
 * strict DER parser in kubeadm requires, while keeping 126 random bits.
 */
function randomSerialHex(): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x3f) | 0x40;
  return serial.toString("hex");
}

function rsaCa(privateKey: KeyObject, commonName: string, validity: Validity): ClusterCaMaterial {
  const forge: typeof Forge = require("node-forge");
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as Forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.rsa.setPublicKey(forgeKey.n, forgeKey.e);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
  const name = [{ name: "commonName", value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", critical: true, digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: "subjectKeyIdentifier" },
    { name: "subjectAltName", altNames: [{ type: 2, value: commonName }] },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecPublicKey: "1.2.840.10045.2.1",
  prime256v1: "1.2.840.10045.3.1.7",
  commonName: "2.5.4.3",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
};

/**
 * node-forge can only sign with RSA, so the ECDSA certificate is assembled as DER with forge's ASN.1 encoder
 * (RFC 5280 §4.1) and signed with Node's crypto, which emits the DER ECDSA-Sig-Value X.509 expects.
 */
function ecdsaCa(privateKey: KeyObject, commonName: string, validity: Validity): ClusterCaMaterial {
  const forge: typeof Forge = require("node-forge");
  const { asn1 } = forge;
  const U = asn1.Class.UNIVERSAL;
  const T = asn1.Type;
  const seq = (...items: Forge.asn1.Asn1[]) => asn1.create(U, T.SEQUENCE, true, items);
  const oid = (dotted: string) => asn1.create(U, T.OID, false, asn1.oidToDer(dotted).getBytes());
  const octets = (bytes: string) => asn1.create(U, T.OCTETSTRING, false, bytes);
  const bits = (bytes: string) => asn1.create(U, T.BITSTRING, false, "\x00" + bytes);
  const der = (node: Forge.asn1.Asn1) => asn1.toDer(node).getBytes();
  const time = (date: Date) =>
    // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    date.getUTCFullYear() < 2050
      ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(date))
      : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
  const extension = (id: string, critical: boolean, value: Forge.asn1.Asn1) =>
    seq(oid(id), ...(critical ? [asn1.create(U, T.BOOLEAN, false, "\xff")] : []), octets(der(value)));

  const jwk = privateKey.export({ format: "jwk" });
  const publicPoint =
    "\x04" +
    Buffer.from(jwk.x ?? "", "base64url").toString("binary") +
    Buffer.from(jwk.y ?? "", "base64url").toString("binary");
  const name = seq(asn1.create(U, T.SET, true, [seq(oid(OID.commonName), asn1.create(U, T.UTF8, false, commonName))]));
  const signatureAlgorithm = seq(oid(OID.ecdsaWithSha256));
  // digitalSignature (bit 0), keyEncipherment (bit 2), keyCertSign (bit 5) = 1010 0100; the last 2 bits unused.
  const keyUsageBits = asn1.create(U, T.BITSTRING, false, "\x02\xa4");
  const subjectKeyId = forge.md.sha1.create().update(publicPoint).digest().getBytes();

  const tbs = seq(
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(U, T.INTEGER, false, "\x02"), // v3
    ]),
    asn1.create(U, T.INTEGER, false, forge.util.hexToBytes(randomSerialHex())),
    signatureAlgorithm,
    name,
    seq(time(validity.notBefore), time(validity.notAfter)),
    name,
    seq(seq(oid(OID.ecPublicKey), oid(OID.prime256v1)), bits(publicPoint)),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [
      seq(
        extension(OID.basicConstraints, true, seq(asn1.create(U, T.BOOLEAN, false, "\xff"))),
        extension(OID.keyUsage, true, keyUsageBits),
        extension(OID.subjectKeyIdentifier, false, octets(subjectKeyId)),
        extension(
          OID.subjectAltName,
          false,
          seq(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, commonName)), // dNSName
        ),
      ),
    ]),
  );
  const tbsDer = der(tbs);
  const signature = sign("sha256", Buffer.from(tbsDer, "binary"), privateKey);
  const certDer = der(seq(tbs, signatureAlgorithm, bits(signature.toString("binary"))));
  const certPem = forge.pem.encode({ type: "CERTIFICATE", body: certDer }, { maxline: 64 });
  const keyPem = privateKey.export({ type: "sec1", format: "pem" }).toString();
  return { certPem, keyPem };
}
