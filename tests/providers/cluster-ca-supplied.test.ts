// A CA the user brings (clusterCa.supplied in the spec) replaces the ClusterCa resource: its PEMs reach kubeadm init,
// the key as a secret, and the hash joins pin is the one openssl computes from the certificate's public key.
import { strict as assert } from "assert";
import * as fs from "fs";
import { KubeadmCluster } from "../../components/cluster";
import { installMocks, outputValue, specWith, type MockCluster } from "../addons/mocks";
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
    it(`hands a supplied ${keyType.toUpperCase()} CA to kubeadm init, creates no ClusterCa, and pins openssl's hash`, async () => {
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
        ours.filter((r) => r.type.includes("ClusterCa")).map((r) => r.name),
        [],
      );
      const init = ours.find((r) => r.name === `${name}-master01-init`);
      assert.ok(init, `no kubeadm init among ${ours.map((r) => r.name).join(", ")}`);
      assert.equal(init.inputs.caCertPem, supplied.certPem);
      assert.ok(isWireSecret(init.inputs.caKeyPem), "the CA key reaches the engine as a secret");
      assert.equal(init.inputs.caKeyPem.value, supplied.keyPem);
    });
  }

  it("still generates the CA as a ClusterCa resource when none is supplied", async () => {
    const cluster = new KubeadmCluster("generated", { spec: specWith(0, {}) });
    await outputValue(cluster.apiEndpoint);
    await mocks.settle();
    const generated = mocks.resources.filter((r) => r.name === "generated-ca");
    assert.equal(generated.length, 1);
    assert.match(generated[0].type, /ClusterCa$/);
  });
});
