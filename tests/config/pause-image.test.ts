// The sandbox image containerd is given must be the pause image kubeadm itself uses for that version.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { PAUSE_IMAGE_TAG_BY_MINOR } from "../../config/schema";
import { resolveConfig } from "../../config/resolve";
import { kubeadmBinary, pinnedVersions } from "../../tools/paths";

function kubeadmPauseImage(version: string, repository: string): string {
  const binary = kubeadmBinary(version);
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run tools/setup`);
  const images = execFileSync(
    binary,
    ["config", "images", "list", "--kubernetes-version", `v${version}`, "--image-repository", repository],
    { encoding: "utf8" },
  );
  const pause = images.split("\n").find((line) => line.includes("/pause:"));
  assert.ok(pause, images);
  return pause;
}

describe("pause image per Kubernetes version", () => {
  const versions = pinnedVersions();
  for (const version of [versions.KUBERNETES_VERSION, versions.KUBERNETES_LEGACY_VERSION]) {
    it(`matches kubeadm v${version}'s own image list`, () => {
      const repository = "registry.aliyuncs.com/google_containers";
      const spec = resolveConfig({
        kubernetesVersion: version,
        imageRepository: repository,
        controlPlane: [{ name: "m1", address: "192.0.2.10" }],
      });
      assert.equal(spec.containerd.sandboxImage, kubeadmPauseImage(version, repository));
      const minor = Number(version.split(".")[1]);
      assert.ok(PAUSE_IMAGE_TAG_BY_MINOR[minor]);
    });
  }
});
