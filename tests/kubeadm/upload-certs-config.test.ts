import { strict as assert } from "assert";
import { renderUploadCertsConfig } from "../../kubeadm/upload-certs-config";
import { generateCertificateKey } from "../../kubeadm/token";
import { clusterSpec, controlPlaneNode, workerNode } from "./cluster-spec-fixture";
import { byKind, parseDocs } from "./parsed-yaml";

for (const { version, apiVersion } of [
  { version: "v1.35.4", apiVersion: "kubeadm.k8s.io/v1beta4" },
  { version: "v1.30.14", apiVersion: "kubeadm.k8s.io/v1beta3" },
]) {
  describe(`renderUploadCertsConfig for ${version}`, () => {
    const spec = clusterSpec(version, {
      controlPlaneEndpoint: "192.0.2.100:6443",
      controlPlaneEndpointConfigured: true,
    });
    const key = generateCertificateKey();
    const docs = parseDocs(renderUploadCertsConfig(spec, controlPlaneNode("master02", "10.0.0.5"), key));

    it("carries the certificate key in InitConfiguration (never on a command line)", () => {
      const init = byKind(docs, "InitConfiguration");
      assert.equal(init.apiVersion, apiVersion);
      assert.equal(init.certificateKey, key);
      assert.deepEqual(init.localAPIEndpoint, { advertiseAddress: "10.0.0.5", bindPort: 6443 });
      assert.equal(init.nodeRegistration.name, "master02");
      assert.equal("bootstrapTokens" in init, false, "the phase mints no token");
    });

    it("states the cluster's version and endpoint, so kubeadm looks nothing up on the internet", () => {
      const cluster = byKind(docs, "ClusterConfiguration");
      assert.equal(cluster.kubernetesVersion, version);
      assert.equal(cluster.controlPlaneEndpoint, "192.0.2.100:6443");
    });
  });
}

describe("renderUploadCertsConfig preconditions", () => {
  const spec = clusterSpec("v1.35.4");
  it("refuses a worker, a host-name advertise address and a malformed key without echoing it", () => {
    assert.throws(() => renderUploadCertsConfig(spec, workerNode(), generateCertificateKey()), /control-plane/);
    const named = { ...controlPlaneNode(), advertiseAddress: "master01.example" };
    assert.throws(() => renderUploadCertsConfig(spec, named, generateCertificateKey()), /must be an IP/);
    const bad = "Z".repeat(64);
    assert.throws(
      () => renderUploadCertsConfig(spec, controlPlaneNode(), bad),
      (error: Error) => /64 lowercase hex/.test(error.message) && !error.message.includes(bad),
    );
  });
});
