// Bring your own CA: clusterCa.certPem/keyPem or certFile/keyFile, refused with a message naming the key when it is
// not a CA kubeadm can use, accepted (and read into the spec) when it is. Test CAs are made here, never committed.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { loadFromPulumiConfig } from "../../config/load";
import type { ValidateOptions } from "../../config/validate";
import { resolveConfig } from "../../config/resolve";
import { secretKeysPresent } from "../../config/secret-keys";
import { SECRET_PLACEHOLDER } from "../../config/secret-keys";
import type { ClusterConfigInput } from "../../config/schema";
import { ecdsaTestCa, rsaTestCa, type TestCa } from "../kubeadm/test-cas";
import { assertValid, errorAt, tempDir, validConfig, validateWith, warningAt, writeFile } from "./fixtures";

const CERT_PEM = "pulumi-kubeadm:clusterCa.certPem";
const KEY_PEM = "pulumi-kubeadm:clusterCa.keyPem";
const CERT_FILE = "pulumi-kubeadm:clusterCa.certFile";
const KEY_FILE = "pulumi-kubeadm:clusterCa.keyFile";
const DAY_MS = 24 * 60 * 60 * 1000;

/** As the engine answers for a stack whose SSH key and clusterCa.keyPem were set with --secret. */
const keyEncrypted: ValidateOptions = {
  isSecret: (path) => path[0] === "ssh" || (path[0] === "clusterCa" && path[1] === "keyPem"),
};
/** Only the SSH settings were set with --secret. */
const sshEncrypted = (path: readonly (string | number)[]) => path[0] === "ssh";

function withCa(clusterCa: NonNullable<ClusterConfigInput["clusterCa"]>, options: ValidateOptions = keyEncrypted) {
  return validateWith((c) => {
    c.clusterCa = clusterCa;
  }, options);
}

function withPems(ca: TestCa, options?: ValidateOptions) {
  return withCa({ certPem: ca.certPem, keyPem: ca.keyPem }, options);
}

describe("validateConfig: clusterCa brought by the user", () => {
  let rsa: TestCa;
  before(() => {
    rsa = rsaTestCa();
  });

  it("accepts a valid RSA CA given as PEMs, and the spec carries it", () => {
    const result = withPems(rsa);
    assertValid(result);
    assert.deepEqual(result.warnings, []);
    if (!result.ok) return;
    assert.deepEqual(resolveConfig(result.config).clusterCa.supplied, { certPem: rsa.certPem, keyPem: rsa.keyPem });
    assert.deepEqual(
      secretKeysPresent(result.config).filter((key) => key.includes("clusterCa")),
      [KEY_PEM],
    );
  });

  for (const curve of ["P-256", "P-384"]) {
    it(`accepts a valid ECDSA ${curve} CA made by openssl`, () => {
      assertValid(withPems(ecdsaTestCa(curve)));
    });
  }

  it("leaves the CA to be generated when none is given", () => {
    const result = withCa({});
    assertValid(result);
    if (result.ok) assert.equal(resolveConfig(result.config).clusterCa.supplied, undefined);
  });

  it("refuses a certificate without its key, and a key without its certificate", () => {
    assert.match(errorAt(withCa({ certPem: rsa.certPem }), CERT_PEM), /is set without clusterCa\.keyPem.*or neither/);
    assert.match(errorAt(withCa({ keyPem: rsa.keyPem }), KEY_PEM), /is set without clusterCa\.certPem/);
    assert.match(errorAt(withCa({ certFile: "ca.crt" }), CERT_FILE), /is set without clusterCa\.keyFile/);
    assert.match(errorAt(withCa({ keyFile: "ca.key" }), KEY_FILE), /is set without clusterCa\.certFile/);
  });

  it("refuses the PEM and file forms together", () => {
    const result = withCa({ certPem: rsa.certPem, keyPem: rsa.keyPem, certFile: "ca.crt", keyFile: "ca.key" });
    assert.match(errorAt(result, CERT_FILE), /cannot be combined with clusterCa\.certPem or clusterCa\.keyPem/);
    assert.match(errorAt(result, KEY_FILE), /either as certPem and keyPem .* or as certFile and keyFile/);
  });

  it("refuses a key stored in plain text, naming the --secret command", () => {
    const message = errorAt(withPems(rsa, { isSecret: sshEncrypted }), KEY_PEM);
    assert.match(message, /is stored in plain text in the stack config/);
    assert.ok(message.includes(`pulumi config set --secret --path 'clusterCa.keyPem' -- "$(cat ca.key)"`), message);
    assert.ok(!message.includes("PRIVATE KEY"), "the message must not quote the key");
  });

  it("stops the preview when the engine says the key was not set with --secret, naming the key and the command", () => {
    const config = { ...validConfig(), clusterCa: { certPem: rsa.certPem, keyPem: rsa.keyPem } };
    const allConfig = Object.fromEntries(
      Object.entries(config).map(([key, value]) => [
        `pulumi-kubeadm:${key}`,
        typeof value === "string" ? value : JSON.stringify(value),
      ]),
    );
    const load = (secretKeys: string[]) =>
      loadFromPulumiConfig({ allConfig, isSecretKey: (key) => secretKeys.includes(key), warn: () => undefined });
    assert.throws(
      () => load(["pulumi-kubeadm:ssh"]),
      (error: Error) =>
        pulumi.RunError.isInstance(error) &&
        error.message.includes(`${KEY_PEM}: is stored in plain text`) &&
        error.message.includes("pulumi config set --secret --path 'clusterCa.keyPem'") &&
        !error.message.includes("PRIVATE KEY"),
    );
    const loaded = load(["pulumi-kubeadm:ssh", "pulumi-kubeadm:clusterCa"]);
    assert.equal(loaded.spec.clusterCa.supplied?.certPem, rsa.certPem);
  });

  it("checks the certificate alone when the key is encrypted in a stack file read without Pulumi", () => {
    const options: ValidateOptions = { isSecret: (path) => path[0] === "ssh" || path[1] === "keyPem" };
    assertValid(withCa({ certPem: rsa.certPem, keyPem: SECRET_PLACEHOLDER }, options));
    const notCa = rsaTestCa({ ca: false });
    assert.match(
      errorAt(withCa({ certPem: notCa.certPem, keyPem: SECRET_PLACEHOLDER }, options), CERT_PEM),
      /not a CA/,
    );
  });

  it("refuses text that is no certificate, and a key that cannot be read", () => {
    assert.match(errorAt(withCa({ certPem: "hello", keyPem: rsa.keyPem }), CERT_PEM), /holds no PEM certificate/);
    const badKey = errorAt(withCa({ certPem: rsa.certPem, keyPem: "not a key" }), KEY_PEM);
    assert.match(badKey, /cannot be read as an unencrypted PEM private key/);
  });

  it("refuses a certificate that is not a CA", () => {
    const message = errorAt(withPems(rsaTestCa({ ca: false })), CERT_PEM);
    assert.match(message, /is not a CA certificate \(basicConstraints CA:TRUE is missing\)/);
  });

  it("refuses a CA whose keyUsage leaves out keyCertSign", () => {
    assert.match(errorAt(withPems(rsaTestCa({ keyCertSign: false })), CERT_PEM), /keyUsage without keyCertSign/);
  });

  it("refuses a key that is not the certificate's, RSA or ECDSA", () => {
    const other = rsaTestCa();
    assert.match(
      errorAt(withCa({ certPem: rsa.certPem, keyPem: other.keyPem }), KEY_PEM),
      /does not belong to the certificate/,
    );
    const ec = ecdsaTestCa("P-256");
    assert.match(
      errorAt(withCa({ certPem: rsa.certPem, keyPem: ec.keyPem }), KEY_PEM),
      /does not belong to the certificate/,
    );
  });

  it("refuses an expired CA and one not valid yet", () => {
    const expired = rsaTestCa({
      notBefore: new Date(Date.now() - 10 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    });
    assert.match(errorAt(withPems(expired), CERT_PEM), /expired on .*give a CA valid now/);
    const future = rsaTestCa({
      notBefore: new Date(Date.now() + DAY_MS),
      notAfter: new Date(Date.now() + 400 * DAY_MS),
    });
    assert.match(errorAt(withPems(future), CERT_PEM), /is not valid yet/);
  });

  it("warns about a CA that expires within 30 days, and accepts it", () => {
    const soon = rsaTestCa({ notAfter: new Date(Date.now() + 10 * DAY_MS) });
    const result = withPems(soon);
    assertValid(result);
    assert.match(warningAt(result, CERT_PEM), /expires on .*in 10 days: kubeadm does not renew CAs/);
  });

  it("refuses RSA below 2048 bits and curves kubeadm does not offer", () => {
    const small = withPems(rsaTestCa({ bits: 1024 }));
    assert.match(errorAt(small, CERT_PEM), /RSA key of 1024 bits: kubeadm takes RSA of 2048 bits or more/);
    assert.match(errorAt(small, KEY_PEM), /RSA key of 1024 bits/);
    assert.match(errorAt(withPems(ecdsaTestCa("P-521")), CERT_PEM), /ECDSA key on secp521r1: kubeadm takes/);
  });

  it("warns that the generation settings do nothing beside a supplied CA", () => {
    const result = withCa({ certPem: rsa.certPem, keyPem: rsa.keyPem, keyType: "ecdsa" });
    assertValid(result);
    assert.match(warningAt(result, "pulumi-kubeadm:clusterCa.keyType"), /has no effect; remove it/);
  });

  describe("as files", () => {
    let dir: string;
    before(() => {
      dir = tempDir();
      writeFile(dir, "ca.crt", rsa.certPem);
      writeFile(dir, "ca.key", rsa.keyPem);
      writeFile(dir, "other.key", rsaTestCa().keyPem);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads them relative to the project directory into the spec, the key needing no --secret", () => {
      const result = withCa({ certFile: "ca.crt", keyFile: "ca.key" }, { isSecret: sshEncrypted, baseDir: dir });
      assertValid(result);
      if (!result.ok) return;
      assert.deepEqual(resolveConfig(result.config, { baseDir: dir }).clusterCa.supplied, {
        certPem: rsa.certPem,
        keyPem: rsa.keyPem,
      });
      assert.ok(secretKeysPresent(result.config).includes(KEY_FILE));
    });

    it("refuses a missing file and a key file that is not the certificate's, naming the key", () => {
      const missing = withCa({ certFile: "nope.crt", keyFile: "ca.key" }, { baseDir: dir });
      assert.match(errorAt(missing, CERT_FILE), /nope\.crt does not exist: give the path of the CA's certificate file/);
      const mismatched = withCa({ certFile: "ca.crt", keyFile: "other.key" }, { baseDir: dir });
      assert.match(errorAt(mismatched, KEY_FILE), /does not belong to the certificate/);
    });
  });
});
