// The cluster CA the program makes with the tls provider (components/cluster-ca.ts), made by the real engine and
// pulumi-resource-tls in a throwaway local stack, then judged by openssl and the real kubeadm: a CA shaped like
// kubeadm's own, its key in the form kubeadm writes, the hash joins pin, and a CA that stays put when validityDays
// changes.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { clusterCa } from "../../components/cluster-ca";
import { caCertHash } from "../../kubeadm/ca-hash";
import { pinnedVersions, pulumiPluginBinary } from "../../tools/paths";
import { clusterSpec } from "../kubeadm/cluster-spec-fixture";
import { openssl, opensslCaCertHash } from "../kubeadm/openssl";
import { requireKubeadm, run } from "../kubeadm/real-kubeadm";
import { engineEnv, pulumiCommand, TEST_PASSPHRASE } from "../support/engine";
import { requireSetUpTool } from "../support/set-up-tools";

const DAY_MS = 24 * 60 * 60 * 1000;

const CASES = [
  {
    name: "rsa2048",
    keyType: "rsa",
    rsaBits: 2048,
    validityDays: 3650,
    keyHeader: "RSA PRIVATE KEY",
    algorithm: /rsaEncryption[\s\S]*Public-Key: \(2048 bit\)/,
  },
  {
    name: "rsa3072",
    keyType: "rsa",
    rsaBits: 3072,
    validityDays: 365,
    keyHeader: "RSA PRIVATE KEY",
    algorithm: /Public-Key: \(3072 bit\)/,
  },
  {
    name: "ecdsa",
    keyType: "ecdsa",
    rsaBits: 4096,
    // An end date from 2050 on is a GeneralizedTime, which openssl must read back.
    validityDays: 100 * 365,
    keyHeader: "EC PRIVATE KEY",
    algorithm: /id-ecPublicKey[\s\S]*NIST CURVE: P-256/,
  },
] as const;

function opensslDate(certFile: string, which: "startdate" | "enddate"): Date {
  const line = openssl(["x509", "-noout", `-${which}`, "-in", certFile]).trim();
  return new Date(line.slice(line.indexOf("=") + 1));
}

describe("the cluster CA made by pulumi-resource-tls (real engine)", function () {
  this.timeout(300_000);
  let dir: string;
  let stack: Stack | undefined;
  let madeAt: number;
  /** Per case: the stack's outputs, written to files. */
  const made = new Map<
    string,
    { certPem: string; keyPem: string; certFile: string; keyFile: string; secret: boolean }
  >();
  /** validityDays given to the program, per case (the second run changes them). */
  const validity = new Map<string, number>(CASES.map((c) => [c.name, c.validityDays]));

  const program = async () => {
    const parent = new pulumi.ComponentResource("pk-test:index:Cas", "cas");
    const outputs: Record<string, pulumi.Output<string>> = {};
    for (const c of CASES) {
      const spec = clusterSpec("v1.35.4");
      spec.clusterCa = { keyType: c.keyType, rsaBits: c.rsaBits, validityDays: validity.get(c.name) as number };
      const ca = clusterCa(c.name, spec, parent);
      outputs[`${c.name}Cert`] = ca.certPem;
      outputs[`${c.name}Key`] = ca.keyPem;
    }
    return outputs;
  };

  before(async function () {
    const version = pinnedVersions().TLS_PROVIDER_VERSION;
    requireSetUpTool(this, `pulumi-resource-tls ${version}`, pulumiPluginBinary("tls", version));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-cluster-ca-"));
    const backend = path.join(dir, "state");
    fs.mkdirSync(backend);
    stack = await LocalWorkspace.createStack(
      { stackName: "ca", projectName: "pk-cluster-ca", program },
      { workDir: dir, envVars: engineEnv(backend, TEST_PASSPHRASE), pulumiCommand: await pulumiCommand() },
    );
    madeAt = Date.now();
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    for (const c of CASES) {
      const certPem = up.outputs[`${c.name}Cert`].value as string;
      const keyPem = up.outputs[`${c.name}Key`].value as string;
      const certFile = path.join(dir, `${c.name}.crt`);
      const keyFile = path.join(dir, `${c.name}.key`);
      fs.writeFileSync(certFile, certPem);
      fs.writeFileSync(keyFile, keyPem, { mode: 0o600 });
      made.set(c.name, { certPem, keyPem, certFile, keyFile, secret: up.outputs[`${c.name}Key`].secret });
    }
  });

  after(async () => {
    if (stack) {
      await stack.destroy().catch(() => undefined);
      await stack.workspace.removeStack(stack.name).catch(() => undefined);
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    const ca = () => made.get(c.name) as NonNullable<ReturnType<typeof made.get>>;

    describe(`${c.keyType}${c.keyType === "rsa" ? ` ${c.rsaBits}` : " P-256"}, ${c.validityDays} days`, () => {
      it("is a CA named kubernetes with kubeadm's critical constraints and key usages", () => {
        const text = openssl(["x509", "-noout", "-text", "-in", ca().certFile]);
        assert.match(text, /Subject: CN ?= ?kubernetes\n/);
        assert.match(text, /Issuer: CN ?= ?kubernetes\n/);
        assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
        assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment, Certificate Sign\n/);
        assert.match(text, /X509v3 Subject Key Identifier:/);
        assert.match(text, /DNS:kubernetes/);
        assert.match(text, c.algorithm);
      });

      it("verifies against itself, and its key (a secret output) matches it in the PEM form kubeadm writes", () => {
        assert.match(openssl(["verify", "-CAfile", ca().certFile, ca().certFile]), /: OK/);
        const fromKey = openssl(["pkey", "-in", ca().keyFile, "-pubout"]);
        const fromCert = openssl(["x509", "-noout", "-pubkey", "-in", ca().certFile]);
        assert.equal(fromKey, fromCert);
        assert.ok(ca().keyPem.startsWith(`-----BEGIN ${c.keyHeader}-----\n`), ca().keyPem.split("\n")[0]);
        assert.ok(ca().secret, "the key is a secret output");
      });

      it("is valid from (about) now for validityDays", () => {
        const notBefore = opensslDate(ca().certFile, "startdate");
        const notAfter = opensslDate(ca().certFile, "enddate");
        assert.ok(notBefore.getTime() <= Date.now(), "usable immediately");
        assert.ok(madeAt - notBefore.getTime() <= 60 * 60 * 1000, "not backdated by more than an hour");
        const days = (notAfter.getTime() - madeAt) / DAY_MS;
        assert.ok(Math.abs(days - c.validityDays) < 1, `valid for ${days} days`);
      });

      it("hashes to the same value with our caCertHash (node-forge) and openssl", () => {
        assert.equal(caCertHash(ca().certPem), opensslCaCertHash(ca().certFile));
      });

      it("is used by the real kubeadm `init phase certs all`, which signs the API server certificate with it", function () {
        const kubeadm = requireKubeadm(this, "1.35.4");
        const certDir = fs.mkdtempSync(path.join(dir, "pki-"));
        fs.copyFileSync(ca().certFile, path.join(certDir, "ca.crt"));
        fs.copyFileSync(ca().keyFile, path.join(certDir, "ca.key"));
        const result = run(kubeadm, [
          "init",
          "phase",
          "certs",
          "all",
          "--cert-dir",
          certDir,
          "--kubernetes-version",
          "v1.35.4",
          "--apiserver-advertise-address",
          "10.0.0.3",
        ]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /\[certs\] Using existing ca certificate authority/);
        assert.match(openssl(["verify", "-CAfile", ca().certFile, path.join(certDir, "apiserver.crt")]), /: OK/);
        assert.equal(fs.readFileSync(path.join(certDir, "ca.crt"), "utf8"), ca().certPem, "kubeadm kept our CA");
      });
    });
  }

  it("makes a different CA per stack resource, and keeps each when validityDays changes (it shapes new CAs only)", async () => {
    const serials = CASES.map((c) => openssl(["x509", "-noout", "-serial", "-in", made.get(c.name)?.certFile ?? ""]));
    assert.equal(new Set(serials).size, CASES.length, serials.join(""));
    for (const c of CASES) validity.set(c.name, c.validityDays + 30);
    const preview = await (stack as Stack).preview();
    assert.deepEqual(preview.changeSummary, { same: 1 + 2 * CASES.length + 1 }, JSON.stringify(preview.changeSummary));
  });
});
