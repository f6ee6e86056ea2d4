import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { loadFromPulumiConfig, loadFromStackFile, StackFileNotFoundError } from "../../config/load";
import { ed25519HostKey, errorAt, validConfig } from "./fixtures";

/** The config map as the engine hands it to the program: objects as JSON text, keys namespaced. */
function engineConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      `pulumi-kubeadm:${key}`,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

describe("loadFromPulumiConfig", () => {
  it("decodes the engine's JSON values, ignores other namespaces and resolves the spec", () => {
    const allConfig = { ...engineConfig(validConfig()), "aws:region": "eu-west-1" };
    const loaded = loadFromPulumiConfig({ allConfig, isSecretKey: (key) => key === "pulumi-kubeadm:ssh" });
    assert.equal(loaded.spec.schedulableControlPlane, true);
    assert.deepEqual(
      loaded.spec.workers.map((w) => w.name),
      ["worker01", "worker02"],
    );
    assert.deepEqual(loaded.secretKeysPresent, ["pulumi-kubeadm:ssh.privateKey"]);
  });

  it("throws one RunError listing every problem, without the secret values", () => {
    const password = "correct-horse-battery-staple";
    const raw = { ...validConfig(), ssh: { password }, podSubent: "10.244.0.0/16", joinTokenTtl: "2d" };
    let thrown: unknown;
    try {
      loadFromPulumiConfig({ allConfig: engineConfig(raw), isSecretKey: () => false, warn: () => undefined });
    } catch (error) {
      thrown = error;
    }
    assert.ok(pulumi.RunError.isInstance(thrown), "expected a RunError");
    const message = (thrown as Error).message;
    assert.match(message, /3 problems/);
    assert.match(message, /pulumi-kubeadm:podSubent: unknown key/);
    assert.match(message, /pulumi-kubeadm:joinTokenTtl: /);
    assert.match(message, /pulumi-kubeadm:ssh\.password: is stored in plain text/);
    assert.ok(!message.includes(password));
  });

  describe("reading from the engine", () => {
    let saved: Record<string, string>;
    before(() => (saved = pulumi.runtime.allConfig()));
    after(() => pulumi.runtime.setAllConfig(saved, []));

    it("takes secrecy from the engine's secret keys", () => {
      pulumi.runtime.setAllConfig(engineConfig(validConfig()), []);
      assert.throws(() => loadFromPulumiConfig({ warn: () => undefined }), /ssh\.privateKey: is stored in plain text/);
      pulumi.runtime.setAllConfig(engineConfig(validConfig()), ["pulumi-kubeadm:ssh"]);
      assert.equal(loadFromPulumiConfig({ warn: () => undefined }).spec.controlPlane[0].name, "master01");
    });
  });

  it("passes warnings to the logger with their keys", () => {
    const warnings: string[] = [];
    const raw = { ...validConfig(), kubelet: { extraArgs: { "fail-swap-on": "false" } } };
    loadFromPulumiConfig({ allConfig: engineConfig(raw), isSecretKey: () => true, warn: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^pulumi-kubeadm:kubelet\.extraArgs\.fail-swap-on: /);
  });
});

describe("loadFromStackFile", () => {
  let repoRoot: string;

  beforeEach(() => {
    repoRoot = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-kubeadm-config-"));
    fs.mkdirSync(path.join(repoRoot, "stacks"));
    fs.writeFileSync(
      path.join(repoRoot, "Pulumi.yaml"),
      "name: pulumi-kubeadm\nruntime: nodejs\nstackConfigDir: stacks\n",
    );
  });

  afterEach(() => fs.rmSync(repoRoot, { recursive: true, force: true }));

  function writeStack(name: string, yaml: string): string {
    const file = path.join(repoRoot, "stacks", `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, yaml);
    return file;
  }

  const hosts = () => `
  pulumi-kubeadm:controlPlane:
    - name: master01
      address: 192.0.2.10
      hostKey: ${ed25519HostKey()}
  pulumi-kubeadm:workers:
    - name: worker01
      address: 192.0.2.11
      hostKey: ${ed25519HostKey()}`;

  it("finds a stack by name through Pulumi.yaml's stackConfigDir, with encrypted keys counting as present", () => {
    const file = writeStack(
      "dev",
      `config:${hosts()}
  pulumi-kubeadm:ssh:
    user: root
    privateKey:
      secure: v1:c2VjcmV0
  pulumi-kubeadm:schedulableControlPlane: true
  aws:region: eu-west-1
`,
    );
    const loaded = loadFromStackFile("dev", repoRoot, os.tmpdir());
    assert.equal(loaded.file, file);
    assert.ok(loaded.result.ok);
    assert.equal(loaded.spec?.workers.length, 1);
  });

  it("reads top-level values as the engine passes them: text, with booleans and maps decoded", () => {
    // `pulumi config set schedulableControlPlane true` writes the quoted form.
    writeStack(
      "quoted",
      `config:${hosts()}\n  pulumi-kubeadm:ssh: {agentSocket: /a.sock}\n  pulumi-kubeadm:schedulableControlPlane: "true"\n`,
    );
    const loaded = loadFromStackFile("quoted", repoRoot, repoRoot);
    assert.equal(loaded.spec?.schedulableControlPlane, true);
    writeStack(
      "yes",
      `config:${hosts()}\n  pulumi-kubeadm:ssh: {agentSocket: /a.sock}\n  pulumi-kubeadm:schedulableControlPlane: "yes"\n`,
    );
    const { result } = loadFromStackFile("yes", repoRoot, repoRoot);
    assert.match(errorAt(result, "pulumi-kubeadm:schedulableControlPlane"), /true or false/);
  });

  it("reads a path relative to the working directory", () => {
    writeStack("x", `config:${hosts()}\n  pulumi-kubeadm:ssh: {agentSocket: /tmp/agent.sock}\n`);
    const loaded = loadFromStackFile(path.join("stacks", "Pulumi.x.yaml"), "/nonexistent", repoRoot);
    assert.ok(loaded.result.ok);
  });

  it("rejects a plain-text private key and a key without namespace, and still checks the rest", () => {
    writeStack(
      "bad",
      `config:${hosts()}
  pulumi-kubeadm:ssh:
    privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----"
  podSubnet: 10.244.1.0/16
`,
    );
    const { result } = loadFromStackFile("bad", repoRoot, repoRoot);
    assert.match(errorAt(result, "pulumi-kubeadm:ssh.privateKey"), /plain text.*--secret/);
    assert.match(errorAt(result, "podSubnet"), /write 'pulumi-kubeadm:podSubnet'/);
    assert.match(errorAt(result, "pulumi-kubeadm:podSubnet"), /host bits/);
  });

  it("explains that a wholly encrypted map cannot be checked", () => {
    writeStack("enc", `config:${hosts()}\n  pulumi-kubeadm:ssh:\n    secure: v1:abc\n`);
    const { result } = loadFromStackFile("enc", repoRoot, repoRoot);
    assert.match(errorAt(result, "pulumi-kubeadm:ssh"), /encrypted as a whole.*--path 'ssh\.privateKey'/);
  });

  it("reports YAML syntax errors with file, line and column", () => {
    const file = writeStack("syntax", "config:\n  pulumi-kubeadm:podSubnet: [10.244.0.0/16\n");
    const { result } = loadFromStackFile("syntax", repoRoot, repoRoot);
    assert.equal(result.ok, false);
    const keys = result.ok ? [] : result.problems.map((p) => p.key);
    assert.ok(
      keys.some((key) => key.startsWith(`${file}:`)),
      keys.join(", "),
    );
  });

  it("throws StackFileNotFoundError naming the path it tried", () => {
    assert.throws(
      () => loadFromStackFile("missing", repoRoot, repoRoot),
      (error: unknown) =>
        error instanceof StackFileNotFoundError &&
        error.message.includes(path.join(repoRoot, "stacks", "Pulumi.missing.yaml")),
    );
  });
});
