import { strict as assert } from "assert";
import { validateConfig } from "../../config/validate";
import { configWith } from "./fixtures";

describe("validateConfig: reporting", () => {
  it("reports every problem in one pass, schema and cross-field alike", () => {
    const raw = {
      ...configWith((c) => {
        c.kubernetesVersion = "stable-1.11";
        c.workers![1].address = "192.0.2.11";
        c.podSubnet = "10.96.0.0/16";
        c.joinTokenTtl = "2 days";
        delete c.controlPlane[0].hostKey;
      }),
      podSubent: "10.244.0.0/16",
    };
    const result = validateConfig(raw);
    assert.equal(result.ok, false);
    const keys = result.ok ? [] : result.problems.map((p) => p.key);
    for (const key of [
      "pulumi-kubeadm:podSubent",
      "pulumi-kubeadm:kubernetesVersion",
      "pulumi-kubeadm:workers[1].address",
      "pulumi-kubeadm:podSubnet",
      "pulumi-kubeadm:joinTokenTtl",
      "pulumi-kubeadm:controlPlane[0]",
    ]) {
      assert.ok(keys.includes(key), `missing ${key} in ${keys.join(", ")}`);
    }
  });

  it("still runs the cross-field checks when a schema error is present elsewhere", () => {
    const raw = { ...configWith((c) => (c.podSubnet = "10.96.0.0/16")), schedulableControlPlane: "yes" };
    const result = validateConfig(raw);
    const keys = result.ok ? [] : result.problems.map((p) => p.key);
    assert.deepEqual(keys.sort(), ["pulumi-kubeadm:podSubnet", "pulumi-kubeadm:schedulableControlPlane"]);
  });
});
