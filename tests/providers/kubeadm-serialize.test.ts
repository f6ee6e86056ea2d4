// The kubeadm providers as the engine stores them (serialized stand-ins that load the provider from the source,
// providers/shared/provider-from-source.ts) and the components as a program registers them (Pulumi mocks).
import { strict as assert } from "assert";
import { join } from "path";
import * as pulumi from "@pulumi/pulumi";
import { kubeadmInitProvider, masterNode } from "../../providers/master-node";
import { workerJoin } from "../../providers/worker-join";
import { controlPlaneJoin } from "../../providers/control-plane-join";
import { ControlPlaneJoin } from "../../components/control-plane-join";
import { CP1, CP2, cpJoinInputs, cpJoinOutputs, HA_SPEC } from "./control-plane-fakes";
import { readResetScript } from "../../providers/node/reset";
import { KubeadmStepError } from "../../providers/shared/step-errors";
import { MasterNode } from "../../components/master-node";
import { WorkerJoin } from "../../components/worker-join";
import {
  CA,
  CA_HASH,
  initInputs,
  initOutputs,
  joinInputs,
  joinOutputs,
  MASTER,
  SPEC,
  WORKER,
} from "./kubeadm-fixtures";

const requireFromString = require("require-from-string") as (
  code: string,
  filename: string,
) => {
  handler: () => pulumi.dynamic.ResourceProvider;
};

describe("kubeadm providers, as the engine stores them", () => {
  for (const [name, provider] of [
    ["master-node", masterNode.stored],
    ["worker-join", workerJoin.stored],
    ["control-plane-join", controlPlaneJoin.stored],
  ] as const) {
    describe(name, () => {
      const text = provider.text;

      it("holds no key material, token, kubeconfig or reset script, and none of the project's code", () => {
        assert.ok(text.length < 2048, `${text.length} bytes`);
        assert.ok(text.includes(`"providers/${name}"`), "the module path");
        assert.ok(!text.includes("PRIVATE KEY-----"));
        assert.ok(!text.includes("is_kube_line"), "the reset script travels as an input, not as code");
        assert.doesNotMatch(text, /require\("ssh2|withSession|kubeadm join --/);
      });

      it("loads back as the dynamic-provider process loads it, and decides diffs with the source's code", async () => {
        const loaded = requireFromString(text, join(__dirname, "..", "..", "__provider.js")).handler();
        for (const method of ["check", "diff", "create", "update", "read", "delete"] as const) {
          assert.equal(typeof loaded[method], "function", method);
        }
        const otherHash = `sha256:${"0".repeat(64)}`;
        const diff =
          name === "master-node"
            ? await loaded.diff!("id", initOutputs(), { ...initInputs(), node: { ...initInputs().node, name: "x" } })
            : name === "worker-join"
              ? await loaded.diff!("id", joinOutputs(), { ...joinInputs(), caCertHash: otherHash })
              : await loaded.diff!("id", cpJoinOutputs(), { ...cpJoinInputs(), caCertHash: otherHash });
        assert.equal(diff.changes, true);
        assert.equal(diff.deleteBeforeReplace, true);
      });
    });
  }

  it("raises step errors that keep their message once serialized (the engine shows only error.message)", async () => {
    const raising = {
      error: () => new KubeadmStepError("w1 (root@h:22)", "kubeadm join", "kubeadm join failed on w1"),
    };
    const serialized = await pulumi.runtime.serializeFunction(() => raising, { allowSecrets: true });
    const loaded = (
      requireFromString(serialized.text, join(__dirname, "..", "..", "__provider.js")) as unknown as {
        handler: () => typeof raising;
      }
    ).handler();
    const error = loaded.error();
    assert.ok(error instanceof Error);
    assert.equal(error.message, "kubeadm join failed on w1");
    assert.equal(`${error}`, "KubeadmStepError: kubeadm join failed on w1");
  });

  it("check rejects a worker given to kubeadm init, and an advertiseAddress kubeadm would reject", async () => {
    const worker = await kubeadmInitProvider.check!(initInputs(), {
      ...initInputs(),
      node: { ...initInputs().node, role: "worker" },
    });
    assert.match(worker.failures![0].reason, /control-plane node/);
    const host = await kubeadmInitProvider.check!(initInputs(), {
      ...initInputs(),
      node: { ...initInputs().node, advertiseAddress: "master.example.org" },
    });
    assert.match(host.failures![0].reason, /must be an IP address/);
    const ok = await kubeadmInitProvider.check!(initInputs(), initInputs());
    assert.equal(ok.failures, undefined);
  });
});

/** Pulumi's wire form of a secret value (what mocks receive): asserts it is one and unwraps it. */
function secretValue(wire: Record<string, unknown>) {
  assert.equal(wire[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig, "sent as a secret");
  return wire.value as Record<string, string> & string;
}

describe("MasterNode and WorkerJoin components (Pulumi mocks)", () => {
  const registered: pulumi.runtime.MockResourceArgs[] = [];
  const options = new Map<string, pulumi.CustomResourceOptions>();
  let master: MasterNode;
  let worker: WorkerJoin;
  let controlPlane: ControlPlaneJoin;

  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          registered.push(args);
          const state =
            args.type === "pulumi-nodejs:dynamic/pulumi-kubeadm:KubeadmInit"
              ? {
                  ...args.inputs,
                  apiEndpoint: "10.0.0.3:6443",
                  kubeconfig: "kc",
                  caCertHash: CA_HASH,
                  bootstrapToken: "t",
                }
              : { ...args.inputs, nodeName: args.inputs.node?.name ?? "worker01", joinedAt: "now" };
          return { id: `${args.name}-id`, state };
        },
        call: (args) => args.inputs,
      },
      "pulumi-kubeadm",
      "test",
      false,
    );
    const record: pulumi.ResourceTransformation = (args) => {
      options.set(args.name, args.opts as pulumi.CustomResourceOptions);
      return undefined;
    };
    master = new MasterNode(
      "master01",
      { spec: SPEC, node: MASTER, ca: { certPem: CA.certPem, keyPem: CA.keyPem } },
      { transformations: [record] },
    );
    worker = new WorkerJoin(
      "worker01",
      {
        spec: SPEC,
        node: WORKER,
        controlPlane: MASTER,
        apiEndpoint: master.apiEndpoint,
        caCertHash: master.caCertHash,
      },
      { transformations: [record] },
    );
    controlPlane = new ControlPlaneJoin(
      "cp2",
      {
        spec: HA_SPEC,
        node: CP2,
        controlPlanes: [CP1],
        apiEndpoint: HA_SPEC.controlPlaneEndpoint,
        caCertHash: master.caCertHash,
        certificatesAfter: master.certificates,
      },
      { transformations: [record] },
    );
    await new Promise((resolve) => worker.joinedAt.apply(resolve));
    await new Promise((resolve) => controlPlane.joinedAt.apply(resolve));
  });

  it("registers KubeadmControlPlaneJoin with the other control planes and its connection as secrets", () => {
    const join = registered.find((r) => r.type === "pulumi-nodejs:dynamic/pulumi-kubeadm:KubeadmControlPlaneJoin");
    assert.ok(join);
    assert.equal(join.name, "cp2-control-plane-join");
    assert.equal(join.inputs.apiEndpoint, "192.0.2.100:6443");
    assert.equal(join.inputs.cluster.controlPlaneEndpointConfigured, true);
    const others = secretValue(join.inputs.controlPlanes) as unknown as { name: string; advertiseAddress: string }[];
    assert.deepEqual(
      others.map((cp) => [cp.name, cp.advertiseAddress]),
      [["cp1", "10.0.1.1"]],
    );
    assert.equal(secretValue(join.inputs.connection).host, "10.0.1.2");
    assert.deepEqual([...(options.get("cp2-control-plane-join")?.additionalSecretOutputs ?? [])].sort(), [
      "connection",
      "controlPlanes",
    ]);
  });

  it("registers KubeadmInit with the node's settings, the reset script and secret outputs", async () => {
    const init = registered.find((r) => r.type === "pulumi-nodejs:dynamic/pulumi-kubeadm:KubeadmInit");
    assert.ok(init);
    assert.equal(init.name, "master01-init");
    assert.equal(init.inputs.node.name, "master01");
    assert.equal(init.inputs.node.connection, undefined, "the connection travels separately");
    assert.equal(init.inputs.cluster.controlPlane, undefined, "no host lists in the cluster settings");
    assert.equal(init.inputs.resetScript, readResetScript());
    assert.equal(secretValue(init.inputs.connection).host, "10.0.0.3");
    assert.equal(secretValue(init.inputs.caKeyPem), CA.keyPem);
    assert.deepEqual([...(options.get("master01-init")?.additionalSecretOutputs ?? [])].sort(), [
      "bootstrapToken",
      "caKeyPem",
      "connection",
      "kubeconfig",
    ]);
    assert.equal(await pulumi.isSecret(master.kubeconfig), true);
    assert.equal(await pulumi.isSecret(master.bootstrapToken), true);
    assert.equal(await new Promise((resolve) => master.caCertHash.apply(resolve)), CA_HASH);
  });

  it("registers KubeadmJoin with the master's outputs as inputs (so the engine orders them)", () => {
    const join = registered.find((r) => r.type === "pulumi-nodejs:dynamic/pulumi-kubeadm:KubeadmJoin");
    assert.ok(join);
    assert.equal(join.name, "worker01-join");
    assert.equal(join.inputs.apiEndpoint, "10.0.0.3:6443");
    assert.equal(join.inputs.caCertHash, CA_HASH);
    assert.equal(secretValue(join.inputs.controlPlane).name, "master01");
    assert.equal(secretValue(join.inputs.connection).host, "10.0.0.4");
    assert.deepEqual([...(options.get("worker01-join")?.additionalSecretOutputs ?? [])].sort(), [
      "connection",
      "controlPlane",
    ]);
  });

  it("stores a provider of a few KB with each kubeadm resource, not the project's code", () => {
    const dynamic = registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
    assert.ok(dynamic.length >= 3, dynamic.map((r) => r.type).join(", "));
    for (const resource of dynamic) {
      const stored = resource.inputs.__provider as string;
      assert.ok(stored.length < 4096, `${resource.name}: ${stored.length} bytes`);
    }
  });

  it("uses the component types the README names", () => {
    const types = registered.map((r) => r.type);
    assert.ok(types.includes("pulumi-kubeadm:index:MasterNode"));
    assert.ok(types.includes("pulumi-kubeadm:index:WorkerJoin"));
    assert.ok(types.includes("pulumi-kubeadm:index:ControlPlaneJoin"));
  });
});
