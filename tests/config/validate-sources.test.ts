import { strict as assert } from "assert";
import { assertNoErrorAt, assertValid, errorAt, validateWith, warningAt } from "./fixtures";

describe("validateConfig: imageRepository", () => {
  const KEY = "pulumi-kubeadm:imageRepository";
  const withRepository = (repository: string) =>
    validateWith((c) => {
      c.imageRepository = repository;
    });

  for (const [repository, reason] of [
    [
      "https://registry.aliyuncs.com/google_containers",
      /drop the URL scheme: write 'registry\.aliyuncs\.com\/google_containers'/,
    ],
    ["registry.aliyuncs.com/google_containers:v1.35.4", /must not have a tag/],
    ["google_containers", /must start with the registry host.*docker\.io\/google_containers/],
    ["registry.example.com/Team", /lowercase/],
    ["registry.example.com/k8s/", /trailing '\/'/],
  ] as const) {
    it(`rejects ${repository}`, () => assert.match(errorAt(withRepository(repository), KEY), reason));
  }

  for (const repository of ["registry.k8s.io", "localhost:5000/k8s", "registry.example.com:5000/mirror/k8s"]) {
    it(`accepts ${repository}`, () => assertNoErrorAt(withRepository(repository), KEY));
  }

  // The value once, the fix named: a message that repeats what the user wrote leaves them to guess the change.
  for (const [repository, host, fix] of [
    ["registry.example.com:99999/k8s", "registry.example.com:99999", "write 'registry.example.com/k8s'"],
    ["my_registry.local/k8s", "my_registry.local", "e.g. 'registry.example.com/k8s'"],
  ] as const) {
    it(`shows ${repository} once and how to write its registry host`, () => {
      const message = errorAt(withRepository(repository), KEY);
      assert.equal(message.split(host).length - 1, 1, message);
      assert.ok(message.includes(fix), message);
    });
  }

  it("checks addons.imageMirror with the same rule", () => {
    const result = validateWith((c) => {
      c.addons = { imageMirror: "http://mirror.example.com" };
    });
    assert.match(errorAt(result, "pulumi-kubeadm:addons.imageMirror"), /URL scheme/);
  });

  it("requires sandboxImage to be a full image reference", () => {
    const result = validateWith((c) => {
      c.containerd = { sandboxImage: "pause" };
    });
    assert.match(errorAt(result, "pulumi-kubeadm:containerd.sandboxImage"), /<registry>\/pause:<tag>/);
  });
});

describe("validateConfig: package mirrors", () => {
  it("requires http(s) URLs for repositories and keys", () => {
    const result = validateWith((c) => {
      c.packages = {
        apt: { kubernetesRepository: "mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/" },
        yum: { kubernetesKeyUrl: "ftp://mirrors.example.com/repomd.xml.key" },
      };
    });
    assert.match(errorAt(result, "pulumi-kubeadm:packages.apt.kubernetesRepository"), /not a URL/);
    assert.match(errorAt(result, "pulumi-kubeadm:packages.yum.kubernetesKeyUrl"), /http:\/\/ or https:\/\//);
  });

  it("warns when the repository is for a different minor than kubernetesVersion", () => {
    const result = validateWith((c) => {
      c.kubernetesVersion = "v1.34.2";
    });
    assertValid(result);
    assert.match(warningAt(result, "pulumi-kubeadm:packages.apt.kubernetesRepository"), /use the v1\.34 repository/);
  });
});

describe("validateConfig: containerd registry mirrors", () => {
  it("requires registry hosts as keys", () => {
    const result = validateWith((c) => {
      c.containerd = { registryMirrors: { "https://docker.io": ["https://docker.m.daocloud.io"] } };
    });
    const message = errorAt(result, 'pulumi-kubeadm:containerd.registryMirrors["https://docker.io"]');
    assert.match(message, /not a registry host.*rename it to 'docker\.io'/);
    assert.doesNotMatch(message, /https:/, "the key path shows the value already");
  });

  it("does not repeat a registry key its path shows, and says what to rename it to", () => {
    const result = validateWith((c) => {
      c.containerd = { registryMirrors: { "docker.io\ngpgcheck=0": ["https://docker.m.daocloud.io"] } };
    });
    const message = errorAt(result, 'pulumi-kubeadm:containerd.registryMirrors["docker.io\\ngpgcheck=0"]');
    assert.doesNotMatch(message, /gpgcheck/);
    assert.doesNotMatch(message, /\n/);
    assert.match(message, /line break.*rename it to the mirrored registry's host\[:port\], e\.g\. 'docker\.io'/);
  });

  it("requires http(s) endpoints and at least one of them", () => {
    const result = validateWith((c) => {
      c.containerd = { registryMirrors: { "docker.io": ["docker.m.daocloud.io"], "quay.io": [] } };
    });
    assert.match(errorAt(result, 'pulumi-kubeadm:containerd.registryMirrors["docker.io"][0]'), /not a URL/);
    assert.match(errorAt(result, 'pulumi-kubeadm:containerd.registryMirrors["quay.io"]'), /no mirror endpoints/);
  });
});
