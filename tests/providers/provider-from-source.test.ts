// The stand-in each dynamic resource stores (providers/shared/provider-from-source.ts), run as the engine runs it: in a
// fresh Node process started in the program's directory, without ts-node, loaded with require-from-string.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { remoteStepProviderStored, type RemoteStepInputs } from "../../providers/remote-step";
import { SourceProvider } from "../../providers/shared/provider-from-source";
import { repoRoot } from "../../tools/paths";

function step(script: string): RemoteStepInputs {
  return {
    connection: { host: "192.0.2.1", port: 22, user: "root" } as RemoteStepInputs["connection"],
    node: "w1",
    step: "kernel modules",
    script,
    environment: {},
    files: [],
    undoScript: "",
    checkScript: "",
  };
}

/** Loads `serialized` in a new `node` started in `cwd` and prints what `call` (a function of `provider`) returns. */
function runInProviderProcess(cwd: string, serialized: string, call: string): string {
  const program = [
    'const load = require("require-from-string");',
    'const provider = load(require("fs").readFileSync(0, "utf8")).handler();',
    `Promise.resolve((${call})(provider)).then(`,
    "  (r) => console.log(JSON.stringify({ tsNodeBefore, result: r })),",
    "  (e) => { console.log(JSON.stringify({ tsNodeBefore, error: String(e.message) })); });",
  ].join("\n");
  return execFileSync(
    process.execPath,
    ["-e", `const tsNodeBefore = Boolean(require.extensions[".ts"]);\n${program}`],
    {
      cwd,
      input: serialized,
      encoding: "utf8",
    },
  );
}

describe("providers stored as stand-ins that load the source (provider-from-source.ts)", function () {
  this.timeout(60_000);
  let programDir: string;

  before(() => {
    // A program directory elsewhere, as the engine tests and a moved checkout have it: links to the source.
    programDir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-program-"));
    for (const entry of ["tsconfig.json", "providers", "ssh", "kubeadm", "config", "components", "node_modules"]) {
      fs.symlinkSync(path.join(repoRoot, entry), path.join(programDir, entry));
    }
  });
  after(() => fs.rmSync(programDir, { recursive: true, force: true }));

  it("runs the provider's own diff in a fresh process of the program's directory, compiling the source there", () => {
    const { text } = remoteStepProviderStored;
    const call = (news: RemoteStepInputs) =>
      `(p) => p.diff("w1/kernel modules", ${JSON.stringify(step("modprobe overlay"))}, ${JSON.stringify(news)})`;
    const same = JSON.parse(runInProviderProcess(programDir, text, call(step("modprobe overlay"))));
    assert.equal(same.tsNodeBefore, false, "the process starts without ts-node, as the engine's does");
    assert.deepEqual(same.result, { changes: false, replaces: [] });
    const changed = JSON.parse(runInProviderProcess(programDir, text, call(step("modprobe br_netfilter"))));
    assert.deepEqual(changed.result, { changes: true, replaces: [] });
  });

  it("names the module and provider when the source does not have it", () => {
    const { text } = new SourceProvider("providers/remote-step", "noSuchProvider", {
      create: async () => ({ id: "" }),
    });
    const out = JSON.parse(runInProviderProcess(programDir, text, `(p) => p.create({})`));
    assert.equal(out.error, "providers/remote-step has no provider named noSuchProvider");
  });

  it("gives only the methods the real provider has, so the engine's defaults apply to the rest", () => {
    const { text } = new SourceProvider("providers/x", "y", { create: async () => ({ id: "" }) });
    const out = JSON.parse(runInProviderProcess(programDir, text, `(p) => Object.keys(p)`));
    assert.deepEqual(out.result, ["create"]);
  });

  it("is a few hundred bytes of plain module text, the same for every resource", () => {
    assert.ok(remoteStepProviderStored.text.length < 2048, `${remoteStepProviderStored.text.length} bytes`);
    assert.match(remoteStepProviderStored.text, /^exports\.handler = /);
    assert.ok(remoteStepProviderStored.text.includes('"providers/remote-step", "remoteStepProvider"'));
  });
});
