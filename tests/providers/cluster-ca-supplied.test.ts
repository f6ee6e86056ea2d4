// A CA the user brings (clusterCa.supplied in the spec) replaces the generated one (tls.PrivateKey and
// tls.SelfSignedCert): its PEMs reach kubeadm init, the key as a secret, and the hash joins pin is the one openssl
// computes from the certificate's public key.
import { strict as assert } from "assert";
import * as fs from "fs";
import { KubeadmCluster } from "../../components/cluster";
import * as path from "path";
import { installMocks, mockCa, outputValue, specWith, type MockCluster } from "../addons/mocks";
import { opensslCaCertHash, opensslSelfSignedCa } from "../kubeadm/openssl";
import { tempDir } from "../kubeadm/real-kubeadm";

/** How a secret input reaches the engine: wrapped under Pulumi's signature key. */
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

function isWireSecret(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIGNATURE
  );
}

function opensslCaCertHashOfPem(certPem: string): string {
  const { dir, cleanup } = tempDir("mock-ca-");
  try {
    const certFile = path.join(dir, "ca.crt");
    fs.writeFileSync(certFile, certPem);
    return opensslCaCertHash(certFile);
  } finally {
    cleanup();
  }
}

describe("KubeadmCluster with a CA brought by the user (Pulumi mocks)", () => {
  let mocks: MockCluster;
  let dir: string;
  let cleanup: () => void;
  before(async () => {
    mocks = await installMocks({ preview: false });
    ({ dir, cleanup } = tempDir("supplied-ca-"));
  });
  after(() => cleanup());

  for (const keyType of ["rsa", "ecdsa"] as const) {
    it(`hands a supplied ${keyType.toUpperCase()} CA to kubeadm init, makes no CA, and pins openssl's hash`, async () => {
      const { certFile, keyFile } = opensslSelfSignedCa(dir, keyType);
      const supplied = { certPem: fs.readFileSync(certFile, "utf8"), keyPem: fs.readFileSync(keyFile, "utf8") };
      const base = specWith(1, {});
      const name = `byo-${keyType}`;
      const cluster = new KubeadmCluster(name, { spec: { ...base, clusterCa: { ...base.clusterCa, supplied } } });
      const hash = await outputValue(cluster.caCertHash);
      assert.equal(await outputValue(cluster.caCertPem), supplied.certPem);
      await mocks.settle();

      assert.equal(hash, opensslCaCertHash(certFile));
      const ours = mocks.resources.filter((r) => r.name.startsWith(`${name}-`));
      assert.deepEqual(
        ours.filter((r) => r.type.startsWith("tls:") || r.type.includes("ClusterCa")).map((r) => r.name),
        [],
      );
      const init = ours.find((r) => r.name === `${name}-master01-init`);
      assert.ok(init, `no kubeadm init among ${ours.map((r) => r.name).join(", ")}`);
      assert.equal(init.inputs.caCertPem, supplied.certPem);
      assert.ok(isWireSecret(init.inputs.caKeyPem), "the CA key reaches the engine as a secret");
      assert.equal(init.inputs.caKeyPem.value, supplied.keyPem);
    });
  }

  it("generates the CA with tls.PrivateKey and tls.SelfSignedCert when none is supplied, the key a secret", async () => {
    const cluster = new KubeadmCluster("generated", { spec: specWith(0, {}) });
    await outputValue(cluster.apiEndpoint);
    await mocks.settle();
    const ours = mocks.resources.filter((r) => r.name.startsWith("generated-"));
    assert.deepEqual(
      ours.filter((r) => r.type.startsWith("tls:") || r.type.includes("ClusterCa")).map((r) => `${r.type} ${r.name}`),
      ["tls:index/privateKey:PrivateKey generated-ca-key", "tls:index/selfSignedCert:SelfSignedCert generated-ca"],
    );
    const cert = ours.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert");
    assert.ok(isWireSecret(cert?.inputs.privateKeyPem), "the key reaches the certificate as a secret");
    const init = ours.find((r) => r.name === "generated-master01-init");
    assert.equal(init?.inputs.caCertPem, mockCa().certPem);
    assert.ok(isWireSecret(init?.inputs.caKeyPem), "the CA key reaches kubeadm init as a secret");
    assert.equal(await outputValue(cluster.caCertHash), opensslCaCertHashOfPem(mockCa().certPem));
  });
});
