// The engine plugins behind the provider packages (tools/setup, tools/versions.env): each npm package asks the engine
// for the plugin of its own version, so package.json, package-lock.json, the installed package and versions.env agree;
// and once the set-up has run, Pulumi's plugin cache holds each plugin at that version and the plugin answers, saying
// that version (the set-up stamps it at build time).
import { strict as assert } from "assert";
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { GetSchemaRequest } from "@pulumi/pulumi/proto/provider_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { pinnedVersions, pulumiCli, pulumiPluginBinary, repoRoot } from "../../tools/paths";
import { requireSetUpTool } from "../support/set-up-tools";

const versions = pinnedVersions();
const PLUGINS = [
  { name: "kubernetes", npm: "@pulumi/kubernetes", version: versions.KUBERNETES_PROVIDER_VERSION },
  { name: "command", npm: "@pulumi/command", version: versions.COMMAND_PROVIDER_VERSION },
  { name: "tls", npm: "@pulumi/tls", version: versions.TLS_PROVIDER_VERSION },
];

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));

interface Answer {
  version: string;
  schemaVersion: string;
  resources: string[];
}

/**
 * Starts the plugin as the engine does (it prints its gRPC port), asks it for its version and, unless told not to, its
 * schema (the Kubernetes provider's takes seconds), and stops it.
 */
async function askPlugin(binary: string, withSchema: boolean): Promise<Answer> {
  const child = spawn(binary, [], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = "";
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        const line = /^(\d+)\s*\n/.exec(stdout);
        if (line) resolve(Number(line[1]));
      });
      child.on("exit", (code) => reject(new Error(`${binary} exited (${code}) before its port: ${stderr}`)));
      setTimeout(() => reject(new Error(`${binary} printed no port in 30 s: ${stderr}`)), 30_000);
    });
    // The Kubernetes provider's schema is over gRPC's default 4 MB.
    const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": -1,
    });
    try {
      const deadline = () => ({ deadline: Date.now() + 30_000 });
      const version = await new Promise<string>((resolve, reject) =>
        client.getPluginInfo(new Empty(), new grpc.Metadata(), deadline(), (error, info) =>
          error ? reject(error) : resolve(info.getVersion()),
        ),
      );
      if (!withSchema) return { version, schemaVersion: "", resources: [] };
      const schema = await new Promise<{ version?: string; resources?: Record<string, unknown> }>((resolve, reject) =>
        client.getSchema(new GetSchemaRequest(), new grpc.Metadata(), deadline(), (error, response) =>
          error ? reject(error) : resolve(JSON.parse(response.getSchema())),
        ),
      );
      return { version, schemaVersion: schema.version ?? "", resources: Object.keys(schema.resources ?? {}) };
    } finally {
      client.close();
    }
  } finally {
    child.kill();
  }
}

describe("the provider plugins: pins (tools/versions.env) and Pulumi's plugin cache (tools/setup)", function () {
  this.timeout(60_000);

  const lock = readJson(path.join(repoRoot, "package-lock.json"));
  const manifest = readJson(path.join(repoRoot, "package.json"));

  for (const plugin of PLUGINS) {
    it(`${plugin.npm}: package.json, package-lock.json and the installed package pin ${plugin.version}, as versions.env does`, () => {
      assert.match(plugin.version ?? "", /^\d+\.\d+\.\d+$/, `tools/versions.env pins no version of ${plugin.name}`);
      assert.equal(manifest.dependencies[plugin.npm], plugin.version, "package.json (exact, as the set-up checks)");
      assert.equal(lock.packages[`node_modules/${plugin.npm}`].version, plugin.version, "package-lock.json");
      const installed = readJson(path.join(repoRoot, "node_modules", plugin.npm, "package.json"));
      assert.equal(installed.version, plugin.version, "node_modules (npm ci)");
      // The plugin version the package asks the engine for.
      assert.deepEqual(installed.pulumi, { resource: true, name: plugin.name, version: plugin.version });
    });
  }

  it("tools/setup refuses a package.json whose pin differs from versions.env, naming both", () => {
    const setup = path.join(repoRoot, "tools", "setup");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-pins-"));
    try {
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ dependencies: { "@pulumi/tls": "5.6.1" } }));
      // The set-up's own functions, without the rest of it.
      const functions = `eval "$(sed -n '/^die()/,/^}/p;/^check_plugin_pin()/,/^}/p' "$1")"`;
      const run = spawnSync(
        "bash",
        ["-c", `${functions} && ROOT="$2" && check_plugin_pin @pulumi/tls TLS_PROVIDER_VERSION 5.5.1`, "_", setup, dir],
        { encoding: "utf8" },
      );
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /pins TLS_PROVIDER_VERSION=5\.5\.1 but package\.json pins @pulumi\/tls 5\.6\.1/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("npm ci runs no install script: @pulumi/command's and @pulumi/kubernetes's would download their plugins", () => {
    assert.ok(lock.packages["node_modules/@pulumi/command"].hasInstallScript);
    assert.ok(lock.packages["node_modules/@pulumi/kubernetes"].hasInstallScript);
    const setup = fs.readFileSync(path.join(repoRoot, "tools", "setup"), "utf8");
    assert.match(setup, /npm ci --ignore-scripts/);
  });

  describe("after tools/setup", () => {
    let listed: { name: string; kind: string; version: string }[] = [];

    before(() => {
      listed = JSON.parse(
        execFileSync(pulumiCli(), ["plugin", "ls", "--json"], {
          encoding: "utf8",
          env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
        }),
      );
    });

    for (const plugin of PLUGINS) {
      it(`pulumi plugin ls lists ${plugin.name} ${plugin.version}, and the plugin answers with that version`, async function () {
        const binary = requireSetUpTool(
          this,
          `pulumi-resource-${plugin.name} ${plugin.version}`,
          pulumiPluginBinary(plugin.name, plugin.version),
        );
        assert.ok(
          listed.some((p) => p.kind === "resource" && p.name === plugin.name && p.version === plugin.version),
          `pulumi plugin ls: ${JSON.stringify(listed.map((p) => `${p.kind} ${p.name} ${p.version}`))}`,
        );
        const answer = await askPlugin(binary, plugin.name !== "kubernetes");
        assert.equal(answer.version, plugin.version, "GetPluginInfo");
        if (plugin.name === "tls") {
          // Its schema is embedded at build time, stamped by generate.go.
          assert.equal(answer.schemaVersion, plugin.version, "the embedded schema's version");
          assert.ok(answer.resources.includes("tls:index/privateKey:PrivateKey"), answer.resources.join(", "));
          assert.ok(answer.resources.includes("tls:index/selfSignedCert:SelfSignedCert"), answer.resources.join(", "));
        }
        if (plugin.name === "command") {
          assert.ok(answer.resources.includes("command:remote:Command"), answer.resources.join(", "));
          assert.ok(answer.resources.includes("command:local:Command"), answer.resources.join(", "));
        }
      });
    }
  });
});
