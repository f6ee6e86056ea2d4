import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { caCertHash } from "../../kubeadm/ca-hash";
import { generateClusterCa, type ClusterCaMaterial } from "../../kubeadm/cluster-ca";
import { openssl, opensslCaCertHash } from "./openssl";
import { requireKubeadm, run, tempDir } from "./real-kubeadm";

const DAY_MS = 24 * 60 * 60 * 1000;

function writeCa(dir: string, ca: ClusterCaMaterial): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, "ca.crt");
  const keyFile = path.join(dir, "ca.key");
  fs.writeFileSync(certFile, ca.certPem);
  fs.writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
  return { certFile, keyFile };
}

function opensslDate(certFile: string, which: "startdate" | "enddate"): Date {
  const line = openssl(["x509", "-noout", `-${which}`, "-in", certFile]).trim();
  return new Date(line.slice(line.indexOf("=") + 1));
}

const CASES = [
  {
    keyType: "rsa",
    rsaBits: 2048,
    keyHeader: "RSA PRIVATE KEY",
    algorithm: /rsaEncryption[\s\S]*Public-Key: \(2048 bit\)/,
  },
  { keyType: "rsa", rsaBits: 3072, keyHeader: "RSA PRIVATE KEY", algorithm: /Public-Key: \(3072 bit\)/ },
  { keyType: "ecdsa", rsaBits: 4096, keyHeader: "EC PRIVATE KEY", algorithm: /id-ecPublicKey[\s\S]*NIST CURVE: P-256/ },
] as const;

for (const { keyType, rsaBits, keyHeader, algorithm } of CASES) {
  describe(`generateClusterCa ${keyType}${keyType === "rsa" ? ` ${rsaBits}` : ""}`, () => {
    const validityDays = 3650;
    let dir: string;
    let cleanup: () => void;
    let files: { certFile: string; keyFile: string };
    let ca: ClusterCaMaterial;
    let madeAt: number;

    before(() => {
      ({ dir, cleanup } = tempDir("cluster-ca-"));
      madeAt = Date.now();
      ca = generateClusterCa({ keyType, rsaBits, validityDays });
      files = writeCa(dir, ca);
    });
    after(() => cleanup());

    it("is a CA named kubernetes with kubeadm's critical constraints and key usages", () => {
      const text = openssl(["x509", "-noout", "-text", "-in", files.certFile]);
      assert.match(text, /Subject: CN ?= ?kubernetes\n/);
      assert.match(text, /Issuer: CN ?= ?kubernetes\n/);
      assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment, Certificate Sign\n/);
      assert.match(text, /X509v3 Subject Key Identifier:/);
      assert.match(text, algorithm);
    });

    it("verifies against itself and its key matches it", () => {
      assert.match(openssl(["verify", "-CAfile", files.certFile, files.certFile]), /: OK/);
      const fromKey = openssl(["pkey", "-in", files.keyFile, "-pubout"]);
      const fromCert = openssl(["x509", "-noout", "-pubkey", "-in", files.certFile]);
      assert.equal(fromKey, fromCert);
    });

    it("writes the key in the PEM form kubeadm itself writes", () => {
      assert.ok(ca.keyPem.startsWith(`-----BEGIN ${keyHeader}-----\n`), ca.keyPem.split("\n")[0]);
    });

    it("is valid from (about) now for validityDays", () => {
      const notBefore = opensslDate(files.certFile, "startdate");
      const notAfter = opensslDate(files.certFile, "enddate");
      assert.ok(notBefore.getTime() <= madeAt, "usable immediately");
      assert.ok(madeAt - notBefore.getTime() <= 60 * 60 * 1000, "not backdated by more than an hour");
      const days = (notAfter.getTime() - madeAt) / DAY_MS;
      assert.ok(Math.abs(days - validityDays) < 1, `valid for ${days} days`);
    });

    it("has a random positive serial of at least 63 bits", () => {
      const serialOf = (certFile: string) =>
        BigInt("0x" + openssl(["x509", "-noout", "-serial", "-in", certFile]).trim().split("=")[1]);
      const serial = serialOf(files.certFile);
      assert.ok(serial >= 2n ** 62n, `serial ${serial.toString(16)} has fewer than 63 bits`);
      const otherDir = path.join(dir, "other");
      fs.mkdirSync(otherDir);
      try {
        const other = writeCa(otherDir, generateClusterCa({ keyType, rsaBits, validityDays }));
        assert.notEqual(serialOf(other.certFile), serial);
      } finally {
        fs.rmSync(otherDir, { recursive: true });
      }
    });

    it("hashes to the same value with our caCertHash and openssl", () => {
      assert.equal(caCertHash(ca.certPem), opensslCaCertHash(files.certFile));
    });

    it("is used by the real kubeadm `init phase certs all`, which signs the API server certificate with it", function () {
      const kubeadm = requireKubeadm(this, "1.35.4");
      const result = run(kubeadm, [
        "init",
        "phase",
        "certs",
        "all",
        "--cert-dir",
        dir,
        "--kubernetes-version",
        "v1.35.4",
        "--apiserver-advertise-address",
        "10.0.0.3",
      ]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /\[certs\] Using existing ca certificate authority/);
      const apiserverCert = path.join(dir, "apiserver.crt");
      assert.match(openssl(["verify", "-CAfile", files.certFile, apiserverCert]), /: OK/);
      // kubeadm must not have replaced our CA.
      assert.equal(fs.readFileSync(files.certFile, "utf8"), ca.certPem);
    });
  });
}

describe("generateClusterCa edge cases", () => {
  for (const keyType of ["rsa", "ecdsa"] as const) {
    it(`encodes an end date from 2050 on as GeneralizedTime that openssl reads back (${keyType})`, () => {
      const { dir, cleanup } = tempDir("cluster-ca-long-");
      try {
        const validityDays = 100 * 365;
        const files = writeCa(dir, generateClusterCa({ keyType, rsaBits: 2048, validityDays }));
        const expectedYear = new Date(Date.now() + validityDays * DAY_MS).getUTCFullYear();
        assert.equal(opensslDate(files.certFile, "enddate").getUTCFullYear(), expectedYear);
        assert.match(openssl(["verify", "-CAfile", files.certFile, files.certFile]), /: OK/);
      } finally {
        cleanup();
      }
    });
  }

  it("uses the given common name", () => {
    const ca = generateClusterCa({ keyType: "ecdsa", rsaBits: 2048, validityDays: 1, commonName: "etcd-ca" });
    assert.match(openssl(["x509", "-noout", "-subject"], ca.certPem), /CN ?= ?etcd-ca/);
  });

  it("refuses unusable options", () => {
    assert.throws(() => generateClusterCa({ keyType: "rsa", rsaBits: 1024, validityDays: 1 }), /rsaBits/);
    assert.throws(() => generateClusterCa({ keyType: "ecdsa", rsaBits: 2048, validityDays: 0 }), /validityDays/);
    assert.throws(() => generateClusterCa({ keyType: "ecdsa", rsaBits: 2048, validityDays: 1.5 }), /validityDays/);
    assert.throws(() => generateClusterCa({ keyType: "dsa" as "rsa", rsaBits: 2048, validityDays: 1 }), /keyType/);
  });
});
