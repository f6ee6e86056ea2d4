// The fast tier's guard (.mocharc.fast.yml): every test file outside the folders and files that config leaves
// out lands in `npm run test:fast`, so a test that starts the lab, the Pulumi engine or a real sshd and was not
// listed there would make the tier slow and dependent on the set-up without anyone noticing. Such a test fails to
// load here instead, naming the module that gave it away.
import * as nodeModule from "module";
import * as path from "path";
import { fileURLToPath } from "url";
import { repoRoot } from "../../tools/paths";

const fullTierOnly = [
  "lab/",
  "tests/lab/",
  "tests/support/engine.ts",
  "tests/support/lab-shell.ts",
  "tests/support/lab-stack.ts",
  "tests/support/sshd.ts",
];

function repoPath(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  const relative = path.relative(repoRoot, fileURLToPath(url));
  return relative.startsWith("..") ? undefined : relative.split(path.sep).join("/");
}

// module.registerHooks came with Node.js 22.15; tools/env.sh puts a newer Node first on PATH.
if (typeof nodeModule.registerHooks !== "function") {
  throw new Error(`the fast tier needs Node.js >= 22.15 (this is ${process.version}): source tools/env.sh first`);
}

nodeModule.registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const target = repoPath(resolved.url);
    if (target !== undefined && fullTierOnly.some((prefix) => target.startsWith(prefix))) {
      const importer = context.parentURL ? repoPath(context.parentURL) : undefined;
      throw new Error(
        `${importer ?? "a test"} loads ${target}, which starts the lab, the engine or a real sshd: add the test ` +
          `file that loads it to "ignore" in .mocharc.fast.yml (tools/test still runs it)`,
      );
    }
    return resolved;
  },
});
