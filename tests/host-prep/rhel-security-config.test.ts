// hostPrep.selinux / hostPrep.firewalld: validated, defaulted to kubeadm's guide, and turned into the selinux and
// firewalld steps' inputs (the ports kubeadm documents for the node's role and the pod network's).
import { strict as assert } from "assert";
import { hostPrepSteps, firewalldPorts } from "../../components/host-prep/steps";
import { resolveConfig } from "../../config/resolve";
import { validateConfig } from "../../config/validate";
import { clusterSpec, controlPlaneNode, workerNode } from "../kubeadm/cluster-spec-fixture";
import { errorAt, validConfig } from "../config/fixtures";

describe("HostPrep: SELinux and firewalld settings", () => {
  it("defaults to permissive and openPorts; keep is accepted; anything else names the key and the choices", () => {
    const defaults = validateConfig(validConfig());
    assert.ok(defaults.ok);
    assert.deepEqual(resolveConfig(defaults.config).hostPrep, { selinux: "permissive", firewalld: "openPorts" });
    const kept = validateConfig({ ...validConfig(), hostPrep: { selinux: "keep", firewalld: "keep" } });
    assert.ok(kept.ok);
    assert.deepEqual(resolveConfig(kept.config).hostPrep, { selinux: "keep", firewalld: "keep" });

    const wrong = validateConfig({ ...validConfig(), hostPrep: { selinux: "disabled", firewalld: "open" } });
    assert.match(errorAt(wrong, "pulumi-kubeadm:hostPrep.selinux"), /permissive.*keep/);
    assert.match(errorAt(wrong, "pulumi-kubeadm:hostPrep.firewalld"), /openPorts.*keep/);
    const typo = validateConfig({ ...validConfig(), hostPrep: { selinx: "keep" } });
    assert.match(errorAt(typo, "pulumi-kubeadm:hostPrep.selinx"), /did you mean selinux\?/);
  });

  it("opens kubeadm's ports for the node's role, NodePorts on a schedulable control plane, and flannel's backend", () => {
    const spec = clusterSpec("v1.35.4");
    assert.deepEqual(firewalldPorts(spec, controlPlaneNode()), [
      "6443/tcp",
      "2379-2380/tcp",
      "10250/tcp",
      "10257/tcp",
      "10259/tcp",
      "8472/udp",
    ]);
    assert.deepEqual(firewalldPorts(spec, workerNode()), ["10250/tcp", "30000-32767/tcp", "8472/udp"]);
    const schedulable = clusterSpec("v1.35.4", { schedulableControlPlane: true });
    assert.ok(firewalldPorts(schedulable, controlPlaneNode()).includes("30000-32767/tcp"));
    const flannel = (backend: "vxlan" | "host-gw" | "wireguard", enabled = true) =>
      firewalldPorts(
        clusterSpec("v1.35.4", { addons: { ...spec.addons, flannel: { enabled, backend } } }),
        workerNode(),
      );
    assert.deepEqual(flannel("host-gw"), ["10250/tcp", "30000-32767/tcp"]);
    assert.deepEqual(flannel("wireguard"), ["10250/tcp", "30000-32767/tcp", "51820/udp"]);
    assert.deepEqual(flannel("vxlan", false), ["10250/tcp", "30000-32767/tcp"]);
  });

  it("runs the selinux and firewalld steps right after the preflight, with the settings and the node's address", () => {
    const spec = clusterSpec("v1.35.4", { hostPrep: { selinux: "keep", firewalld: "openPorts" } });
    const steps = hostPrepSteps(spec, workerNode());
    assert.deepEqual(
      steps.slice(0, 4).map((step) => step.name),
      ["preflight", "selinux", "firewalld", "swap-off"],
    );
    assert.deepEqual(steps[1].environment, { SELINUX_MODE: "keep" });
    assert.deepEqual(steps[2].environment, {
      FIREWALLD_MODE: "openPorts",
      FIREWALLD_PORTS: "10250/tcp 30000-32767/tcp 8472/udp",
      NODE_ADDRESS: "10.0.0.4",
    });
    assert.equal(steps[0].environment.SELINUX_MODE, "keep");
    assert.equal(steps[0].environment.FIREWALLD_PORTS, "10250/tcp 30000-32767/tcp 8472/udp");
  });
});
