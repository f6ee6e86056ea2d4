import { strict as assert } from "assert";
import * as fs from "fs";
import { resolveConfig } from "../../config/resolve";
import { validateConfig } from "../../config/validate";
import { DEFAULTS, type ClusterConfigInput } from "../../config/schema";
import {
  configWith,
  ed25519HostKey,
  newTestPrivateKey,
  TEST_PRIVATE_KEY,
  tempDir,
  validConfig,
  writeFile,
} from "./fixtures";

/** Resolves only configs the validator accepts, as the program does. */
function resolveValid(config: ClusterConfigInput) {
  const result = validateConfig(config);
  assert.ok(result.ok, result.ok ? "" : result.problems.map((p) => `${p.key}: ${p.message}`).join("\n"));
  return resolveConfig(result.config);
}

function minimalConfig(): ClusterConfigInput {
  return {
    controlPlane: [
      { name: "master01", address: "192.0.2.10", privateKey: TEST_PRIVATE_KEY, hostKey: ed25519HostKey() },
    ],
    schedulableControlPlane: true,
  };
}

/** minimalConfig without one field of its control plane. */
function minimalConfigWithout(field: "privateKey"): ClusterConfigInput {
  const config = minimalConfig();
  delete config.controlPlane[0][field];
  return config;
}

function containsUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== "object" || value === null) return false;
  return Object.values(value).some(containsUndefined);
}

describe("resolveConfig", () => {
  it("fills every default for a minimal config", () => {
    const spec = resolveValid(minimalConfig());
    assert.equal(spec.kubernetesVersion, DEFAULTS.kubernetesVersion);
    assert.equal(spec.podSubnet, DEFAULTS.podSubnet);
    assert.equal(spec.serviceSubnet, DEFAULTS.serviceSubnet);
    assert.equal(spec.dnsDomain, DEFAULTS.dnsDomain);
    assert.equal(spec.imageRepository, DEFAULTS.imageRepository);
    assert.equal(spec.joinTokenTtl, DEFAULTS.joinTokenTtl);
    assert.deepEqual(spec.workers, []);
    assert.deepEqual(spec.clusterCa, {
      keyType: DEFAULTS.caKeyType,
      rsaBits: DEFAULTS.caRsaBits,
      validityDays: DEFAULTS.caValidityDays,
    });
    assert.equal(spec.addons.flannel.enabled, true);
    assert.equal(spec.addons.rookCeph.enabled, false);
    assert.equal(spec.containerd.sandboxImage, `${DEFAULTS.imageRepository}/pause:3.10.1`);
    const connection = spec.controlPlane[0].connection;
    assert.equal(connection.port, DEFAULTS.sshPort);
    assert.equal(connection.user, DEFAULTS.sshUser);
    assert.equal(connection.sudo, false);
    assert.equal(connection.dialErrorLimit, 3);
    assert.equal(connection.insecureIgnoreHostKey, false);
  });

  it("never leaves an undefined value in the spec (Pulumi rejects them in resource inputs)", () => {
    assert.equal(containsUndefined(resolveValid(minimalConfig())), false);
    assert.equal(containsUndefined(resolveValid(validConfig())), false);
  });

  it("normalises the version with a leading v and picks the package repositories of its minor", () => {
    const spec = resolveValid({ ...minimalConfig(), kubernetesVersion: "1.31.7" });
    assert.equal(spec.kubernetesVersion, "v1.31.7");
    assert.equal(spec.packages.apt.kubernetesRepository, "https://pkgs.k8s.io/core:/stable:/v1.31/deb/");
    assert.equal(spec.packages.apt.kubernetesKeyUrl, "https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key");
    assert.equal(spec.packages.yum.kubernetesRepository, "https://pkgs.k8s.io/core:/stable:/v1.31/rpm/");
    assert.equal(
      spec.packages.yum.kubernetesKeyUrl,
      "https://pkgs.k8s.io/core:/stable:/v1.31/rpm/repodata/repomd.xml.key",
    );
  });

  it("derives key URLs from a mirror repository, adding the missing trailing slash", () => {
    const spec = resolveValid({
      ...minimalConfig(),
      packages: { apt: { kubernetesRepository: "https://mirror.example/deb" } },
    });
    assert.equal(spec.packages.apt.kubernetesRepository, "https://mirror.example/deb/");
    assert.equal(spec.packages.apt.kubernetesKeyUrl, "https://mirror.example/deb/Release.key");
  });

  it("lets each host override the ssh defaults field by field", () => {
    const spec = resolveValid(
      configWith((c) => {
        c.ssh = { user: "ubuntu", port: 2222, privateKey: TEST_PRIVATE_KEY, connectTimeoutSeconds: 5 };
        c.workers![0].port = 22;
        c.workers![1].user = "root";
        c.workers![1].password = "pw";
      }),
    );
    const [master, worker01, worker02] = [spec.controlPlane[0], ...spec.workers].map((n) => n.connection);
    assert.deepEqual([master.user, master.port, master.sudo], ["ubuntu", 2222, true]);
    assert.deepEqual([worker01.user, worker01.port, worker01.sudo], ["ubuntu", 22, true]);
    assert.deepEqual([worker02.user, worker02.sudo, worker02.password], ["root", false, "pw"]);
    assert.equal(worker02.privateKey, TEST_PRIVATE_KEY);
    assert.equal(worker01.connectTimeoutSeconds, 5);
  });

  it("keeps an explicit sudo setting over the user-based default", () => {
    const spec = resolveValid(
      configWith((c) => {
        c.ssh = { ...c.ssh, user: "admin", sudo: false };
      }),
    );
    assert.equal(spec.controlPlane[0].connection.sudo, false);
  });

  it("turns a bastion into the proxy, with the ssh defaults as its fallbacks", () => {
    const bastionKey = ed25519HostKey();
    const spec = resolveValid(
      configWith((c) => {
        c.ssh = { user: "ops", privateKey: TEST_PRIVATE_KEY };
        c.workers![0].bastion = { address: "198.51.100.1", port: 2200, hostKey: bastionKey };
      }),
    );
    const proxy = spec.workers[0].connection.proxy;
    assert.ok(proxy);
    assert.deepEqual(
      [proxy.host, proxy.port, proxy.user, proxy.privateKey, proxy.hostKey],
      ["198.51.100.1", 2200, "ops", TEST_PRIVATE_KEY, bastionKey],
    );
    assert.equal(spec.workers[1].connection.proxy, undefined);
  });

  it("defaults controlPlaneEndpoint to the first control plane's advertised address", () => {
    const spec = resolveValid(
      configWith((c) => {
        c.controlPlane[0].advertiseAddress = "198.51.100.10";
      }),
    );
    assert.equal(spec.controlPlaneEndpoint, "198.51.100.10:6443");
    assert.equal(spec.controlPlaneEndpointConfigured, false);
    assert.equal(spec.controlPlane[0].connection.host, "192.0.2.10");
    assert.equal(spec.workers[0].advertiseAddress, "192.0.2.11");
  });

  it("brackets an IPv6 default endpoint", () => {
    const spec = resolveValid(
      configWith((c) => {
        c.controlPlane[0].advertiseAddress = "2001:db8::10";
      }),
    );
    assert.equal(spec.controlPlaneEndpoint, "[2001:db8::10]:6443");
  });

  it("adds the API port to a configured endpoint without one and keeps a given port", () => {
    const withoutPort = resolveValid({ ...validConfig(), controlPlaneEndpoint: "k8s-api.example.com" });
    assert.equal(withoutPort.controlPlaneEndpoint, "k8s-api.example.com:6443");
    assert.equal(withoutPort.controlPlaneEndpointConfigured, true);
    const withPort = resolveValid({ ...validConfig(), controlPlaneEndpoint: "192.0.2.100:8443" });
    assert.equal(withPort.controlPlaneEndpoint, "192.0.2.100:8443");
  });

  it("builds the sandbox image from the configured image repository", () => {
    const spec = resolveValid(validConfig());
    assert.equal(spec.containerd.sandboxImage, `registry.aliyuncs.com/google_containers/pause:3.10.1`);
    assert.deepEqual(spec.containerd.registryMirrors, { "docker.io": ["https://docker.m.daocloud.io"] });
  });

  it("uses all devices for Rook only when no device is listed", () => {
    const all = resolveValid({ ...minimalConfig(), addons: { rookCeph: { enabled: true } } });
    assert.equal(all.addons.rookCeph.useAllDevices, true);
    const listed = resolveValid({ ...minimalConfig(), addons: { rookCeph: { enabled: true, devices: ["sdb"] } } });
    assert.equal(listed.addons.rookCeph.useAllDevices, false);
    assert.deepEqual(listed.addons.rookCeph.devices, ["sdb"]);
  });

  it("does not share arrays or maps with the input", () => {
    const config = validConfig();
    assert.ok(validateConfig(config).ok);
    // Straight from the input, not from the validator's copy, so only resolveConfig can cause sharing.
    const spec = resolveConfig(config);
    spec.controllerManager.extraArgs["x"] = "y";
    spec.containerd.registryMirrors["docker.io"].push("https://other.example");
    assert.equal(config.controllerManager!.extraArgs!["x"], undefined);
    assert.deepEqual(config.containerd!.registryMirrors!["docker.io"], ["https://docker.m.daocloud.io"]);
  });

  describe("privateKeyFile", () => {
    let dir: string;
    beforeEach(() => (dir = tempDir()));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    function resolveIn(baseDir: string, config: ClusterConfigInput) {
      const result = validateConfig(config, { baseDir });
      assert.ok(result.ok, result.ok ? "" : result.problems.map((p) => `${p.key}: ${p.message}`).join("\n"));
      return resolveConfig(result.config, { baseDir });
    }

    it("puts the key read from the file into the connection, never the path", () => {
      const keyText = `${TEST_PRIVATE_KEY}\n`;
      writeFile(dir, "keys/cluster", keyText);
      const spec = resolveIn(
        dir,
        configWith((c) => {
          c.ssh = { user: "root", privateKeyFile: "keys/cluster" };
          c.workers![0].bastion = { address: "198.51.100.1", hostKey: ed25519HostKey() };
        }),
      );
      for (const node of [...spec.controlPlane, ...spec.workers]) assert.equal(node.connection.privateKey, keyText);
      assert.equal(spec.workers[0].connection.proxy?.privateKey, keyText);
      assert.ok(!JSON.stringify(spec).includes("keys/cluster"), "the spec must not hold the key file's path");
      assert.ok(!JSON.stringify(spec).includes(`"privateKeyFile"`), "no connection carries a privateKeyFile setting");
    });

    it("resolves a relative path against the project directory, not the working directory", () => {
      writeFile(dir, "id_ed25519", TEST_PRIVATE_KEY);
      assert.notEqual(process.cwd(), dir);
      const spec = resolveIn(dir, { ...minimalConfigWithout("privateKey"), ssh: { privateKeyFile: "./id_ed25519" } });
      assert.equal(spec.controlPlane[0].connection.privateKey, TEST_PRIVATE_KEY);
    });

    it("expands ~ to the home directory", () => {
      const savedHome = process.env.HOME;
      process.env.HOME = dir;
      try {
        writeFile(dir, ".ssh/id_ed25519", TEST_PRIVATE_KEY);
        const spec = resolveIn("/nonexistent", {
          ...minimalConfigWithout("privateKey"),
          ssh: { privateKeyFile: "~/.ssh/id_ed25519" },
        });
        assert.equal(spec.controlPlane[0].connection.privateKey, TEST_PRIVATE_KEY);
      } finally {
        process.env.HOME = savedHome;
      }
    });

    it("lets a level that gives the key either way override the other way under ssh", () => {
      const hostsKey = newTestPrivateKey();
      writeFile(dir, "host-key", hostsKey);
      const spec = resolveIn(
        dir,
        configWith((c) => {
          c.ssh = { privateKey: TEST_PRIVATE_KEY };
          c.workers![0].privateKeyFile = "host-key";
        }),
      );
      assert.equal(spec.workers[0].connection.privateKey, hostsKey);
      assert.equal(spec.workers[1].connection.privateKey, TEST_PRIVATE_KEY);
      const defaultKey = newTestPrivateKey();
      writeFile(dir, "default-key", defaultKey);
      const reverse = resolveIn(
        dir,
        configWith((c) => {
          c.ssh = { privateKeyFile: "default-key" };
          c.workers![0].privateKey = TEST_PRIVATE_KEY;
        }),
      );
      assert.equal(reverse.workers[0].connection.privateKey, TEST_PRIVATE_KEY);
      assert.equal(reverse.workers[1].connection.privateKey, defaultKey);
    });
  });
});
