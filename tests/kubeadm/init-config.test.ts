import { strict as assert } from "assert";
import type { ExtraArgs } from "../../config/schema";
import type { ClusterSpec } from "../../config/spec";
import { renderInitConfig } from "../../kubeadm/init-config";
import { generateBootstrapToken, generateCertificateKey } from "../../kubeadm/token";
import { clusterSpec, controlPlaneNode, workerNode } from "./cluster-spec-fixture";
import { byKind, parseDocs } from "./parsed-yaml";

function asSortedList(args: ExtraArgs) {
  return Object.entries(args)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

const CASES = [
  { version: "v1.35.4", apiVersion: "kubeadm.k8s.io/v1beta4", argsAsList: true },
  { version: "v1.30.14", apiVersion: "kubeadm.k8s.io/v1beta3", argsAsList: false },
];

for (const { version, apiVersion, argsAsList } of CASES) {
  describe(`renderInitConfig for ${version}`, () => {
    const spec = clusterSpec(version);
    const node = controlPlaneNode();
    const token = generateBootstrapToken();
    const docs = parseDocs(renderInitConfig(spec, node, { bootstrapToken: token, tokenTtl: spec.joinTokenTtl }));
    const init = byKind(docs, "InitConfiguration");
    const cluster = byKind(docs, "ClusterConfiguration");
    const expectArgs = (args: ExtraArgs) => (argsAsList ? asSortedList(args) : args);

    it(`declares ${apiVersion} for the kubeadm documents and orders Init, Cluster, Kubelet`, () => {
      assert.deepEqual(
        docs.map((d) => d.kind),
        ["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"],
      );
      assert.equal(init.apiVersion, apiVersion);
      assert.equal(cluster.apiVersion, apiVersion);
      assert.equal(docs[2].apiVersion, "kubelet.config.k8s.io/v1beta1");
      assert.equal(docs[2].cgroupDriver, "systemd");
    });

    it("carries the bootstrap token and its TTL with the usages a join needs", () => {
      assert.equal(init.bootstrapTokens.length, 1);
      assert.equal(init.bootstrapTokens[0].token, token);
      assert.equal(init.bootstrapTokens[0].ttl, spec.joinTokenTtl);
      assert.deepEqual([...init.bootstrapTokens[0].usages].sort(), ["authentication", "signing"]);
    });

    it("advertises the node's address on 6443 and registers it under its name with containerd", () => {
      assert.deepEqual(init.localAPIEndpoint, { advertiseAddress: node.advertiseAddress, bindPort: 6443 });
      assert.equal(init.nodeRegistration.name, node.name);
      assert.equal(init.nodeRegistration.criSocket, "unix:///var/run/containerd/containerd.sock");
      assert.equal(init.nodeRegistration.ignorePreflightErrors, undefined);
    });

    it("passes the kubelet args, adding node-ip so the kubelet registers the advertised address", () => {
      const expected = expectArgs({ ...spec.kubelet.extraArgs, "node-ip": node.advertiseAddress });
      assert.deepEqual(init.nodeRegistration.kubeletExtraArgs, expected);
    });

    it("keeps a node-ip the user set", () => {
      const custom = clusterSpec(version, { kubelet: { extraArgs: { "node-ip": "10.9.9.9" }, allowCgroupV1: false } });
      const [reInit] = parseDocs(renderInitConfig(custom, node, { bootstrapToken: token, tokenTtl: "1h" }));
      assert.deepEqual(reInit.nodeRegistration.kubeletExtraArgs, expectArgs({ "node-ip": "10.9.9.9" }));
    });

    it("on cgroup v1 hosts, only when allowed: the kubelet's failCgroupV1 off and SystemVerification ignored", () => {
      assert.equal("failCgroupV1" in docs[2], false);
      const allowed = clusterSpec(version, { kubelet: { ...spec.kubelet, allowCgroupV1: true } });
      const reDocs = parseDocs(renderInitConfig(allowed, node, { bootstrapToken: token, tokenTtl: "1h" }));
      assert.equal(reDocs[2].failCgroupV1, false);
      assert.deepEqual(byKind(reDocs, "InitConfiguration").nodeRegistration.ignorePreflightErrors, [
        "SystemVerification",
      ]);
    });

    it("sets kube-proxy's conntrack.maxPerCore only when the stack does", () => {
      assert.equal(docs.length, 3);
      const zero = clusterSpec(version, { kubeProxy: { conntrackMaxPerCore: 0 } });
      const reDocs = parseDocs(renderInitConfig(zero, node, { bootstrapToken: token, tokenTtl: "1h" }));
      const proxy = byKind(reDocs, "KubeProxyConfiguration");
      assert.equal(proxy.apiVersion, "kubeproxy.config.k8s.io/v1alpha1");
      assert.deepEqual(proxy.conntrack, { maxPerCore: 0 });
    });

    it("leaves taints out (kubeadm's default control-plane taint) unless the control plane is schedulable", () => {
      assert.equal("taints" in init.nodeRegistration, false);
      const schedulable = clusterSpec(version, { schedulableControlPlane: true });
      const [reInit] = parseDocs(renderInitConfig(schedulable, node, { bootstrapToken: token, tokenTtl: "1h" }));
      assert.deepEqual(reInit.nodeRegistration.taints, []);
    });

    it("maps the cluster-wide settings from the spec", () => {
      assert.equal(cluster.kubernetesVersion, spec.kubernetesVersion);
      assert.equal(cluster.controlPlaneEndpoint, spec.controlPlaneEndpoint);
      assert.equal(cluster.imageRepository, spec.imageRepository);
      assert.deepEqual(cluster.networking, {
        podSubnet: spec.podSubnet,
        serviceSubnet: spec.serviceSubnet,
        dnsDomain: spec.dnsDomain,
      });
      assert.deepEqual(cluster.apiServer.certSANs, spec.apiServer.certSANs);
    });

    it(`writes extraArgs as ${argsAsList ? "a name-sorted list of {name, value}" : "a map"}`, () => {
      assert.deepEqual(cluster.apiServer.extraArgs, expectArgs(spec.apiServer.extraArgs));
      assert.deepEqual(cluster.controllerManager.extraArgs, expectArgs(spec.controllerManager.extraArgs));
      assert.deepEqual(cluster.scheduler.extraArgs, expectArgs(spec.scheduler.extraArgs));
      assert.equal(Array.isArray(cluster.apiServer.extraArgs), argsAsList);
    });

    it("keeps values such as true, on, yes and 0755 strings for a YAML 1.1 reader", () => {
      const tricky = { a: "true", b: "on", c: "yes", d: "0755", e: "1:20", f: "null", g: "5" };
      const trickySpec = clusterSpec(version, { scheduler: { extraArgs: tricky } });
      const [, reCluster] = parseDocs(renderInitConfig(trickySpec, node, { bootstrapToken: token, tokenTtl: "1h" }));
      assert.deepEqual(reCluster.scheduler.extraArgs, expectArgs(tricky));
    });

    it("renders the same text whatever order the args were inserted in", () => {
      const reversed = (args: ExtraArgs) => Object.fromEntries(Object.entries(args).reverse());
      const shuffled: ClusterSpec = {
        ...spec,
        apiServer: { ...spec.apiServer, extraArgs: reversed(spec.apiServer.extraArgs) },
        kubelet: { ...spec.kubelet, extraArgs: reversed(spec.kubelet.extraArgs) },
      };
      const opts = { bootstrapToken: token, tokenTtl: "1h" };
      assert.equal(renderInitConfig(shuffled, node, opts), renderInitConfig(spec, node, opts));
    });

    it("omits empty extraArgs and certSANs instead of writing empty values", () => {
      const bare = clusterSpec(version, {
        apiServer: { extraArgs: {}, certSANs: [] },
        controllerManager: { extraArgs: {} },
        scheduler: { extraArgs: {} },
      });
      const [, reCluster] = parseDocs(renderInitConfig(bare, node, { bootstrapToken: token, tokenTtl: "1h" }));
      assert.deepEqual(reCluster.apiServer, {});
      assert.deepEqual(reCluster.scheduler, {});
    });

    it("includes the certificate key only when given", () => {
      assert.equal("certificateKey" in init, false);
      const key = generateCertificateKey();
      const [withKey] = parseDocs(
        renderInitConfig(spec, node, { bootstrapToken: token, tokenTtl: "1h", certificateKey: key, uploadCerts: true }),
      );
      assert.equal(withKey.certificateKey, key);
    });
  });
}

describe("renderInitConfig preconditions", () => {
  const spec = clusterSpec("v1.35.4");
  const token = generateBootstrapToken();

  it("refuses a worker node", () => {
    assert.throws(() => renderInitConfig(spec, workerNode(), { bootstrapToken: token, tokenTtl: "1h" }), /worker/);
  });

  it("refuses a malformed token without echoing it", () => {
    const bad = "ABCDEF.0123456789ABCDEF";
    assert.throws(
      () => renderInitConfig(spec, controlPlaneNode(), { bootstrapToken: bad, tokenTtl: "1h" }),
      (err: Error) => /bootstrap token/.test(err.message) && !err.message.includes(bad),
    );
  });

  it("demands a pre-generated certificate key when certificates are to be uploaded", () => {
    assert.throws(
      () => renderInitConfig(spec, controlPlaneNode(), { bootstrapToken: token, tokenTtl: "1h", uploadCerts: true }),
      /certificateKey/,
    );
  });

  it("refuses a certificate key that is not 64 hex characters, without echoing it", () => {
    const bad = "XYZ" + generateCertificateKey().slice(3);
    assert.throws(
      () => renderInitConfig(spec, controlPlaneNode(), { bootstrapToken: token, tokenTtl: "1h", certificateKey: bad }),
      (err: Error) => /64/.test(err.message) && !err.message.includes(bad),
    );
  });

  it("refuses a host name as the API server's advertise address", () => {
    const node = { ...controlPlaneNode(), advertiseAddress: "master01.example.org" };
    assert.throws(() => renderInitConfig(spec, node, { bootstrapToken: token, tokenTtl: "1h" }), /IP address/);
  });

  it("refuses extra arg names written with leading dashes", () => {
    const dashed = clusterSpec("v1.35.4", { scheduler: { extraArgs: { "--profiling": "false" } } });
    assert.throws(
      () => renderInitConfig(dashed, controlPlaneNode(), { bootstrapToken: token, tokenTtl: "1h" }),
      /--profiling/,
    );
  });
});
