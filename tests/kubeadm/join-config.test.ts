import { strict as assert } from "assert";
import { createHash } from "crypto";
import { renderJoinConfig } from "../../kubeadm/join-config";
import { generateBootstrapToken, generateCertificateKey } from "../../kubeadm/token";
import { clusterSpec, controlPlaneNode, workerNode } from "./cluster-spec-fixture";
import { parseDocs } from "./parsed-yaml";

const someHash = `sha256:${createHash("sha256").update("some CA public key").digest("hex")}`;

for (const { version, v1beta4 } of [
  { version: "v1.35.4", v1beta4: true },
  { version: "v1.30.14", v1beta4: false },
]) {
  describe(`renderJoinConfig for ${version}`, () => {
    const spec = clusterSpec(version);
    const token = generateBootstrapToken();
    const endpoint = spec.controlPlaneEndpoint;

    function render(node = workerNode(), controlPlane?: { certificateKey: string }, s = spec) {
      const docs = parseDocs(renderJoinConfig(s, node, { endpoint, token, caCertHash: someHash, controlPlane }));
      assert.equal(docs.length, 1, "a join config is a single JoinConfiguration");
      assert.equal(docs[0].kind, "JoinConfiguration");
      assert.equal(docs[0].apiVersion, v1beta4 ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3");
      return docs[0];
    }

    it("discovers the cluster through the endpoint with the token, pinning the CA hash", () => {
      assert.deepEqual(render().discovery.bootstrapToken, {
        apiServerEndpoint: endpoint,
        token,
        caCertHashes: [someHash],
      });
    });

    it(`bounds discovery with ${v1beta4 ? "timeouts.discovery" : "discovery.timeout"}`, () => {
      const join = render();
      if (v1beta4) {
        assert.equal(typeof join.timeouts.discovery, "string");
        assert.equal("timeout" in join.discovery, false);
      } else {
        assert.equal(typeof join.discovery.timeout, "string");
        assert.equal("timeouts" in join, false);
      }
    });

    it("registers a worker under its name, untainted by us and without a controlPlane section", () => {
      const node = workerNode();
      const join = render(node);
      assert.equal(join.nodeRegistration.name, node.name);
      assert.equal(join.nodeRegistration.criSocket, "unix:///var/run/containerd/containerd.sock");
      assert.equal("taints" in join.nodeRegistration, false);
      assert.equal("controlPlane" in join, false);
      const kubeletArgs = join.nodeRegistration.kubeletExtraArgs;
      const nodeIp = v1beta4
        ? kubeletArgs.find((a: { name: string }) => a.name === "node-ip")?.value
        : kubeletArgs["node-ip"];
      assert.equal(nodeIp, node.advertiseAddress);
    });

    it("ignores only SystemVerification, and only when cgroup v1 hosts are allowed", () => {
      assert.equal("ignorePreflightErrors" in render().nodeRegistration, false);
      const allowed = clusterSpec(version, { kubelet: { ...spec.kubelet, allowCgroupV1: true } });
      assert.deepEqual(render(workerNode(), undefined, allowed).nodeRegistration.ignorePreflightErrors, [
        "SystemVerification",
      ]);
    });

    it("gives a control-plane join its own API endpoint and the certificate key", () => {
      const node = controlPlaneNode("master02", "10.0.0.5");
      const key = generateCertificateKey();
      const join = render(node, { certificateKey: key });
      assert.deepEqual(join.controlPlane, {
        localAPIEndpoint: { advertiseAddress: node.advertiseAddress, bindPort: 6443 },
        certificateKey: key,
      });
      assert.equal("taints" in join.nodeRegistration, false);
    });

    it("untaints a joining control-plane node when the control plane is schedulable, but never a worker", () => {
      const schedulable = clusterSpec(version, { schedulableControlPlane: true });
      const cp = render(
        controlPlaneNode("master02", "10.0.0.5"),
        { certificateKey: generateCertificateKey() },
        schedulable,
      );
      assert.deepEqual(cp.nodeRegistration.taints, []);
      assert.equal("taints" in render(workerNode(), undefined, schedulable).nodeRegistration, false);
    });
  });
}

describe("renderJoinConfig preconditions", () => {
  const spec = clusterSpec("v1.35.4");
  const token = generateBootstrapToken();
  const endpoint = spec.controlPlaneEndpoint;

  it("refuses a CA hash that is not sha256:<64 hex>", () => {
    for (const caCertHash of ["", someHash.slice(7), someHash.toUpperCase(), someHash + "00"]) {
      assert.throws(() => renderJoinConfig(spec, workerNode(), { endpoint, token, caCertHash }), /sha256/);
    }
  });

  it("refuses a control-plane node without a certificate key, and a worker with one", () => {
    assert.throws(() => renderJoinConfig(spec, controlPlaneNode(), { endpoint, token, caCertHash: someHash }));
    assert.throws(() =>
      renderJoinConfig(spec, workerNode(), {
        endpoint,
        token,
        caCertHash: someHash,
        controlPlane: { certificateKey: generateCertificateKey() },
      }),
    );
  });

  it("refuses a malformed token without echoing it", () => {
    const bad = "abcdef-0123456789abcdef";
    assert.throws(
      () => renderJoinConfig(spec, workerNode(), { endpoint, token: bad, caCertHash: someHash }),
      (err: Error) => !err.message.includes(bad),
    );
  });
});
