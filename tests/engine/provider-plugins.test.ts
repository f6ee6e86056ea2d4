// The plugins tools/setup builds from the providers' sources (pulumi-resource-command, pulumi-resource-tls), used by
// the real engine with downloads off: a throwaway stack in a local backend creates an ECDSA P-256 key and runs a
// local command, then is destroyed.
import { strict as assert } from "assert";
import { createPublicKey } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as command from "@pulumi/command";
import * as tls from "@pulumi/tls";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { engineEnv, pulumiCommand, TEST_PASSPHRASE } from "../support/engine";
import { requireSetUpTool } from "../support/set-up-tools";
import { pinnedVersions, pulumiPluginBinary } from "../../tools/paths";

describe("pulumi-resource-command and pulumi-resource-tls with the real engine", function () {
  this.timeout(120_000);
  let dir: string;
  let stack: Stack | undefined;

  before(function () {
    const versions = pinnedVersions();
    for (const [name, version] of [
      ["command", versions.COMMAND_PROVIDER_VERSION],
      ["tls", versions.TLS_PROVIDER_VERSION],
    ]) {
      requireSetUpTool(this, `pulumi-resource-${name} ${version}`, pulumiPluginBinary(name, version));
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-plugins-"));
  });

  after(async () => {
    if (stack) {
      await stack.destroy().catch(() => undefined);
      await stack.workspace.removeStack(stack.name).catch(() => undefined);
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("creates a tls.PrivateKey (ECDSA P256) and a command.local.Command, then destroys both", async () => {
    const program = async () => {
      const key = new tls.PrivateKey("key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
      const said = new command.local.Command("say", {
        create: 'printf "%s" "$WORD"',
        environment: { WORD: "hello from pulumi-resource-command" },
      });
      return { publicKeyPem: key.publicKeyPem, privateKeyPem: key.privateKeyPem, stdout: said.stdout };
    };
    const backend = path.join(dir, "state");
    fs.mkdirSync(backend);
    stack = await LocalWorkspace.createStack(
      { stackName: "plugins", projectName: "pk-plugins", program },
      { workDir: dir, envVars: engineEnv(backend, TEST_PASSPHRASE), pulumiCommand: await pulumiCommand() },
    );

    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.equal(up.summary.resourceChanges?.create, 3, JSON.stringify(up.summary.resourceChanges));
    assert.equal(up.outputs.stdout.value, "hello from pulumi-resource-command");
    const publicKey = createPublicKey(up.outputs.publicKeyPem.value);
    assert.equal(publicKey.asymmetricKeyType, "ec");
    assert.equal(publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.ok(up.outputs.privateKeyPem.secret, "the private key is a secret output");
    assert.match(up.outputs.privateKeyPem.value, /BEGIN EC PRIVATE KEY|BEGIN PRIVATE KEY/);

    const destroy = await stack.destroy();
    assert.equal(destroy.summary.result, "succeeded");
    assert.equal(destroy.summary.resourceChanges?.delete, 3, JSON.stringify(destroy.summary.resourceChanges));
  });
});
