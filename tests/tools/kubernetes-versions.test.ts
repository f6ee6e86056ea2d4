// The two Kubernetes versions the lab runs (tools/versions.env): the upgrade tests go from the previous one to the
// pinned one, so they are one minor apart, both supported by the product, and each version's pins (etcd, CoreDNS,
// pause) are the images that version's own kubeadm deploys, which the lab's registry must hold.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { KUBEADM_FACTS } from "../../config/kubeadm-facts";
import { pinnedVersions } from "../../tools/paths";
import { requireKubeadm } from "../kubeadm/real-kubeadm";

const versions = pinnedVersions();
const LAB_VERSIONS = [
  { version: versions.KUBERNETES_VERSION, etcd: versions.ETCD_VERSION, coredns: versions.COREDNS_VERSION },
  {
    version: versions.KUBERNETES_PREVIOUS_VERSION,
    etcd: versions.ETCD_PREVIOUS_VERSION,
    coredns: versions.COREDNS_PREVIOUS_VERSION,
  },
];
const minorOf = (version: string) => Number(version.split(".")[1]);

describe("the lab's two Kubernetes versions (tools/versions.env)", function () {
  this.timeout(60_000);

  it("the previous version is one minor below the pinned one, as kubeadm upgrades one minor at a time", () => {
    assert.match(versions.KUBERNETES_PREVIOUS_VERSION, /^1\.\d+\.\d+$/);
    assert.equal(minorOf(versions.KUBERNETES_VERSION) - minorOf(versions.KUBERNETES_PREVIOUS_VERSION), 1);
  });

  for (const { version, etcd, coredns } of LAB_VERSIONS) {
    it(`${version}: the product knows its kubeadm, whose etcd is the one pinned (${etcd})`, () => {
      const facts = KUBEADM_FACTS[minorOf(version)];
      assert.ok(facts, `config/kubeadm-facts.ts has no entry for 1.${minorOf(version)}`);
      assert.equal(facts.etcdVersion, `${etcd}-0`);
      assert.equal(facts.pauseTag, versions.PAUSE_VERSION);
    });

    it(`${version}: the set-up's kubeadm lists etcd ${etcd}, CoreDNS ${coredns} and pause ${versions.PAUSE_VERSION}`, function () {
      const kubeadm = requireKubeadm(this, version);
      const repository = "registry.aliyuncs.com/google_containers";
      const listed = execFileSync(
        kubeadm,
        ["config", "images", "list", "--kubernetes-version", `v${version}`, "--image-repository", repository],
        { encoding: "utf8" },
      );
      assert.deepEqual(listed.trim().split("\n"), [
        `${repository}/kube-apiserver:v${version}`,
        `${repository}/kube-controller-manager:v${version}`,
        `${repository}/kube-scheduler:v${version}`,
        `${repository}/kube-proxy:v${version}`,
        `${repository}/coredns:v${coredns}`,
        `${repository}/pause:${versions.PAUSE_VERSION}`,
        `${repository}/etcd:${etcd}-0`,
      ]);
    });
  }
});
