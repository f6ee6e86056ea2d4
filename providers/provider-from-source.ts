// What a dynamic resource stores as its provider. Pulumi serializes the provider object it is given into every
// resource's inputs and outputs, copying by value every local module the object reaches: 80 to 190 KB of this
// project's code per resource, twice, rewritten with the whole checkpoint each time a resource completes, and
// about half a second of closure analysis per provider in every run of the program. This stand-in is a few hundred
// bytes: its methods load the real provider from the program's source when the provider process first calls them.
//
// The provider process runs in the program's directory (the engine starts plugins there), so the source is found
// there, compiled by the ts-node the program itself runs with. One consequence, the same as for any Pulumi
// provider plugin: `destroy` and `refresh` run the program's current provider code on the outputs an older version
// stored, rather than the code stored with them. What must not change under a node (its reset script, a step's
// undo script) is therefore stored as data in its outputs, not taken from the code.
import type * as pulumi from "@pulumi/pulumi";

type Method = "check" | "diff" | "create" | "read" | "update" | "delete";
const METHODS: Method[] = ["check", "diff", "create", "read", "update", "delete"];

/**
 * A provider whose methods call `exportName` of `modulePath` (relative to the program's directory, without
 * extension). Only the methods the real provider has are given, so the engine's defaults apply to the others.
 */
export function providerFromSource<Inputs, Outputs>(
  modulePath: string,
  exportName: string,
  real: pulumi.dynamic.ResourceProvider<Inputs, Outputs>,
): pulumi.dynamic.ResourceProvider<Inputs, Outputs> {
  // Everything below is serialized: only strings and the functions built here, nothing imported.
  const source = { modulePath, exportName };
  const load = (): Record<string, (...args: unknown[]) => unknown> => {
    const path = require("path");
    // The program's process has ts-node already; the provider process has not until this first call.
    if (!require.extensions[".ts"]) {
      require("ts-node").register({ transpileOnly: true, project: path.join(process.cwd(), "tsconfig.json") });
    }
    const provider = require(path.join(process.cwd(), source.modulePath))[source.exportName];
    if (!provider) throw new Error(`${source.modulePath} has no provider named ${source.exportName}`);
    return provider;
  };
  const provider: Record<string, unknown> = {};
  for (const method of METHODS) {
    if (typeof real[method] !== "function") continue;
    provider[method] = async (...args: unknown[]) => {
      const loaded = load();
      return loaded[method].call(loaded, ...args);
    };
  }
  return provider as unknown as pulumi.dynamic.ResourceProvider<Inputs, Outputs>;
}
