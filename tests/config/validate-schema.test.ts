import { strict as assert } from "assert";
import { validateConfig } from "../../config/validate";
import { assertValid, configWith, errorAt, validConfig } from "./fixtures";

describe("validateConfig: schema problems", () => {
  it("accepts the dev-like base config without errors or warnings", () => {
    const result = validateConfig(validConfig());
    assertValid(result);
    assert.deepEqual(result.warnings, []);
  });

  it("suggests the closest known key for a misspelt top-level key", () => {
    const result = validateConfig({ ...validConfig(), podSubent: "10.244.0.0/16" });
    assert.match(errorAt(result, "pulumi-kubeadm:podSubent"), /did you mean podSubnet\?/);
  });

  it("suggests the closest key inside a host and names the host's index", () => {
    const raw = validConfig() as unknown as { workers: Array<Record<string, unknown>> };
    raw.workers[1].adress = raw.workers[1].address;
    const result = validateConfig(raw);
    assert.match(errorAt(result, "pulumi-kubeadm:workers[1].adress"), /did you mean address\?/);
  });

  it("lists the known keys when nothing is close to the unknown one", () => {
    const result = validateConfig({ ...validConfig(), networking: {} });
    const message = errorAt(result, "pulumi-kubeadm:networking");
    assert.match(message, /podSubnet/);
    assert.doesNotMatch(message, /did you mean/);
  });

  it("tells to drop the quotes when a boolean was written as a string", () => {
    const result = validateConfig({ ...validConfig(), schedulableControlPlane: "true" });
    const message = errorAt(result, "pulumi-kubeadm:schedulableControlPlane");
    assert.match(message, /true or false/);
    assert.match(message, /without quotes/);
  });

  it("tells to quote a version that YAML read as a number", () => {
    const result = validateConfig({ ...validConfig(), kubernetesVersion: 1.35 });
    assert.match(errorAt(result, "pulumi-kubeadm:kubernetesVersion"), /quote it/);
  });

  it("reports a missing required host field with the schema's description", () => {
    const raw = validConfig() as unknown as { workers: Array<Record<string, unknown>> };
    delete raw.workers[0].address;
    const result = validateConfig(raw);
    assert.match(errorAt(result, "pulumi-kubeadm:workers[0].address"), /is required \(address used for SSH/);
  });

  it("reports a port out of range with the limit", () => {
    const result = validateConfig(
      configWith((c) => {
        c.ssh = { ...c.ssh, port: 70000 };
      }),
    );
    assert.match(errorAt(result, "pulumi-kubeadm:ssh.port"), /at most 65535/);
  });

  it("lists the allowed values of an enum", () => {
    const raw = { ...validConfig(), addons: { flannel: { backend: "udp" } } };
    const message = errorAt(validateConfig(raw), "pulumi-kubeadm:addons.flannel.backend");
    assert.match(message, /"vxlan", "host-gw", "wireguard"/);
  });

  it("lists the allowed values of a literal union", () => {
    const raw = { ...validConfig(), clusterCa: { rsaBits: 1024 } };
    assert.match(errorAt(validateConfig(raw), "pulumi-kubeadm:clusterCa.rsaBits"), /2048, 3072, 4096/);
  });

  it("quotes map keys that contain dots in the key path", () => {
    const raw = validConfig() as unknown as { containerd: { registryMirrors: Record<string, unknown> } };
    raw.containerd.registryMirrors["docker.io"] = "https://mirror.example";
    const message = errorAt(validateConfig(raw), 'pulumi-kubeadm:containerd.registryMirrors["docker.io"]');
    assert.match(message, /must be a list/);
  });

  it("rejects a config that is not a map", () => {
    const result = validateConfig(["controlPlane"]);
    assert.match(errorAt(result, "pulumi-kubeadm:"), /map/);
  });
});
