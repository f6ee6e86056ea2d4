import { strict as assert } from "assert";
import { assertNoErrorAt, assertValid, errorAt, validateWith, warningAt } from "./fixtures";

describe("validateConfig: addons.rookCeph", () => {
  it("accepts bare device names and /dev paths, and rejects other paths", () => {
    const result = validateWith((c) => {
      c.addons = {
        rookCeph: { devices: ["sdb", "nvme0n1", "/dev/disk/by-id/wwn-0x5000", "/mnt/disk1", "/dev/../etc"] },
      };
    });
    for (const index of [0, 1, 2]) assertNoErrorAt(result, `pulumi-kubeadm:addons.rookCeph.devices[${index}]`);
    assert.match(errorAt(result, "pulumi-kubeadm:addons.rookCeph.devices[3]"), /bare device name such as sdb/);
    assert.match(errorAt(result, "pulumi-kubeadm:addons.rookCeph.devices[4]"), /not a block device/);
  });

  it("rejects enabling it when no node can run pods", () => {
    const result = validateWith((c) => {
      c.workers = [];
      c.schedulableControlPlane = false;
      c.addons = { rookCeph: { enabled: true } };
    });
    assert.match(
      errorAt(result, "pulumi-kubeadm:addons.rookCeph.enabled"),
      /add workers or set schedulableControlPlane/,
    );
  });

  it("warns with fewer than three schedulable nodes", () => {
    const result = validateWith((c) => {
      c.workers = c.workers!.slice(0, 1);
      c.schedulableControlPlane = false;
      c.addons = { rookCeph: { enabled: true } };
    });
    assertValid(result);
    assert.match(warningAt(result, "pulumi-kubeadm:addons.rookCeph.enabled"), /only 1 node/);
  });
});
