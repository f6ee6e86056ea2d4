// Every (module path, export name) a resource has stored as its provider (shared/provider-from-source.ts), those of
// stacks created before providers/ was sorted by resource first. Delete and refresh load the provider from what the
// state stored, so each pair must keep loading a provider, in a fresh process as the engine's has it.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { certificateRenewalProvider } from "../../providers/certificate-renewal";
import { clusterCaProvider } from "../../providers/cluster-ca";
import { kubeadmControlPlaneJoinProvider } from "../../providers/control-plane-join";
import { kubeadmInitProvider } from "../../providers/master-node";
import { preparedHostProvider } from "../../providers/prepared-host";
import { remoteStepProvider } from "../../providers/remote-step";
import { SourceProvider } from "../../providers/shared/provider-from-source";
import { kubeadmJoinProvider } from "../../providers/worker-join";
import { repoRoot } from "../../tools/paths";

const EVER_STORED: [string, string, object][] = [
  ["providers/kubeadm-init", "kubeadmInitProvider", kubeadmInitProvider],
  ["providers/kubeadm-join", "kubeadmJoinProvider", kubeadmJoinProvider],
  ["providers/kubeadm-control-plane-join", "kubeadmControlPlaneJoinProvider", kubeadmControlPlaneJoinProvider],
  ["providers/remote-step", "remoteStepProvider", remoteStepProvider],
  ["providers/cluster-ca", "clusterCaProvider", clusterCaProvider],
  ["providers/certificate-renewal", "certificateRenewalProvider", certificateRenewalProvider],
  ["providers/master-node", "kubeadmInitProvider", kubeadmInitProvider],
  ["providers/worker-join", "kubeadmJoinProvider", kubeadmJoinProvider],
  ["providers/control-plane-join", "kubeadmControlPlaneJoinProvider", kubeadmControlPlaneJoinProvider],
  ["providers/prepared-host", "preparedHostProvider", preparedHostProvider],
];

function methods(provider: object): string[] {
  return Object.keys(provider)
    .filter((key) => typeof (provider as Record<string, unknown>)[key] === "function")
    .sort();
}

/**
 * Loads the stand-in stored for (modulePath, exportName) in a new `node` started in the program's directory,
 * without ts-node, has it load the provider with a first call (its arguments are beside the point: only loading
 * is), and prints the methods of what that path exports under that name.
 */
function loadInProviderProcess(modulePath: string, exportName: string, stored: string): string[] {
  const program = [
    'const path = require("path");',
    'const standIn = require("require-from-string")(require("fs").readFileSync(0, "utf8")).handler();',
    `const [modulePath, exportName] = ${JSON.stringify([modulePath, exportName])};`,
    "Promise.resolve()",
    '  .then(() => standIn[Object.keys(standIn)[0]]("id", undefined, undefined))',
    "  .catch((error) => {",
    "    if (/has no provider named|Cannot find module/.test(String(error.message))) throw error;",
    "  })",
    "  .then(() => {",
    "    const provider = require(path.join(process.cwd(), modulePath))[exportName];",
    "    const methods = Object.keys(provider).filter((key) => typeof provider[key] === 'function').sort();",
    "    console.log(JSON.stringify(methods));",
    "  })",
    "  .catch((error) => { console.log(JSON.stringify({ error: String(error.message) })); });",
  ].join("\n");
  const out = execFileSync(process.execPath, ["-e", program], { cwd: repoRoot, input: stored, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop() ?? "null");
}

describe("provider paths stacks have stored", function () {
  this.timeout(120_000);

  for (const [modulePath, exportName, current] of EVER_STORED) {
    it(`${modulePath} ${exportName} still loads a provider with the same methods`, () => {
      const { text } = new SourceProvider(modulePath, exportName, current);
      assert.deepEqual(loadInProviderProcess(modulePath, exportName, text), methods(current));
    });
  }
});
