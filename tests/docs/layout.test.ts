// The layers the README describes, kept true by the code: index.ts -> components/ -> providers/ -> kubeadm/, ssh/
// -> config/, every arrow pointing down, and no import cycle anywhere. A newcomer reads a folder knowing that
// nothing below it depends on it; a cycle would make that false without any single import looking wrong.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { repoRoot } from "../../tools/paths";

const SOURCE_ROOTS = [
  "index.ts",
  "config",
  "ssh",
  "kubeadm",
  "providers",
  "components",
  "lab",
  "tools",
  "bench",
  "tests",
];
// The lab doubles' commands have no extension and are left out: they find their modules through LAB_ROOT at run
// time, which no reader of the text can follow, and as entry points nothing imports they can close no cycle.
const SOURCE_FILE = /\.(ts|js|mjs|cjs)$/;
const PRODUCT = ["index", "config", "ssh", "kubeadm", "providers", "components"];

/** For each folder, the folders its files must not import from. */
const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  config: ["ssh", "kubeadm", "providers", "components", "index"],
  ssh: ["providers", "components", "index"],
  kubeadm: ["providers", "components", "index"],
  providers: ["components", "index"],
  components: ["index"],
  bench: ["tests"],
};
// What runs in a user's `pulumi up` must not lean on what only developers have.
const NOT_FOR_PRODUCT = ["tests", "lab", "bench", "tools"];

function forbiddenFor(folder: string): readonly string[] {
  return [...(FORBIDDEN[folder] ?? []), ...(PRODUCT.includes(folder) ? NOT_FOR_PRODUCT : [])];
}

/** Repository-relative paths with forward slashes, as messages show them. */
function relative(file: string): string {
  return path.relative(repoRoot, file).split(path.sep).join("/");
}

/** "index" for index.ts, otherwise the top-level folder. */
function folderOf(file: string): string {
  const first = relative(file).split("/")[0];
  return first === "index.ts" ? "index" : first;
}

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (entry: string) => {
    const stat = fs.statSync(entry);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(entry)) {
        if (name !== "node_modules") walk(path.join(entry, name));
      }
    } else if (SOURCE_FILE.test(entry) && !entry.endsWith(".d.ts")) {
      files.push(entry);
    }
  };
  for (const root of SOURCE_ROOTS) walk(path.join(repoRoot, root));
  return files.sort();
}

function isRequireCall(node: ts.Node): node is ts.CallExpression {
  return ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "require";
}

/**
 * Every module a file names with a string literal: import and export declarations (type-only ones too, as they
 * still make one folder depend on another), `import x = require(...)`, `import("...")` in code and in types, and
 * `require("...")` wherever it stands, since a require inside a function is how a cycle hides from a reader.
 */
function specifiersIn(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const take = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) specifiers.push(node.text);
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      take(node.moduleSpecifier);
    } else if (ts.isExternalModuleReference(node)) {
      take(node.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      take(node.argument.literal);
    } else if (
      isRequireCall(node) ||
      (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
    ) {
      take(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  allowJs: true,
  resolveJsonModule: true,
};

interface ImportGraph {
  /** File -> the repository files it imports (packages and Node built-ins left out). */
  edges: Map<string, string[]>;
  /** Relative imports that name no file: the graph would silently miss an edge. */
  unresolved: string[];
}

function importGraph(): ImportGraph {
  const edges = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of sourceFiles()) {
    const targets: string[] = [];
    for (const specifier of specifiersIn(file, fs.readFileSync(file, "utf8"))) {
      if (!specifier.startsWith(".")) continue;
      const resolved = ts.resolveModuleName(specifier, file, COMPILER_OPTIONS, ts.sys).resolvedModule;
      if (resolved === undefined) {
        unresolved.push(`${relative(file)} imports "${specifier}"`);
      } else if (!resolved.isExternalLibraryImport) {
        targets.push(path.resolve(resolved.resolvedFileName));
      }
    }
    edges.set(file, [...new Set(targets)]);
  }
  return { edges, unresolved };
}

/** Strongly connected components (Tarjan): each one with two or more files, or one importing itself, is a cycle. */
function cycles(edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (file: string) => {
    index.set(file, index.size);
    lowLink.set(file, index.get(file) as number);
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file) ?? []) {
      if (!index.has(target)) {
        connect(target);
        lowLink.set(file, Math.min(lowLink.get(file) as number, lowLink.get(target) as number));
      } else if (onStack.has(target)) {
        lowLink.set(file, Math.min(lowLink.get(file) as number, index.get(target) as number));
      }
    }
    if (lowLink.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || (edges.get(file) ?? []).includes(file)) found.push(component.sort());
    }
  };
  for (const file of edges.keys()) {
    if (!index.has(file)) connect(file);
  }
  return found;
}

/** One closed path through a cycle's files, "a -> b -> a", so the message shows which imports to look at. */
function pathThrough(component: string[], edges: Map<string, string[]>): string {
  const members = new Set(component);
  const start = component[0];
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const target of edges.get(file) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const steps = [start];
        for (let at = file; at !== start; at = cameFrom.get(at) as string) steps.unshift(at);
        steps.unshift(start);
        return steps.map(relative).join(" -> ");
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, file);
        queue.push(target);
      }
    }
  }
  return component.map(relative).join(", ");
}

describe("layout: layers point down, no import cycles", () => {
  const graph = importGraph();

  it("reads every kind of import, lazy requires too, and resolves them (the graph builder itself works)", () => {
    const text = [
      'import type { A } from "./types";',
      'export * from "./again";',
      'type M = typeof import("./typed");',
      'function late() { return require("./late"); }',
      "const shown = \"require('./in-a-string')\";",
    ].join("\n");
    assert.deepEqual(specifiersIn("example.ts", text).sort(), ["./again", "./late", "./typed", "./types"]);
    const importsOfIndex = graph.edges.get(path.join(repoRoot, "index.ts")) ?? [];
    assert.ok(
      importsOfIndex.includes(path.join(repoRoot, "components", "cluster.ts")),
      "index.ts -> components/cluster.ts",
    );
    assert.deepEqual(graph.unresolved, [], "every relative import names a file");
  });

  it("has every import point down the layers", () => {
    const violations: string[] = [];
    for (const [file, targets] of graph.edges) {
      const forbidden = forbiddenFor(folderOf(file));
      for (const target of targets) {
        if (forbidden.includes(folderOf(target))) {
          violations.push(
            `${relative(file)} imports ${relative(target)} (${folderOf(file)}/ may not import from ${folderOf(target)}/)`,
          );
        }
      }
    }
    assert.deepEqual(violations, [], `imports that point up or out of the product:\n  ${violations.join("\n  ")}`);
  });

  it("has no import cycle", () => {
    const found = cycles(graph.edges).map(
      (component) => `${component.map(relative).join(", ")}; for example ${pathThrough(component, graph.edges)}`,
    );
    assert.deepEqual(found, [], `import cycles:\n  ${found.join("\n  ")}`);
  });
});
