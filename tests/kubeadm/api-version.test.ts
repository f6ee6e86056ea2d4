import { strict as assert } from "assert";
import { kubeadmApiVersion, parseKubernetesMinor } from "../../kubeadm/api-version";

describe("kubeadmApiVersion", () => {
  it("uses v1beta4 from 1.31 on, where kubeadm turned extraArgs into lists", () => {
    for (const version of ["v1.31.0", "v1.35.4", "1.36.1", "v1.40.0-rc.1"]) {
      assert.equal(kubeadmApiVersion(version), "kubeadm.k8s.io/v1beta4", version);
    }
  });

  it("uses v1beta3 before 1.31", () => {
    for (const version of ["v1.30.14", "1.29.0", "v1.22.0", "v1.30.0-alpha.1"]) {
      assert.equal(kubeadmApiVersion(version), "kubeadm.k8s.io/v1beta3", version);
    }
  });

  it("rejects strings that are not versions, naming the input", () => {
    assert.throws(() => kubeadmApiVersion("latest"), /"latest"/);
    assert.throws(() => kubeadmApiVersion("v1"), /"v1"/);
    assert.throws(() => kubeadmApiVersion("v2.0.0"), /major/);
  });

  it("reads major and minor without being fooled by a two-digit minor", () => {
    assert.deepEqual(parseKubernetesMinor("v1.9.3"), { major: 1, minor: 9 });
    assert.deepEqual(parseKubernetesMinor("1.31"), { major: 1, minor: 31 });
  });
});
