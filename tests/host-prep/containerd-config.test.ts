// containerd's configuration as HostPrep renders it, parsed as containerd would read it (TOML).
import { strict as assert } from "assert";
import { parse } from "smol-toml";
import { containerdConfigV2, containerdConfigV3, hostsToml } from "../../components/host-prep/containerd-config";
import { clusterSpec } from "../kubeadm/cluster-spec-fixture";

type Table = Record<string, unknown>;
const at = (doc: Table, ...keys: string[]): Table =>
  keys.reduce<Table>((table, key) => {
    assert.ok(key in table, `missing [${keys.join(".")}] at ${key}`);
    return table[key] as Table;
  }, doc);

describe("containerd configuration", () => {
  const settings = clusterSpec("v1.35.4").containerd;

  it("1.x (version 2): pause image, systemd cgroups, certs.d mirrors and the CNI dirs flannel installs into", () => {
    const doc = parse(containerdConfigV2(settings)) as Table;
    assert.equal(doc.version, 2);
    const cri = at(doc, "plugins", "io.containerd.grpc.v1.cri");
    assert.equal(cri.sandbox_image, settings.sandboxImage);
    assert.equal("restrict_oom_score_adj" in cri, false);
    assert.deepEqual({ ...at(cri, "cni") }, { bin_dir: "/opt/cni/bin", conf_dir: "/etc/cni/net.d" });
    assert.equal(at(cri, "containerd", "runtimes", "runc", "options").SystemdCgroup, true);
    assert.equal(at(cri, "registry").config_path, "/etc/containerd/certs.d");
  });

  it("2.x (version 3): the same settings under the split CRI plugins", () => {
    const doc = parse(containerdConfigV3(settings)) as Table;
    assert.equal(doc.version, 3);
    assert.equal(at(doc, "plugins", "io.containerd.cri.v1.images", "pinned_images").sandbox, settings.sandboxImage);
    const runtime = at(doc, "plugins", "io.containerd.cri.v1.runtime");
    assert.equal("restrict_oom_score_adj" in runtime, false);
    assert.deepEqual({ ...at(runtime, "cni") }, { bin_dirs: ["/opt/cni/bin"], conf_dir: "/etc/cni/net.d" });
    assert.equal(at(runtime, "containerd", "runtimes", "runc", "options").SystemdCgroup, true);
    // The host's own registries (hosts.toml and their CAs under certs.d) apply to the cluster's pulls too.
    const images = at(doc, "plugins", "io.containerd.cri.v1.images");
    assert.equal(at(images, "registry").config_path, "/etc/containerd/certs.d");
  });

  it("restrictOomScoreAdj turns on the CRI plugin's restrict_oom_score_adj in both schemas", () => {
    const restricted = { ...settings, restrictOomScoreAdj: true };
    const v2 = parse(containerdConfigV2(restricted)) as Table;
    assert.equal(at(v2, "plugins", "io.containerd.grpc.v1.cri").restrict_oom_score_adj, true);
    const v3 = parse(containerdConfigV3(restricted)) as Table;
    assert.equal(at(v3, "plugins", "io.containerd.cri.v1.runtime").restrict_oom_score_adj, true);
  });

  it("a pause image with TOML metacharacters stays one string", () => {
    const odd = { ...settings, sandboxImage: 'reg.example/pause:3"\n[evil]' };
    const doc = parse(containerdConfigV2(odd)) as Table;
    assert.equal(at(doc, "plugins", "io.containerd.grpc.v1.cri").sandbox_image, odd.sandboxImage);
    assert.equal("evil" in doc, false);
  });

  it("hosts.toml: the upstream server, then each mirror able to pull and resolve", () => {
    const doc = parse(hostsToml("docker.io", ["http://198.18.0.251:5000"])) as Table;
    assert.equal(doc.server, "https://registry-1.docker.io");
    assert.deepEqual([...(at(doc, "host", "http://198.18.0.251:5000").capabilities as string[])], ["pull", "resolve"]);
  });
});
