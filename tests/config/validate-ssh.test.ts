import { strict as assert } from "assert";
import fc from "fast-check";
import * as fs from "fs";
import * as path from "path";
import { validateConfig } from "../../config/validate";
import { configKey } from "../../config/key-path";
import type { ClusterConfigInput } from "../../config/schema";
import {
  assertNoErrorAt,
  assertValid,
  configWith,
  ed25519HostKey,
  errorAt,
  TEST_PRIVATE_KEY,
  TEST_PRIVATE_KEY_MARKER,
  tempDir,
  validateWith,
  warningAt,
  writeFile,
} from "./fixtures";

describe("validateConfig: SSH credentials", () => {
  it("rejects a host with no credential anywhere and shows the --secret command", () => {
    const result = validateWith((c) => {
      c.ssh = { user: "root" };
    });
    const message = errorAt(result, "pulumi-kubeadm:controlPlane[0]");
    assert.match(message, /no SSH credentials for controlPlane\[0\] \(master01\)/);
    assert.ok(
      message.includes(`pulumi config set --secret --path 'ssh.privateKey' -- "$(cat ~/.ssh/id_ed25519)"`),
      message,
    );
    assert.match(errorAt(result, "pulumi-kubeadm:workers[1]"), /worker02/);
  });

  it("accepts credentials given per host or as an agent socket", () => {
    const result = validateWith((c) => {
      c.ssh = { agentSocket: "/run/user/1000/ssh-agent.sock" };
      c.controlPlane[0].password = "per-host";
    });
    assertValid(result);
  });

  it("checks a bastion's credentials separately from its host's", () => {
    const result = validateWith((c) => {
      c.ssh = {};
      c.controlPlane[0].privateKey = TEST_PRIVATE_KEY;
      c.controlPlane[0].bastion = { address: "198.51.100.1", insecureIgnoreHostKey: true };
      c.workers = [];
    });
    assert.match(errorAt(result, "pulumi-kubeadm:controlPlane[0].bastion"), /no SSH credentials for the bastion/);
    assertNoErrorAt(result, "pulumi-kubeadm:controlPlane[0]");
  });
});

describe("validateConfig: host-key verification", () => {
  it("requires a pinned key or known_hosts file, explaining that verification is on by default", () => {
    const result = validateWith((c) => {
      delete c.workers![0].hostKey;
    });
    const message = errorAt(result, "pulumi-kubeadm:workers[0]");
    assert.match(message, /on by default/);
    assert.match(message, /workers\[0\]\.hostKey/);
    assert.match(message, /ssh-keyscan -t ed25519 '192\.0\.2\.11'/);
  });

  it("accepts a knownHostsFile from the ssh defaults", () => {
    const result = validateWith((c) => {
      for (const host of [...c.controlPlane, ...c.workers!]) delete host.hostKey;
      c.ssh = { ...c.ssh, knownHostsFile: "~/.ssh/known_hosts" };
    });
    assertValid(result);
  });

  it("accepts insecureIgnoreHostKey but warns about it", () => {
    const result = validateWith((c) => {
      delete c.workers![0].hostKey;
      c.workers![0].insecureIgnoreHostKey = true;
    });
    assertValid(result);
    assert.match(warningAt(result, "pulumi-kubeadm:workers[0].insecureIgnoreHostKey"), /verification is off/);
  });

  it("rejects a pinned key the SSH layer could not read", () => {
    const result = validateWith((c) => {
      c.workers![0].hostKey = "ssh-ed25519 not-base64!";
    });
    assert.match(errorAt(result, "pulumi-kubeadm:workers[0].hostKey"), /cannot be read.*SHA256:/);
  });
});

describe("validateConfig: secrets", () => {
  const plainEverywhere = { isSecret: () => false };

  it("rejects a private key stored in plain text, with the --secret command for that key", () => {
    const result = validateWith(() => undefined, plainEverywhere);
    const message = errorAt(result, "pulumi-kubeadm:ssh.privateKey");
    assert.match(message, /plain text/);
    assert.ok(message.includes("pulumi config set --secret --path 'ssh.privateKey'"), message);
    assert.ok(!message.includes(TEST_PRIVATE_KEY_MARKER), "the message must not contain the key");
  });

  it("rejects plain-text passwords on hosts and bastions", () => {
    const result = validateWith((c) => {
      c.workers![0].password = "pw";
      c.workers![0].bastion = { address: "198.51.100.1", privateKeyPassword: "pw", hostKey: c.workers![0].hostKey };
    }, plainEverywhere);
    assert.match(errorAt(result, "pulumi-kubeadm:workers[0].password"), /--secret/);
    assert.match(errorAt(result, "pulumi-kubeadm:workers[0].bastion.privateKeyPassword"), /--secret/);
  });

  it("accepts values the loader reports as encrypted", () => {
    const secretPaths = new Set([configKey(["ssh", "privateKey"])]);
    const result = validateWith(() => undefined, { isSecret: (path) => secretPaths.has(configKey(path)) });
    assertValid(result);
  });

  it("never repeats a credential's value in any problem, whatever else is wrong", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 12 }).filter((s) => s.trim().length >= 12),
        fc.constantFrom("privateKey", "password", "privateKeyPassword"),
        fc.boolean(),
        (secret, field, alsoBreakHosts) => {
          const raw = configWith((c) => {
            c.ssh = { [field]: secret };
            c.workers![0][field] = secret;
            if (alsoBreakHosts) {
              delete c.workers![1].hostKey;
              c.workers![1].user = "admin";
              c.kubernetesVersion = "stable";
            }
          });
          const result = validateConfig(raw, { isSecret: () => false });
          const problems = [...(result.ok ? [] : result.problems), ...result.warnings];
          // Plain-text credentials are always reported, so there is always a message to inspect.
          return problems.length > 0 && problems.every((p) => !p.message.includes(secret) && !p.key.includes(secret));
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("validateConfig: privateKeyFile", () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function withKeyFile(change: (c: ClusterConfigInput) => void) {
    // Only privateKey counts as encrypted: a plain-text privateKeyFile must still be accepted.
    return validateWith(change, { baseDir: dir, isSecret: (at) => at[at.length - 1] === "privateKey" });
  }

  it("counts as a credential and needs no --secret (it is a path)", () => {
    writeFile(dir, "keys/id_ed25519", TEST_PRIVATE_KEY);
    const result = withKeyFile((c) => {
      c.ssh = { privateKeyFile: "keys/id_ed25519" };
    });
    assertValid(result);
  });

  it("rejects a file that does not exist, naming the key and the path it tried", () => {
    const result = withKeyFile((c) => {
      c.ssh = { privateKey: TEST_PRIVATE_KEY };
      c.workers![1].privateKeyFile = "missing/id_ed25519";
    });
    const message = errorAt(result, "pulumi-kubeadm:workers[1].privateKeyFile");
    assert.ok(message.includes(`${path.join(dir, "missing", "id_ed25519")} does not exist`), message);
    assert.match(message, /project directory/);
  });

  it("rejects a directory and an empty file", () => {
    writeFile(dir, "empty", "");
    const result = withKeyFile((c) => {
      c.ssh = { privateKeyFile: dir };
      c.workers![0].privateKeyFile = "empty";
    });
    assert.match(errorAt(result, "pulumi-kubeadm:ssh.privateKeyFile"), /is a directory/);
    assert.match(errorAt(result, "pulumi-kubeadm:workers[0].privateKeyFile"), /is empty/);
  });

  it("rejects a public key file, pointing at the private one", () => {
    writeFile(dir, "id_ed25519.pub", `${ed25519HostKey()} me@laptop\n`);
    const result = withKeyFile((c) => {
      c.ssh = { privateKeyFile: "id_ed25519.pub" };
    });
    assert.match(errorAt(result, "pulumi-kubeadm:ssh.privateKeyFile"), /holds a public key.*without \.pub/);
  });

  it("rejects privateKey and privateKeyFile on the same level: choose one", () => {
    writeFile(dir, "id", TEST_PRIVATE_KEY);
    const result = withKeyFile((c) => {
      c.ssh = { privateKey: TEST_PRIVATE_KEY, privateKeyFile: "id" };
      c.workers![0].bastion = {
        address: "198.51.100.1",
        hostKey: ed25519HostKey(),
        privateKey: TEST_PRIVATE_KEY,
        privateKeyFile: "id",
      };
    });
    assert.match(errorAt(result, "pulumi-kubeadm:ssh.privateKeyFile"), /both set under ssh: choose one/);
    assert.match(
      errorAt(result, "pulumi-kubeadm:workers[0].bastion.privateKeyFile"),
      /both set on the bastion of workers\[0\] \(worker01\): choose one/,
    );
  });

  it("accepts a host's privateKeyFile next to a privateKey under ssh (the host's wins)", () => {
    writeFile(dir, "id", TEST_PRIVATE_KEY);
    assertValid(withKeyFile((c) => (c.workers![0].privateKeyFile = "id")));
  });

  it("expands ~ to the home directory", () => {
    const savedHome = process.env.HOME;
    process.env.HOME = dir;
    try {
      writeFile(dir, ".ssh/id_ed25519", TEST_PRIVATE_KEY);
      assertValid(withKeyFile((c) => (c.ssh = { privateKeyFile: "~/.ssh/id_ed25519" })));
      const result = withKeyFile((c) => (c.ssh = { privateKeyFile: "~/.ssh/id_rsa" }));
      assert.ok(errorAt(result, "pulumi-kubeadm:ssh.privateKeyFile").includes(path.join(dir, ".ssh", "id_rsa")));
    } finally {
      process.env.HOME = savedHome;
    }
  });

  it("never shows the key file's content", () => {
    writeFile(dir, "id", `${TEST_PRIVATE_KEY}\n`);
    const result = withKeyFile((c) => {
      c.ssh = { privateKey: "inline-secret-key", privateKeyFile: "id" };
      c.workers![0].password = "inline-password";
      delete c.workers![0].hostKey;
    });
    const problems = result.ok ? [] : result.problems;
    assert.ok(problems.length > 0);
    assert.ok(problems.some((p) => p.key === "pulumi-kubeadm:workers[0].password"));
    assert.ok(
      problems.every(
        (p) => !p.message.includes(TEST_PRIVATE_KEY_MARKER) && !/inline-secret|inline-password/.test(p.message),
      ),
    );
  });
});
