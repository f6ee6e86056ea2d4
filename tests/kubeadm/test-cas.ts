// CAs made for a test and thrown away: RSA ones shaped at will with node-forge (CA or not, keyUsage, dates, size),
// ECDSA ones by openssl (node-forge cannot sign with EC keys). Nothing here is committed but the code.
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as forge from "node-forge";
import * as path from "path";
import { openssl } from "./openssl";
import { tempDir } from "./real-kubeadm";

export interface TestCa {
  certPem: string;
  keyPem: string;
}

export interface RsaCaOptions {
  bits?: number;
  /** basicConstraints CA:TRUE; true by default. */
  ca?: boolean;
  /** keyCertSign in keyUsage; true by default. */
  keyCertSign?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A self-signed RSA certificate (a CA unless told otherwise), valid from a day ago for a year by default. */
export function rsaTestCa(options: RsaCaOptions = {}): TestCa {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: options.bits ?? 2048 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.rsa.setPublicKey(key.n, key.e);
  cert.serialNumber = "01";
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 365 * DAY_MS);
  const name = [{ name: "commonName", value: "test-ca" }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: "basicConstraints", cA: options.ca ?? true, critical: true },
    {
      name: "keyUsage",
      critical: true,
      digitalSignature: true,
      keyEncipherment: true,
      keyCertSign: options.keyCertSign ?? true,
    },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** A self-signed ECDSA CA made by openssl on `curve` (P-256, P-384, P-521...), valid for a day. */
export function ecdsaTestCa(curve: string): TestCa {
  const { dir, cleanup } = tempDir("test-ca-");
  try {
    const keyFile = path.join(dir, "ca.key");
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${curve}`, "-out", keyFile]);
    const certPem = openssl(["req", "-x509", "-new", "-key", keyFile, "-subj", "/CN=test-ca", "-days", "1"]);
    return { certPem, keyPem: fs.readFileSync(keyFile, "utf8") };
  } finally {
    cleanup();
  }
}
