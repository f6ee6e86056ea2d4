// openssl as an independent judge of the certificates and hashes this project produces.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "./real-kubeadm";

export function openssl(args: string[], input?: string): string {
  const result = run("openssl", args, input);
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
  return result.stdout;
}

/** kubeadm.md §4's portable pipeline: SPKI of the certificate, as DER, hashed. */
export function opensslCaCertHash(certFile: string): string {
  const publicKeyPem = openssl(["x509", "-pubkey", "-noout", "-in", certFile]);
  const result = run("sh", ["-c", "openssl pkey -pubin -outform der | openssl dgst -sha256 -hex"], publicKeyPem);
  if (result.status !== 0) throw new Error(`openssl pkey/dgst failed: ${result.stderr}`);
  const match = /([0-9a-f]{64})\s*$/.exec(result.stdout);
  if (!match) throw new Error(`unexpected openssl dgst output: ${result.stdout}`);
  return `sha256:${match[1]}`;
}

/** A self-signed CA made by openssl itself, so hash tests do not depend on our own CA generator. */
export function opensslSelfSignedCa(dir: string, keyType: "rsa" | "ecdsa"): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, `${keyType}-openssl.crt`);
  const keyFile = path.join(dir, `${keyType}-openssl.key`);
  const newkey = keyType === "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
  openssl([
    "req",
    "-x509",
    ...newkey,
    "-nodes",
    "-subj",
    "/CN=openssl-ca",
    "-days",
    "1",
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ]);
  if (!fs.existsSync(certFile)) throw new Error("openssl did not write the certificate");
  return { certFile, keyFile };
}

/**
 * A CA as kubeadm makes its own (CN kubernetes, CA:TRUE, digitalSignature + keyEncipherment + keyCertSign), made by
 * openssl in a fresh directory: the fixture CA of provider tests, independent of the CA the program makes.
 */
export function opensslClusterCa(keyType: "rsa" | "ecdsa" = "ecdsa", days = 30): { certPem: string; keyPem: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-openssl-ca-"));
  try {
    const keyFile = path.join(dir, "ca.key");
    const certFile = path.join(dir, "ca.crt");
    const genkey =
      keyType === "rsa"
        ? ["genrsa", "-traditional", "-out", keyFile, "2048"]
        : ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyFile];
    openssl(genkey);
    openssl([
      "req",
      "-x509",
      "-new",
      "-key",
      keyFile,
      "-subj",
      "/CN=kubernetes",
      "-days",
      String(days),
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
      "-out",
      certFile,
    ]);
    return { certPem: fs.readFileSync(certFile, "utf8"), keyPem: fs.readFileSync(keyFile, "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
