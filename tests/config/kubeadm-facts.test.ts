// The versions the program accepts are those whose kubeadm was read: the recorded facts must be what each
// release's source says, and the sandbox image containerd is given must be the pause image that kubeadm deploys.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KUBEADM_FACTS, supportedMinors } from "../../config/kubeadm-facts";
import { resolveConfig } from "../../config/resolve";
import { readKubeadmFacts, readKubeadmFactsFromProxy } from "../../tools/read-kubeadm-facts";
import { pinnedVersions } from "../../tools/paths";
import { requireKubeadm } from "../kubeadm/real-kubeadm";

function kubeadmImages(context: Mocha.Context, version: string, repository: string): string[] {
  const binary = requireKubeadm(context, version);
  const images = execFileSync(
    binary,
    ["config", "images", "list", "--kubernetes-version", `v${version}`, "--image-repository", repository],
    { encoding: "utf8" },
  );
  return images.trim().split("\n");
}

function specFor(kubernetesVersion: string, imageRepository = "registry.k8s.io") {
  return resolveConfig({ kubernetesVersion, imageRepository, controlPlane: [{ name: "m1", address: "192.0.2.10" }] });
}

describe("what each supported kubeadm deploys (config/kubeadm-facts.ts)", function () {
  // Each release's source comes from the Go module proxy the first time (about 20 MB), then from Go's module cache.
  this.timeout(600_000);

  for (const minor of supportedMinors()) {
    const facts = KUBEADM_FACTS[minor];
    it(`1.${minor}: the recorded facts are what kubeadm ${facts.readFrom}'s source says`, () => {
      assert.equal(facts.readFrom.split(".")[1], String(minor));
      assert.deepEqual(readKubeadmFactsFromProxy(facts.readFrom), facts);
    });
    it(`1.${minor}: containerd gets kubeadm's pause image, from the configured repository`, () => {
      const spec = specFor(`${facts.readFrom.slice(1)}`, "registry.aliyuncs.com/google_containers");
      assert.equal(spec.containerd.sandboxImage, `registry.aliyuncs.com/google_containers/pause:${facts.pauseTag}`);
    });
  }

  const versions = pinnedVersions();
  for (const version of [versions.KUBERNETES_VERSION, versions.KUBERNETES_LEGACY_VERSION]) {
    it(`the kubeadm v${version} the set-up builds lists the same pause and etcd images`, function () {
      const repository = "registry.aliyuncs.com/google_containers";
      const images = kubeadmImages(this, version, repository);
      const facts = KUBEADM_FACTS[Number(version.split(".")[1])];
      assert.ok(images.includes(specFor(version, repository).containerd.sandboxImage), images.join("\n"));
      assert.ok(images.includes(`${repository}/etcd:${facts.etcdVersion}`), images.join("\n"));
    });
  }

  describe("reading kubeadm's source", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeadm-source-"));
      fs.mkdirSync(path.join(dir, "cmd/kubeadm/app/constants"), { recursive: true });
      fs.mkdirSync(path.join(dir, "cmd/kubeadm/app/preflight"), { recursive: true });
      fs.writeFileSync(
        path.join(dir, "cmd/kubeadm/app/constants/constants.go"),
        'const (\n\tDefaultEtcdVersion = "3.9.1-0"\n\tPauseVersion = "4.0"\n)\n',
      );
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const checks = (block: string) =>
      fs.writeFileSync(
        path.join(dir, "cmd/kubeadm/app/preflight/checks.go"),
        `func (c C) Check() (warnings, errorList []error) {\n\tok, err := rt.IsRuntimeConfigImplemented()\n\t${block}\n\treturn\n}\n`,
      );

    it("reads a runtime without RuntimeConfig made an error", () => {
      checks('if !ok {\n\t\terrorList = append(errorList, errors.New("update your runtime"))\n\t}');
      assert.deepEqual(readKubeadmFacts(dir, "v1.99.0"), {
        readFrom: "v1.99.0",
        pauseTag: "4.0",
        etcdVersion: "3.9.1-0",
        runtimeConfigCheck: "error",
      });
    });

    it("reads a warning, and the release its TODO says will make it an error", () => {
      checks(
        "if !ok {\n\t\t// TODO: return an error once the kubelet version is 1.99 or higher.\n\t\twarnings = append(warnings, err)\n\t}",
      );
      const facts = readKubeadmFacts(dir, "v1.98.0");
      assert.equal(facts.runtimeConfigCheck, "warning");
      assert.equal(facts.runtimeConfigErrorFrom, "1.99");
    });

    it("refuses a source whose shape it does not know, rather than guessing", () => {
      checks("if ok {\n\t}");
      assert.throws(() => readKubeadmFacts(dir, "v1.98.0"), /'if !ok' block/);
      fs.writeFileSync(path.join(dir, "cmd/kubeadm/app/constants/constants.go"), "const PauseVersion = pause()\n");
      assert.throws(() => readKubeadmFacts(dir, "v1.98.0"), /PauseVersion is not a string constant/);
    });
  });
});
