// A lab stack's Kubernetes version (lab/stack-config.ts): the pinned one by default, or the previous one the lab also
// runs, each with the package repositories of its own minor, and nothing else.
import { strict as assert } from "assert";
import { validateConfig } from "../../config/validate";
import {
  demoStackConfig,
  kubernetesVersionConfig,
  LAB_MIRRORS,
  labKubernetesVersions,
  labMirrors,
} from "../../lab/stack-config";
import type { Inventory } from "../../lab/inventory";
import { pinnedVersions } from "../../tools/paths";

const { pinned, previous } = labKubernetesVersions();
const minor = (version: string) => version.replace(/^v(\d+\.\d+)\..*$/, "$1");

describe("lab stack config: the Kubernetes version", () => {
  it("the lab's versions are tools/versions.env's", () => {
    const versions = pinnedVersions();
    assert.equal(pinned, `v${versions.KUBERNETES_VERSION}`);
    assert.equal(previous, `v${versions.KUBERNETES_PREVIOUS_VERSION}`);
  });

  it("by default the pinned version's repositories, as before", () => {
    assert.deepEqual(LAB_MIRRORS, labMirrors(pinned));
    assert.equal(
      LAB_MIRRORS.packages.apt.kubernetesRepository,
      `https://mirrors.aliyun.com/kubernetes-new/core/stable/v${minor(pinned)}/deb/`,
    );
  });

  it("the previous version: its minor's repositories, the rest the same", () => {
    const mirrors = labMirrors(previous);
    assert.equal(
      mirrors.packages.apt.kubernetesRepository,
      `https://mirrors.aliyun.com/kubernetes-new/core/stable/v${minor(previous)}/deb/`,
    );
    assert.equal(
      mirrors.packages.yum.kubernetesRepository,
      `https://mirrors.aliyun.com/kubernetes-new/core/stable/v${minor(previous)}/rpm/`,
    );
    assert.deepEqual({ ...mirrors, packages: undefined }, { ...LAB_MIRRORS, packages: undefined });
    assert.deepEqual(labMirrors(previous.slice(1)), mirrors, "with or without the v");
  });

  it("a version the lab has no binaries and images for is refused", () => {
    assert.throws(
      () => labMirrors("v1.33.1"),
      /the lab runs Kubernetes v1\.\d+\.\d+ and v1\.\d+\.\d+ .*, not v1\.33\.1/,
    );
    assert.throws(() => kubernetesVersionConfig("1.35.3"), /not 1\.35\.3/);
  });

  it("the keys that move a stack to a version, as `pulumi config set --path` names them", () => {
    assert.deepEqual(kubernetesVersionConfig(previous.slice(1)), {
      kubernetesVersion: previous,
      "packages.apt.kubernetesRepository": labMirrors(previous).packages.apt.kubernetesRepository,
      "packages.yum.kubernetesRepository": labMirrors(previous).packages.yum.kubernetesRepository,
    });
  });

  it("the demo's stack file names a version only when asked, and the product accepts it without a warning", () => {
    const inventory = { name: "lab", registry: { address: "198.18.15.253" } } as unknown as Inventory;
    assert.equal(demoStackConfig(inventory, "p")["p:kubernetesVersion"], undefined);
    const config = demoStackConfig(inventory, "p", previous);
    assert.equal(config["p:kubernetesVersion"], previous);
    const withHosts = {
      ...Object.fromEntries(Object.entries(config).map(([key, value]) => [key.slice(2), value])),
      hostsFile: undefined,
      controlPlane: [{ name: "m1", address: "192.0.2.10" }],
    };
    const result = validateConfig(withHosts);
    const problems = [...(result.ok ? [] : result.problems), ...result.warnings];
    assert.deepEqual(
      problems.filter((p) => /kubernetesRepository|kubernetesVersion/.test(p.key)),
      [],
      JSON.stringify(problems),
    );
  });
});
