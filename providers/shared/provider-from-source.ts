// What a dynamic resource stores as its provider. pulumi.dynamic.Resource serializes the provider object it is
// given into every resource's inputs and outputs, copying by value every local module the object reaches: 80 to
// 190 KB of this project's code per resource, twice, rewritten with the whole checkpoint each time a resource
// completes, plus closure analysis in every run of the program (about 0.35 s for the first provider, then tenths).
// Instead, each resource stores the same few hundred bytes of module text: a stand-in whose methods load the real
// provider from the program's source when the provider process first calls them. The resources stay dynamic
// resources (`pulumi-nodejs:dynamic/...`, run by Pulumi's dynamic-provider process); only the text is ours.
//
// The provider process runs in the program's directory (the engine starts plugins there), so the source is found
// there, compiled by the ts-node the program itself runs with. One consequence, the same as for any Pulumi
// provider plugin: `destroy` and `refresh` run the program's current provider code on the outputs an older version
// stored, rather than the code stored with them. What must not change under a node (its reset script, a step's
// undo script) is therefore stored as data in its outputs, not taken from the code.
//
// For the same reason a module path and export name, once stored, must keep loading a provider for as long as a
// stack may hold them: a resource whose inputs do not change keeps the text it was created with. Moving a provider
// leaves a re-export at the old path (providers/kubeadm-init.ts and its two siblings);
// tests/providers/stored-provider-paths.test.ts lists every pair ever stored.
import * as pulumi from "@pulumi/pulumi";

const METHODS = ["check", "diff", "create", "read", "update", "delete"] as const;

/**
 * The stand-in, turned into text with Function.prototype.toString: it may use nothing but its arguments, `require`
 * and `process` (the module text the provider process loads has nothing else).
 */
function standIn(modulePath: string, exportName: string, methods: string[]): Record<string, unknown> {
  const load = (): Record<string, (...args: unknown[]) => unknown> => {
    const path = require("path");
    // The program's process has ts-node already; the provider process has not until this first call.
    if (!require.extensions[".ts"]) {
      require("ts-node").register({ transpileOnly: true, project: path.join(process.cwd(), "tsconfig.json") });
    }
    const provider = require(path.join(process.cwd(), modulePath))[exportName];
    if (!provider) throw new Error(`${modulePath} has no provider named ${exportName}`);
    return provider;
  };
  const provider: Record<string, unknown> = {};
  for (const method of methods) {
    provider[method] = async (...args: unknown[]) => {
      const loaded = load();
      return loaded[method].call(loaded, ...args);
    };
  }
  return provider;
}

/** A provider as the resources store it: module text whose `handler()` returns the stand-in. */
export class SourceProvider {
  /** What goes into each resource's `__provider`. */
  readonly text: string;

  /**
   * `exportName` of `modulePath` (relative to the program's directory, without extension). Only the methods `real`
   * has are given, so the engine's defaults apply to the others.
   */
  constructor(modulePath: string, exportName: string, real: object) {
    const methods = METHODS.filter((method) => typeof (real as Record<string, unknown>)[method] === "function");
    const args = [modulePath, exportName, methods].map((arg) => JSON.stringify(arg)).join(", ");
    this.text = `exports.handler = () => (${standIn.toString()})(${args});\n`;
  }
}

/**
 * A dynamic resource (type `pulumi-nodejs:dynamic/<module>:<type>`, as pulumi.dynamic.Resource names it) whose
 * stored provider is a SourceProvider's text.
 */
export class SourceProvidedResource extends pulumi.CustomResource {
  constructor(
    provider: SourceProvider,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions | undefined,
    module: string,
    type: string,
  ) {
    if ("__provider" in props) throw new Error("a dynamic resource must not define the __provider key");
    super(`pulumi-nodejs:dynamic/${module}:${type}`, name, { ...props, __provider: provider.text }, opts);
  }
}
