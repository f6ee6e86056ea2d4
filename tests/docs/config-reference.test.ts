// The documentation must keep up with the code: every key the schema accepts is in the README's
// configuration reference and declared in Pulumi.yaml, and the documented defaults are the real ones.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { z } from "zod";
import { clusterConfig, DEFAULTS } from "../../config/schema";
import { repoRoot } from "../../tools/paths";

/** Dotted key paths of an object schema; host lists contribute their fields as `host .field`. */
function keyPaths(schema: z.ZodType, prefix: string): string[] {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, value]) =>
      keyPaths(value, prefix ? `${prefix}.${key}` : key),
    );
  }
  if (inner instanceof z.ZodArray && (inner.element as z.ZodType) instanceof z.ZodObject) {
    return [prefix, ...keyPaths(inner.element as z.ZodType, "host")];
  }
  return [prefix];
}

const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
const reference = readme.slice(readme.indexOf("## Configuration reference"), readme.indexOf("## From the seed"));
const pulumiYaml = parse(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as {
  config: Record<string, { description?: string; default?: unknown }>;
};

describe("configuration reference", () => {
  const paths = [...new Set(keyPaths(clusterConfig, ""))];

  it("finds the schema's keys (the walker itself works)", () => {
    assert.ok(paths.includes("podSubnet"));
    assert.ok(paths.includes("addons.rookCeph.devices"));
    assert.ok(paths.includes("host.bastion.address"));
  });

  it("documents every key in the README", () => {
    const missing = paths.filter((key) => {
      if (key.startsWith("host.")) {
        // Host fields are listed as "host `.field`" or inside the row of shared SSH fields.
        const field = key.split(".").pop() as string;
        return !reference.includes(`\`.${field}\``) && !reference.includes(`\`${field}\``);
      }
      return !reference.includes(`\`${key}\``);
    });
    assert.deepEqual(missing, []);
  });

  it("declares every top-level key in Pulumi.yaml with a description", () => {
    const topLevel = Object.keys(clusterConfig.shape);
    assert.deepEqual(Object.keys(pulumiYaml.config).sort(), [...topLevel].sort());
    for (const [key, declaration] of Object.entries(pulumiYaml.config)) {
      assert.ok(declaration.description && declaration.description.length > 10, `${key} has no description`);
    }
  });

  it("states the same defaults in Pulumi.yaml, the README and the code", () => {
    const scalarDefaults: Record<string, unknown> = {
      kubernetesVersion: DEFAULTS.kubernetesVersion,
      podSubnet: DEFAULTS.podSubnet,
      serviceSubnet: DEFAULTS.serviceSubnet,
      dnsDomain: DEFAULTS.dnsDomain,
      imageRepository: DEFAULTS.imageRepository,
      schedulableControlPlane: DEFAULTS.schedulableControlPlane,
      joinTokenTtl: DEFAULTS.joinTokenTtl,
    };
    for (const [key, value] of Object.entries(scalarDefaults)) {
      assert.deepEqual(pulumiYaml.config[key].default, value, `Pulumi.yaml default of ${key}`);
      // Prettier pads the table's cells, so compare rows with the padding squeezed out.
      const row = reference
        .split("\n")
        .map((line) => line.replace(/ +\|/g, " |"))
        .find((line) => line.startsWith(`| \`${key}\` |`));
      assert.ok(row?.includes(`\`${String(value)}\``), `README default of ${key}: ${row}`);
    }
  });
});
