// The real kubeadm is the judge of the configs we render: `kubeadm config validate` decodes strictly
// (unknown fields, wrong shapes and unknown API versions are errors) and runs kubeadm's own validation.
import { strict as assert } from "assert";
import { createHash } from "crypto";
import { parseAllDocuments } from "yaml";
import type { ClusterSpec } from "../../config/spec";
import { renderInitConfig } from "../../kubeadm/init-config";
import { renderJoinConfig } from "../../kubeadm/join-config";
import { generateBootstrapToken, generateCertificateKey } from "../../kubeadm/token";
import { renderUploadCertsConfig } from "../../kubeadm/upload-certs-config";
import { clusterSpec, controlPlaneNode, workerNode } from "./cluster-spec-fixture";
import { kubeadmValidate, requireKubeadm, type CommandResult } from "./real-kubeadm";

const someHash = `sha256:${createHash("sha256").update("a CA public key").digest("hex")}`;

function initFor(spec: ClusterSpec, extra: { certificateKey?: string } = {}): string {
  return renderInitConfig(spec, controlPlaneNode(), {
    bootstrapToken: generateBootstrapToken(),
    tokenTtl: spec.joinTokenTtl,
    ...extra,
  });
}

/** Edits one document of a rendered config, keeping the rest as rendered. */
function editDocument(config: string, kind: string, edit: (doc: ReturnType<typeof parseAllDocuments>[number]) => void) {
  const docs = parseAllDocuments(config, { version: "1.1" });
  const target = docs.find((d) => d.get("kind") === kind);
  assert.ok(target, `no ${kind} in the config`);
  edit(target);
  return docs.map((d) => d.toString()).join("---\n");
}

function assertAccepted(result: CommandResult) {
  assert.equal(result.status, 0, `kubeadm rejected the config:\n${result.stderr}`);
}

function assertRejected(result: CommandResult, why: RegExp) {
  assert.notEqual(result.status, 0, "kubeadm accepted a config it should have rejected");
  assert.match(result.stderr, why);
}

// kubeadm only deploys control planes of its own minor and the one before, so each API version is checked
// with the kubeadm of a release that uses it.
const CASES = [
  { version: "v1.35.4", kubeadm: "1.35.4" },
  { version: "v1.30.14", kubeadm: "1.30.14" },
];

for (const { version, kubeadm: kubeadmVersion } of CASES) {
  describe(`kubeadm ${kubeadmVersion} config validate on configs for ${version}`, function () {
    let kubeadm: string;
    before(function () {
      kubeadm = requireKubeadm(this, kubeadmVersion);
    });
    const spec = clusterSpec(version);

    it("accepts the init config, printing just `ok`", () => {
      const result = kubeadmValidate(kubeadm, initFor(spec));
      assertAccepted(result);
      assert.equal(result.stdout, "ok\n");
      assert.equal(result.stderr, "", "no deprecation or other warnings");
    });

    it("accepts an init config for a schedulable control plane with a certificate key", () => {
      const schedulable = clusterSpec(version, { schedulableControlPlane: true });
      assertAccepted(kubeadmValidate(kubeadm, initFor(schedulable, { certificateKey: generateCertificateKey() })));
    });

    it("accepts a worker join config and a control-plane join config", () => {
      const opts = { endpoint: spec.controlPlaneEndpoint, token: generateBootstrapToken(), caCertHash: someHash };
      assertAccepted(kubeadmValidate(kubeadm, renderJoinConfig(spec, workerNode(), opts)));
      const controlPlane = { certificateKey: generateCertificateKey() };
      const cpNode = controlPlaneNode("master02", "10.0.0.5");
      assertAccepted(kubeadmValidate(kubeadm, renderJoinConfig(spec, cpNode, { ...opts, controlPlane })));
    });

    it("accepts an HA init config (controlPlaneEndpoint, certificate key for --upload-certs)", () => {
      const ha = clusterSpec(version, {
        controlPlaneEndpoint: "192.0.2.100:6443",
        controlPlaneEndpointConfigured: true,
      });
      const config = initFor(ha, { certificateKey: generateCertificateKey() });
      assertAccepted(kubeadmValidate(kubeadm, config));
    });

    it("accepts a control-plane join config on another node, with its own localAPIEndpoint", () => {
      const ha = clusterSpec(version, {
        controlPlaneEndpoint: "192.0.2.100:6443",
        controlPlaneEndpointConfigured: true,
      });
      const config = renderJoinConfig(ha, controlPlaneNode("master03", "10.0.0.6"), {
        endpoint: ha.controlPlaneEndpoint,
        token: generateBootstrapToken(),
        caCertHash: someHash,
        controlPlane: { certificateKey: generateCertificateKey() },
      });
      assertAccepted(kubeadmValidate(kubeadm, config));
    });

    it("accepts the config `kubeadm init phase upload-certs` reads the certificate key from", () => {
      const ha = clusterSpec(version, {
        controlPlaneEndpoint: "192.0.2.100:6443",
        controlPlaneEndpointConfigured: true,
      });
      const config = renderUploadCertsConfig(ha, controlPlaneNode("master02", "10.0.0.5"), generateCertificateKey());
      assertAccepted(kubeadmValidate(kubeadm, config));
    });

    it("rejects a certificate key kubeadm could not decode (so the check means something)", () => {
      const config = editDocument(
        initFor(spec, { certificateKey: generateCertificateKey() }),
        "InitConfiguration",
        (doc) => {
          doc.set("certificateKey", "not-hex");
        },
      );
      assertRejected(kubeadmValidate(kubeadm, config), /certificateKey|certificate key/);
    });

    it("accepts many generated tokens, and rejects one outside kubeadm's format (so the check means something)", () => {
      const tokens = Array.from({ length: 50 }, generateBootstrapToken);
      const withTokens = (list: string[]) =>
        editDocument(initFor(spec), "InitConfiguration", (doc) => {
          doc.setIn(
            ["bootstrapTokens"],
            list.map((token) => ({ token, ttl: "1h" })),
          );
        });
      assertAccepted(kubeadmValidate(kubeadm, withTokens(tokens)));
      assertRejected(kubeadmValidate(kubeadm, withTokens(["abcdef.0123456789ABCDEF"])), /was not of the form/);
    });

    it("reads arg values such as on, yes and 0755 as strings, which they would not be unquoted", () => {
      const tricky = clusterSpec(version, { scheduler: { extraArgs: { a: "on", b: "yes", c: "0755", d: "true" } } });
      const config = initFor(tricky);
      assertAccepted(kubeadmValidate(kubeadm, config));
      const unquoted = config.replace(/"on"/, "on");
      assert.notEqual(unquoted, config);
      assertRejected(kubeadmValidate(kubeadm, unquoted), /cannot unmarshal bool into .*extraArgs/);
    });

    it("rejects an unknown field", () => {
      const config = editDocument(initFor(spec), "ClusterConfiguration", (doc) => {
        doc.set("notAKubeadmField", "x");
      });
      assertRejected(kubeadmValidate(kubeadm, config), /unknown field "notAKubeadmField"/);
    });
  });
}

describe("kubeadm rejects extraArgs in the other API version's shape", () => {
  it("v1beta4 (kubeadm 1.35.4) refuses a map", function () {
    const kubeadm = requireKubeadm(this, "1.35.4");
    const config = editDocument(initFor(clusterSpec("v1.35.4")), "ClusterConfiguration", (doc) => {
      doc.setIn(["apiServer", "extraArgs"], { "runtime-config": "api/all=true" });
    });
    assertRejected(kubeadmValidate(kubeadm, config), /cannot unmarshal object into .*extraArgs/);
  });

  it("v1beta3 (kubeadm 1.30.14) refuses a list", function () {
    const kubeadm = requireKubeadm(this, "1.30.14");
    const config = editDocument(initFor(clusterSpec("v1.30.14")), "ClusterConfiguration", (doc) => {
      doc.setIn(["apiServer", "extraArgs"], [{ name: "runtime-config", value: "api/all=true" }]);
    });
    assertRejected(kubeadmValidate(kubeadm, config), /cannot unmarshal array into .*extraArgs/);
  });
});
