import { strict as assert } from "assert";
import { createPublicKey, X509Certificate } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { caCertHash } from "../../kubeadm/ca-hash";
import { ClusterCa, clusterCaProvider, type ClusterCaInputs, type ClusterCaOutputs } from "../../providers/cluster-ca";

const requireFromString: (code: string) => Record<string, () => unknown> = require("require-from-string");

const RSA: ClusterCaInputs = { keyType: "rsa", rsaBits: 2048, validityDays: 365 };
const ECDSA: ClusterCaInputs = { keyType: "ecdsa", rsaBits: 2048, validityDays: 365 };
const UNKNOWN = pulumi.runtime.unknownValue;

function spki(pem: string): string {
  return createPublicKey(pem).export({ type: "spki", format: "der" }).toString("hex");
}

/** The base64 body of a PEM, which is what would leak if key material were captured. */
function pemBody(pem: string): string[] {
  return pem.split("\n").filter((line) => line !== "" && !line.startsWith("-----"));
}

describe("ClusterCa provider", () => {
  const created: Record<string, { id: string; outs: ClusterCaOutputs }> = {};

  before(async () => {
    for (const [name, inputs] of Object.entries({ rsa: RSA, ecdsa: ECDSA })) {
      const result = await clusterCaProvider.create(inputs);
      created[name] = { id: result.id, outs: result.outs as ClusterCaOutputs };
    }
  });

  for (const keyType of ["rsa", "ecdsa"] as const) {
    it(`create (${keyType}) returns a CA certificate, its matching key and the hash joins pin`, () => {
      const { id, outs } = created[keyType];
      const cert = new X509Certificate(outs.certPem);
      assert.ok(cert.ca, "certificate is a CA");
      assert.equal(cert.publicKey.asymmetricKeyType, keyType === "rsa" ? "rsa" : "ec");
      assert.equal(spki(outs.keyPem), spki(outs.certPem), "key matches certificate");
      assert.equal(outs.caCertHash, caCertHash(outs.certPem));
      assert.ok(id.length > 0);
      const daysValid = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
      assert.ok(Math.abs(daysValid - (keyType === "rsa" ? RSA : ECDSA).validityDays) < 1);
    });
  }

  it("create returns no undefined values (the engine rejects them) and echoes its inputs for later diffs", () => {
    for (const { outs } of Object.values(created)) {
      for (const [key, value] of Object.entries(outs)) assert.notEqual(value, undefined, key);
    }
    assert.deepEqual(
      {
        keyType: created.rsa.outs.keyType,
        rsaBits: created.rsa.outs.rsaBits,
        validityDays: created.rsa.outs.validityDays,
      },
      RSA,
    );
  });

  it("create makes a new CA each time (ids differ)", async () => {
    const again = await clusterCaProvider.create(ECDSA);
    assert.notEqual(again.id, created.ecdsa.id);
  });

  it("create refuses invalid inputs", async () => {
    await assert.rejects(clusterCaProvider.create({ ...RSA, rsaBits: 1024 }), /rsaBits/);
  });

  describe("diff", () => {
    const diff = (olds: ClusterCaOutputs, news: ClusterCaInputs) => clusterCaProvider.diff!("id", olds, news);

    it("reports nothing when the inputs are unchanged", async () => {
      const result = await diff(created.rsa.outs, RSA);
      assert.equal(result.changes, false);
      assert.deepEqual(result.replaces ?? [], []);
    });

    it("replaces the CA when the key type changes", async () => {
      const result = await diff(created.rsa.outs, ECDSA);
      assert.equal(result.changes, true);
      assert.deepEqual(result.replaces, ["keyType"]);
    });

    it("replaces an RSA CA when its size changes", async () => {
      const result = await diff(created.rsa.outs, { ...RSA, rsaBits: 4096 });
      assert.deepEqual(result.replaces, ["rsaBits"]);
    });

    it("ignores rsaBits for an ECDSA CA", async () => {
      const result = await diff(created.ecdsa.outs, { ...ECDSA, rsaBits: 4096 });
      assert.equal(result.changes, false);
    });

    it("never rotates a CA because validityDays changed", async () => {
      const result = await diff(created.rsa.outs, { ...RSA, validityDays: 10 });
      assert.equal(result.changes, false);
      assert.deepEqual(result.replaces ?? [], []);
    });

    it("treats a key type unknown during preview as a possible replacement", async () => {
      const result = await diff(created.rsa.outs, { ...RSA, keyType: UNKNOWN as "rsa" });
      assert.deepEqual(result.replaces, ["keyType"]);
    });
  });

  describe("check", () => {
    const check = (news: ClusterCaInputs) => clusterCaProvider.check!(RSA, news);

    it("passes valid inputs through", async () => {
      assert.deepEqual(await check(ECDSA), { inputs: ECDSA });
    });

    it("names each invalid input", async () => {
      const result = await check({ keyType: "dsa" as "rsa", rsaBits: 1, validityDays: -1 });
      assert.deepEqual(result.failures?.map((f) => f.property).sort(), ["keyType", "validityDays"]);
      const rsa = await check({ ...RSA, rsaBits: 1000 });
      assert.deepEqual(
        rsa.failures?.map((f) => f.property),
        ["rsaBits"],
      );
    });

    it("does not fail on values still unknown during preview", async () => {
      const result = await check({
        keyType: "rsa",
        rsaBits: UNKNOWN as unknown as number,
        validityDays: UNKNOWN as unknown as number,
      });
      assert.equal(result.failures, undefined);
    });
  });

  it("delete succeeds without touching anything (the CA lives only in state)", async () => {
    await clusterCaProvider.delete!(created.rsa.id, created.rsa.outs);
  });

  describe("serialization, as the engine stores the provider", () => {
    let serialized: pulumi.runtime.SerializedFunction;
    before(async () => {
      serialized = await pulumi.runtime.serializeFunction(() => clusterCaProvider, { allowSecrets: true });
    });

    it("captures no key material from CAs created before", () => {
      for (const { outs } of Object.values(created)) {
        for (const line of pemBody(outs.keyPem)) assert.equal(serialized.text.includes(line), false);
      }
      assert.equal(serialized.text.includes("PRIVATE KEY-----"), false);
      assert.equal(serialized.containsSecrets, false);
    });

    it("loads back, as the dynamic provider host does, and still creates a working CA", async () => {
      const provider = requireFromString(serialized.text)[serialized.exportName]() as typeof clusterCaProvider;
      for (const inputs of [RSA, ECDSA]) {
        const { outs } = await provider.create(inputs);
        const restored = outs as ClusterCaOutputs;
        assert.equal(spki(restored.keyPem), spki(restored.certPem));
        assert.equal(restored.caCertHash, caCertHash(restored.certPem));
      }
    });
  });
});

describe("ClusterCa resource (Pulumi mocks)", () => {
  const registered: pulumi.runtime.MockResourceArgs[] = [];
  let seenOptions: pulumi.CustomResourceOptions | undefined;

  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          registered.push(args);
          return { id: `${args.name}-id`, state: { ...args.inputs, certPem: "cert", keyPem: "key", caCertHash: "h" } };
        },
        call: (args) => args.inputs,
      },
      "pulumi-kubeadm",
      "test",
      false,
    );
  });

  it("registers the dynamic type pulumi-kubeadm:ClusterCa with a serialized provider and keyPem marked secret", async () => {
    const ca = new ClusterCa(
      "cluster-ca",
      { keyType: "ecdsa", rsaBits: 2048, validityDays: 3650 },
      {
        additionalSecretOutputs: ["certPem"],
        transformations: [
          (args) => {
            seenOptions = args.opts;
            return undefined;
          },
        ],
      },
    );
    const id = await new Promise((resolve) => ca.id.apply(resolve));
    assert.equal(id, "cluster-ca-id");

    const resource = registered.find((r) => r.name === "cluster-ca");
    assert.ok(resource, "resource registered");
    assert.equal(resource.type, "pulumi-nodejs:dynamic/pulumi-kubeadm:ClusterCa");
    assert.equal(typeof resource.inputs.__provider, "string");
    assert.match(resource.inputs.__provider, /exports\.handler/);
    assert.equal(resource.inputs.keyType, "ecdsa");

    // The user's own additionalSecretOutputs are kept alongside keyPem.
    assert.deepEqual([...(seenOptions?.additionalSecretOutputs ?? [])].sort(), ["certPem", "keyPem"]);
  });
});
