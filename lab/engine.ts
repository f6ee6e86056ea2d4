// The real Pulumi engine for tests and benchmarks: the CLI built by tools/setup, driven through the Automation API,
// on a copy of this project in a temporary directory with its own file backend, so their stacks never touch the
// repository's stacks/ folder or its .pulumi state.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { pinnedVersions, repoRoot, toolCache } from "../tools/paths";

/** The files and folders that make up the Pulumi program (everything index.ts can reach). */
const PROGRAM_ENTRIES = [
  "Pulumi.yaml",
  "package.json",
  "tsconfig.json",
  "index.ts",
  "config",
  "components",
  "providers",
  "ssh",
  "kubeadm",
  "tools",
  "node_modules",
];

export const TEST_PASSPHRASE = "pulumi-kubeadm-test";
/** The passphrase of the committed demo stacks (stacks/Pulumi.dev.yaml): their secrets were made with it. */
export const DEMO_PASSPHRASE = "pulumi-kubeadm-dev";

export interface EngineProject {
  dir: string;
  /** The pulumi executable the Automation API runs, for tests that start (and kill) the CLI themselves. */
  cliPath: string;
  /** The environment the CLI runs with (backend, passphrase, PATH), to add to process.env. */
  cliEnv: Record<string, string>;
  /** Runs the pulumi CLI in the project with the test backend, returning stdout. */
  cli(args: string[]): string;
  /**
   * Points the project at another tree of the program (a release's, unpacked), as a user upgrading the program
   * would: the stacks and their state stay; node_modules stays this checkout's.
   */
  useProgram(root: string): void;
  /** Creates (or selects) a stack whose config file is the given YAML text. */
  stack(name: string, stackFileYaml: string): Promise<Stack>;
  remove(): void;
}

export async function pulumiCommand(): Promise<PulumiCommand> {
  const root = path.join(toolCache(), `pulumi-v${pinnedVersions().PULUMI_VERSION}`);
  if (fs.existsSync(path.join(root, "bin", "pulumi"))) {
    return PulumiCommand.get({ root, skipVersionCheck: false });
  }
  // A user's own installation (tools/setup left it in place).
  return PulumiCommand.get({ skipVersionCheck: true });
}

export function engineEnv(backendDir: string, passphrase: string): Record<string, string> {
  const versions = pinnedVersions();
  const cliBin = path.join(toolCache(), `pulumi-v${versions.PULUMI_VERSION}`, "bin");
  return {
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // The suite type-checks the program itself (tsc --noEmit); the engine only transpiles, as with tools/env.sh.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // The language host and the dynamic-provider shim sit beside the CLI; pulumi-resource-kubernetes (the
    // add-ons) is in Pulumi's plugin cache (tools/setup), not on PATH, where the engine would warn at each use.
    PATH: `${cliBin}:${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`,
  };
}

/** The program's files in dir, from root (node_modules from this checkout: a release tree has none). */
function linkProgram(dir: string, root: string): void {
  for (const entry of PROGRAM_ENTRIES) {
    const source = path.join(entry === "node_modules" ? repoRoot : root, entry);
    const target = path.join(dir, entry);
    fs.rmSync(target, { force: true });
    if (!fs.existsSync(source)) continue;
    if (entry === "Pulumi.yaml") fs.copyFileSync(source, target);
    else fs.symlinkSync(source, target);
  }
}

export async function engineProject(passphrase = TEST_PASSPHRASE, programRoot = repoRoot): Promise<EngineProject> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-engine-"));
  linkProgram(dir, programRoot);
  fs.mkdirSync(path.join(dir, "stacks"));
  const backendDir = path.join(dir, ".state");
  fs.mkdirSync(backendDir);
  const pulumi = await pulumiCommand();
  const envVars = engineEnv(backendDir, passphrase);

  return {
    dir,
    cliPath: pulumi.command,
    cliEnv: envVars,
    cli(args) {
      return execFileSync(pulumi.command, args, {
        cwd: dir,
        env: { ...process.env, ...envVars },
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
      });
    },
    useProgram(root) {
      linkProgram(dir, root);
    },
    async stack(name, stackFileYaml) {
      fs.writeFileSync(path.join(dir, "stacks", `Pulumi.${name}.yaml`), stackFileYaml);
      return LocalWorkspace.createOrSelectStack({ stackName: name, workDir: dir }, { envVars, pulumiCommand: pulumi });
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
