// hostsFile: hosts and SSH defaults from a file of their own, merged into the stack's config before
// validation, the same way for the program (loadFromPulumiConfig) and the validate CLI (loadFromStackFile).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { validateConfig, type ValidationResult } from "../../config/validate";
import { loadFromPulumiConfig, loadFromStackFile } from "../../config/load";
import { main } from "../../config/validate-cli";
import { mergeHostsFile } from "../../config/hosts-file";
import {
  assertNoErrorAt,
  assertValid,
  ed25519HostKey,
  errorAt,
  TEST_PRIVATE_KEY,
  tempDir,
  writeFile,
} from "./fixtures";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** A hosts file as an inventory tool writes it: hosts with pinned keys, and a key file instead of a key. */
function hostsYaml(keyFile = "keys/id_ed25519"): string {
  return `ssh:
  user: admin
  port: 2222
  privateKeyFile: ${keyFile}
controlPlane:
  - name: master01
    address: 192.0.2.10
    hostKey: ${ed25519HostKey()}
workers:
  - name: worker01
    address: 192.0.2.11
    hostKey: ${ed25519HostKey()}
  - name: worker02
    address: 192.0.2.12
    hostKey: ${ed25519HostKey()}
`;
}

function problemLines(result: ValidationResult): string {
  return result.ok ? "" : result.problems.map((p) => `${p.key}: ${p.message}`).join("\n");
}

describe("hostsFile", () => {
  let dir: string;

  beforeEach(() => {
    dir = tempDir("pulumi-kubeadm-hosts-");
    writeFile(dir, "keys/id_ed25519", TEST_PRIVATE_KEY);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const validate = (raw: Record<string, unknown>) => validateConfig(raw, { baseDir: dir, isSecret: () => true });

  describe("merging (validateConfig)", () => {
    it("takes the hosts and ssh from a YAML file, relative to the project directory", () => {
      writeFile(dir, "inventory/hosts.yaml", hostsYaml());
      const result = validate({ hostsFile: "inventory/hosts.yaml" });
      assertValid(result);
      assert.ok(result.ok);
      assert.deepEqual(
        result.config.workers?.map((w) => w.name),
        ["worker01", "worker02"],
      );
      assert.equal(result.config.ssh?.privateKeyFile, "keys/id_ed25519");
      assert.equal(result.config.hostsFile, "inventory/hosts.yaml");
    });

    it("reads a JSON file", () => {
      const content = parse(hostsYaml()) as unknown;
      writeFile(dir, "hosts.json", JSON.stringify(content, null, 2));
      assertValid(validate({ hostsFile: "hosts.json" }));
    });

    it("expands ~ in hostsFile", () => {
      const savedHome = process.env.HOME;
      process.env.HOME = dir;
      try {
        writeFile(dir, "lab/hosts.yaml", hostsYaml());
        assertValid(validate({ hostsFile: "~/lab/hosts.yaml" }));
      } finally {
        process.env.HOME = savedHome;
      }
    });

    it("lets the stack's ssh fields override the file's, field by field", () => {
      writeFile(dir, "hosts.yaml", hostsYaml());
      const result = validate({ hostsFile: "hosts.yaml", ssh: { user: "root", connectTimeoutSeconds: 5 } });
      assert.ok(result.ok, problemLines(result));
      assert.deepEqual(result.config.ssh, {
        user: "root",
        port: 2222,
        privateKeyFile: "keys/id_ed25519",
        connectTimeoutSeconds: 5,
      });
    });

    it("lets a privateKey in the stack replace the file's privateKeyFile rather than clash with it", () => {
      writeFile(dir, "hosts.yaml", hostsYaml());
      const result = validate({ hostsFile: "hosts.yaml", ssh: { privateKey: TEST_PRIVATE_KEY } });
      assert.ok(result.ok, problemLines(result));
      assert.equal(result.config.ssh?.privateKeyFile, undefined);
      assert.equal(result.config.ssh?.user, "admin");
    });

    it("rejects hosts set both in the stack and in the file", () => {
      writeFile(dir, "hosts.yaml", hostsYaml());
      const result = validate({
        hostsFile: "hosts.yaml",
        workers: [{ name: "worker09", address: "192.0.2.19", hostKey: ed25519HostKey() }],
      });
      const message = errorAt(result, "pulumi-kubeadm:workers");
      assert.match(message, /set hosts in the stack or in hostsFile, not both/);
      assert.ok(message.includes("hosts.yaml"), message);
      assertNoErrorAt(result, "pulumi-kubeadm:controlPlane");
    });

    it("treats Pulumi.yaml's empty defaults ([] and {}) as not set", () => {
      writeFile(dir, "hosts.yaml", hostsYaml());
      const result = validate({ hostsFile: "hosts.yaml", controlPlane: [], workers: [], ssh: {} });
      assert.ok(result.ok, problemLines(result));
      assert.equal(result.config.controlPlane.length, 1);
      assert.equal(result.config.ssh?.user, "admin");
    });

    it("uses hosts from the stack and only ssh from a file that lists no hosts", () => {
      writeFile(dir, "ssh.yaml", "ssh:\n  privateKeyFile: keys/id_ed25519\n");
      const result = validate({
        hostsFile: "ssh.yaml",
        controlPlane: [{ name: "master01", address: "192.0.2.10", hostKey: ed25519HostKey() }],
        schedulableControlPlane: true,
      });
      assert.ok(result.ok, problemLines(result));
    });

    it("reports a missing file under hostsFile with the path tried, without a second 'controlPlane is required'", () => {
      const result = validate({ hostsFile: ".lab/lab/hosts.yaml" });
      const message = errorAt(result, "pulumi-kubeadm:hostsFile");
      assert.ok(message.includes(`${path.join(dir, ".lab", "lab", "hosts.yaml")} does not exist`), message);
      assert.equal(result.ok ? 0 : result.problems.length, 1, problemLines(result));
    });

    it("reports a YAML syntax error with the parser's message and position", () => {
      writeFile(dir, "hosts.yaml", "controlPlane:\n  - name: master01\n    address: [192.0.2.10\n");
      const message = errorAt(validate({ hostsFile: "hosts.yaml" }), "pulumi-kubeadm:hostsFile");
      assert.ok(message.startsWith(`${path.join(dir, "hosts.yaml")} is not valid YAML: `), message);
      assert.match(message, /line \d+, column \d+/);
    });

    it("reports a JSON syntax error without quoting the file", () => {
      writeFile(dir, "hosts.json", '{"ssh": {"password": "hunter2-secret"} oops}');
      const message = errorAt(validate({ hostsFile: "hosts.json" }), "pulumi-kubeadm:hostsFile");
      assert.match(message, /is not valid JSON: /);
      assert.ok(!message.includes("hunter2"), message);
    });

    it("rejects a file that is not a map, and keys a hosts file cannot hold", () => {
      writeFile(dir, "list.yaml", "- 192.0.2.10\n");
      assert.match(errorAt(validate({ hostsFile: "list.yaml" }), "pulumi-kubeadm:hostsFile"), /holds a list/);
      writeFile(dir, "typo.yaml", `${hostsYaml()}worker:\n  - {name: w, address: 192.0.2.99}\npodSubnet: x\n`);
      const problems = validate({ hostsFile: "typo.yaml" });
      const messages = problems.ok ? [] : problems.problems.map((p) => p.message);
      assert.ok(
        messages.some((m) => /unknown key 'worker': did you mean workers\?/.test(m)),
        messages.join("\n"),
      );
      assert.ok(
        messages.some((m) => /unknown key 'podSubnet'.*set other keys in the stack config/.test(m)),
        messages.join("\n"),
      );
    });

    it("keeps the normal keys for problems in the file's hosts, saying where they came from", () => {
      writeFile(
        dir,
        "hosts.yaml",
        hostsYaml()
          .replace("name: worker02", "name: Worker_02")
          .replace(/(address: 192\.0\.2\.12)\n {4}hostKey: .*/, "$1"),
      );
      const result = validate({ hostsFile: "hosts.yaml" });
      const nameProblem = errorAt(result, "pulumi-kubeadm:workers[1].name");
      assert.match(nameProblem, /not a valid Kubernetes node name.* \(from hostsFile hosts\.yaml\)$/);
      // The fix for a file's host is in the file: setting it in the stack would list the hosts twice.
      const hostKeyProblem = errorAt(result, "pulumi-kubeadm:workers[1]");
      assert.match(hostKeyProblem, /adding hostKey to its entry in the hosts file/);
      assert.ok(!hostKeyProblem.includes("pulumi config set --path 'workers[1].hostKey'"), hostKeyProblem);
      assert.match(hostKeyProblem, /\(from hostsFile hosts\.yaml\)$/);
    });

    it("asks for a missing field to be added to the file, not to the stack", () => {
      writeFile(dir, "hosts.yaml", hostsYaml().replace("    address: 192.0.2.11\n", ""));
      const message = errorAt(validate({ hostsFile: "hosts.yaml" }), "pulumi-kubeadm:workers[0].address");
      assert.match(message, /is required.*add it to the hosts file \(from hostsFile hosts\.yaml\)$/);
    });

    it("says which ssh fields came from the file and which from the stack", () => {
      writeFile(dir, "hosts.yaml", hostsYaml().replace("port: 2222", "port: 70000"));
      const result = validate({ hostsFile: "hosts.yaml", ssh: { connectTimeoutSeconds: 0 } });
      assert.match(errorAt(result, "pulumi-kubeadm:ssh.port"), /\(from hostsFile hosts\.yaml\)$/);
      assert.doesNotMatch(errorAt(result, "pulumi-kubeadm:ssh.connectTimeoutSeconds"), /from hostsFile/);
    });

    it("reports a missing key file named in the hosts file under its normal key", () => {
      writeFile(dir, "hosts.yaml", hostsYaml("keys/missing"));
      const message = errorAt(validate({ hostsFile: "hosts.yaml" }), "pulumi-kubeadm:ssh.privateKeyFile");
      assert.ok(message.includes(path.join(dir, "keys", "missing")), message);
      assert.match(message, /\(from hostsFile hosts\.yaml\)$/);
    });

    it("rejects credentials written in the file, pointing at privateKeyFile, without repeating them", () => {
      writeFile(
        dir,
        "hosts.yaml",
        hostsYaml().replace("  privateKeyFile: keys/id_ed25519\n", "  privateKey: plain-key-in-file\n") +
          "    password: plain-password-in-file\n",
      );
      // Even with every stack value counted as encrypted: nothing encrypts a hosts file.
      const result = validate({ hostsFile: "hosts.yaml" });
      assert.match(errorAt(result, "pulumi-kubeadm:ssh.privateKey"), /give privateKeyFile/);
      assert.match(
        errorAt(result, "pulumi-kubeadm:workers[1].password"),
        /privateKeyFile.*--secret --path 'ssh\.password'/,
      );
      const problems = result.ok ? [] : result.problems;
      assert.ok(problems.every((p) => !p.message.includes("plain-key") && !p.message.includes("plain-password")));
      // Once, not also as "stored in plain text in the stack config".
      assert.equal(problems.filter((p) => p.key === "pulumi-kubeadm:ssh.privateKey").length, 1);
    });

    it("merges nothing when hostsFile is not set", () => {
      const raw = { controlPlane: [] };
      const merge = mergeHostsFile(raw, dir);
      assert.equal(merge.raw, raw);
      assert.deepEqual(merge.problems, []);
      assert.equal(merge.fromFile(["controlPlane"]), false);
    });
  });

  describe("through the loaders and the CLI", () => {
    /** The config as the engine hands it to the program, with Pulumi.yaml's empty defaults filled in. */
    function engineConfig(config: Record<string, unknown>): Record<string, string> {
      const withDefaults = { controlPlane: [], workers: [], ssh: {}, hostsFile: "", ...config };
      return Object.fromEntries(
        Object.entries(withDefaults).map(([key, value]) => [
          `pulumi-kubeadm:${key}`,
          typeof value === "string" ? value : JSON.stringify(value),
        ]),
      );
    }

    function writeStack(name: string, body: string): void {
      writeFile(dir, `stacks/Pulumi.${name}.yaml`, `config:\n${body}`);
    }

    beforeEach(() => {
      writeFile(dir, "Pulumi.yaml", "name: pulumi-kubeadm\nruntime: nodejs\nstackConfigDir: stacks\n");
      writeFile(dir, ".lab/lab/hosts.yaml", hostsYaml());
    });

    it("loadFromPulumiConfig: resolves the file's hosts and reads the key file into the spec", () => {
      const loaded = loadFromPulumiConfig({
        allConfig: engineConfig({ hostsFile: ".lab/lab/hosts.yaml", schedulableControlPlane: true }),
        isSecretKey: () => false,
        warn: () => undefined,
        baseDir: dir,
      });
      assert.deepEqual(
        loaded.spec.workers.map((w) => w.name),
        ["worker01", "worker02"],
      );
      const connection = loaded.spec.workers[1].connection;
      assert.deepEqual([connection.user, connection.port, connection.sudo], ["admin", 2222, true]);
      assert.equal(connection.privateKey, TEST_PRIVATE_KEY);
      assert.ok(!JSON.stringify(loaded.spec).includes("id_ed25519"), "the spec holds the key, not its path");
      assert.deepEqual(loaded.secretKeysPresent, ["pulumi-kubeadm:ssh.privateKeyFile"]);
    });

    it("loadFromPulumiConfig: reports hosts set twice and a missing file, naming the keys", () => {
      const hosts = [{ name: "master09", address: "192.0.2.90", hostKey: ed25519HostKey() }];
      assert.throws(
        () =>
          loadFromPulumiConfig({
            allConfig: engineConfig({ hostsFile: ".lab/lab/hosts.yaml", controlPlane: hosts }),
            isSecretKey: () => false,
            baseDir: dir,
            warn: () => undefined,
          }),
        /pulumi-kubeadm:controlPlane: is set both in the stack config and in hostsFile/,
      );
      assert.throws(
        () =>
          loadFromPulumiConfig({
            allConfig: engineConfig({ hostsFile: "absent.yaml" }),
            isSecretKey: () => false,
            baseDir: dir,
            warn: () => undefined,
          }),
        (error: Error) =>
          /1 problem /.test(error.message) &&
          error.message.includes(`pulumi-kubeadm:hostsFile: ${path.join(dir, "absent.yaml")} does not exist`),
      );
    });

    it("loadFromStackFile: reads hostsFile relative to the project directory, not the working directory", () => {
      writeStack(
        "lab",
        "  pulumi-kubeadm:hostsFile: .lab/lab/hosts.yaml\n  pulumi-kubeadm:ssh:\n    connectTimeoutSeconds: 5\n",
      );
      const loaded = loadFromStackFile("lab", dir, REPO_ROOT);
      assert.ok(loaded.result.ok, problemLines(loaded.result));
      assert.equal(loaded.spec?.controlPlane[0].connection.privateKey, TEST_PRIVATE_KEY);
      assert.equal(loaded.spec?.controlPlane[0].connection.connectTimeoutSeconds, 5);
      assert.equal(loaded.spec?.controlPlane[0].connection.user, "admin");
    });

    it("loadFromStackFile: an encrypted stack privateKey overrides the file's key file", () => {
      writeStack(
        "secret",
        "  pulumi-kubeadm:hostsFile: .lab/lab/hosts.yaml\n  pulumi-kubeadm:ssh:\n    privateKey:\n      secure: v1:abc\n",
      );
      const loaded = loadFromStackFile("secret", dir, dir);
      assert.ok(loaded.result.ok, problemLines(loaded.result));
    });

    it("loadFromStackFile: an encrypted hostsFile or privateKeyFile cannot be checked offline: store it in plain text", () => {
      writeStack(
        "enc",
        "  pulumi-kubeadm:hostsFile:\n    secure: v1:abc\n  pulumi-kubeadm:ssh:\n    privateKeyFile:\n      secure: v1:abc\n",
      );
      const { result } = loadFromStackFile("enc", dir, dir);
      assert.match(errorAt(result, "pulumi-kubeadm:hostsFile"), /encrypted.*a path, not a secret.*--path 'hostsFile'/);
      assert.match(errorAt(result, "pulumi-kubeadm:ssh.privateKeyFile"), /encrypted.*--path 'ssh\.privateKeyFile'/);
      // The placeholder is neither opened as a file nor followed by "controlPlane is required".
      assert.equal(result.ok ? 0 : result.problems.length, 2, problemLines(result));
    });

    function run(args: string[], cwd: string) {
      const out: string[] = [];
      const err: string[] = [];
      const status = main(args, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), cwd, repoRoot: dir });
      return { status, stdout: out.join("\n"), stderr: err.join("\n") };
    }

    it("CLI: a stack whose hosts come from hostsFile is valid, with the file's hosts counted", () => {
      writeStack("lab", "  pulumi-kubeadm:hostsFile: .lab/lab/hosts.yaml\n");
      const result = run(["lab"], REPO_ROOT);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /Pulumi\.lab\.yaml: valid \(1 control-plane node, 2 workers\)$/);
    });

    it("CLI: problems in the file's hosts and with the file itself, one line each", () => {
      writeFile(
        dir,
        ".lab/lab/hosts.yaml",
        hostsYaml().replace("address: 192.0.2.12", "address: 192.0.2.11") + "    password: in-the-file\n",
      );
      writeStack(
        "bad",
        "  pulumi-kubeadm:hostsFile: .lab/lab/hosts.yaml\n  pulumi-kubeadm:workers:\n" +
          `    - {name: worker09, address: 192.0.2.19, hostKey: "${ed25519HostKey()}"}\n`,
      );
      const both = run(["bad"], dir);
      assert.equal(both.status, 1);
      assert.match(both.stderr, /^error: pulumi-kubeadm:workers: is set both in the stack config and in hostsFile/m);
      writeStack("file", "  pulumi-kubeadm:hostsFile: .lab/lab/hosts.yaml\n");
      const fromFile = run(["file"], dir);
      assert.equal(fromFile.status, 1);
      const errors = fromFile.stderr.split("\n").filter((line) => line.startsWith("error: "));
      assert.deepEqual(
        errors.map((line) => line.split(": ")[1]),
        ["pulumi-kubeadm:workers[1].address", "pulumi-kubeadm:workers[1].password"],
      );
      assert.ok(
        errors.every((line) => line.endsWith(" (from hostsFile .lab/lab/hosts.yaml)")),
        errors.join("\n"),
      );
      assert.ok(!fromFile.stderr.includes("in-the-file"));
    });

    it("CLI: a hostsFile that cannot be parsed", () => {
      writeFile(dir, ".lab/lab/hosts.yaml", "controlPlane: [\n");
      writeStack("lab", "  pulumi-kubeadm:hostsFile: .lab/lab/hosts.yaml\n");
      const result = run(["lab"], dir);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^error: pulumi-kubeadm:hostsFile: .*hosts\.yaml is not valid YAML: /m);
      assert.match(result.stderr, /invalid \(1 error\)/);
    });
  });

  it("Pulumi.yaml declares hostsFile, and lets a stack leave controlPlane to it", () => {
    const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { type?: string; default?: unknown }>;
    };
    assert.equal(project.config.hostsFile.type, "string");
    assert.equal(project.config.hostsFile.default, "");
    // Pulumi refuses to run a stack that does not set a declared key without a default.
    assert.deepEqual(project.config.controlPlane.default, []);
  });
});
