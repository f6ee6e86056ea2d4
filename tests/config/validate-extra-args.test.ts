import { strict as assert } from "assert";
import { assertValid, errorAt, validateWith, warningAt } from "./fixtures";

describe("validateConfig: extraArgs", () => {
  it("rejects leading dashes and shows the bare flag name", () => {
    const result = validateWith((c) => {
      c.controllerManager = { extraArgs: { "--node-monitor-grace-period": "10s" } };
    });
    assert.match(
      errorAt(result, "pulumi-kubeadm:controllerManager.extraArgs.--node-monitor-grace-period"),
      /write 'node-monitor-grace-period', not '--node-monitor-grace-period'/,
    );
  });

  it("rejects names that are not lowercase flag names", () => {
    const result = validateWith((c) => {
      c.scheduler = { extraArgs: { Bind_Address: "0.0.0.0" } };
    });
    assert.match(
      errorAt(result, "pulumi-kubeadm:scheduler.extraArgs.Bind_Address"),
      /lowercase letters, digits and '-'/,
    );
  });

  it("rejects a flag written together with its value", () => {
    const result = validateWith((c) => {
      c.apiServer = { extraArgs: { "runtime-config=api/all=true": "" } };
    });
    assert.match(errorAt(result, 'pulumi-kubeadm:apiServer.extraArgs["runtime-config=api/all=true"]'), /holds a value/);
  });

  it("points flags kubeadm derives from other keys at those keys", () => {
    const result = validateWith((c) => {
      c.apiServer = { extraArgs: { "service-cluster-ip-range": "10.96.0.0/12" } };
      c.controllerManager = { extraArgs: { "cluster-cidr": "10.244.0.0/16" } };
      c.kubelet = { extraArgs: { "node-ip": "192.0.2.10" } };
    });
    assert.match(errorAt(result, "pulumi-kubeadm:apiServer.extraArgs.service-cluster-ip-range"), /serviceSubnet/);
    assert.match(errorAt(result, "pulumi-kubeadm:controllerManager.extraArgs.cluster-cidr"), /set podSubnet/);
    assert.match(errorAt(result, "pulumi-kubeadm:kubelet.extraArgs.node-ip"), /advertiseAddress/);
  });

  it("rejects the seed's removed HPA flag, saying when it went and what to do", () => {
    const result = validateWith((c) => {
      c.controllerManager!.extraArgs!["horizontal-pod-autoscaler-use-rest-clients"] = "true";
    });
    const message = errorAt(
      result,
      "pulumi-kubeadm:controllerManager.extraArgs.horizontal-pod-autoscaler-use-rest-clients",
    );
    assert.match(message, /removed in Kubernetes 1\.22/);
    assert.match(message, /metrics-server/);
  });

  it("only warns about the seed's fail-swap-on, because the program turns swap off", () => {
    const result = validateWith((c) => {
      c.kubelet = { extraArgs: { "fail-swap-on": "false" } };
    });
    assertValid(result);
    assert.match(warningAt(result, "pulumi-kubeadm:kubelet.extraArgs.fail-swap-on"), /turns swap off/);
  });
});
