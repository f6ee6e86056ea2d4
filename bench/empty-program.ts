// The baseline every figure of the lifecycle benchmark is held against: what the same engine, language host and
// backend take for a TypeScript program with nothing in it, on the same machine in the same run. Whatever our
// program takes beyond this is ours to remove; this much is Pulumi's own.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { repoRoot } from "../tools/paths";
import { engineEnv, pulumiCommand } from "../lab/engine";

export interface EmptyProgramTimes {
  up: number;
  preview: number;
  noChangeUp: number;
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await fn();
  return (Date.now() - started) / 1000;
}

export async function measureEmptyProgram(): Promise<EmptyProgramTimes> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-empty-"));
  try {
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      "name: empty\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
    );
    fs.writeFileSync(path.join(dir, "index.ts"), "export const answer = 42;\n");
    fs.writeFileSync(path.join(dir, "package.json"), '{ "name": "empty", "private": true, "main": "index.ts" }\n');
    fs.copyFileSync(path.join(repoRoot, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, ".state"));
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "bench", workDir: dir },
      { envVars: engineEnv(path.join(dir, ".state"), "bench"), pulumiCommand: await pulumiCommand() },
    );
    const up = await seconds(() => stack.up());
    const preview = await seconds(() => stack.preview());
    const noChangeUp = await seconds(() => stack.up());
    return { up, preview, noChangeUp };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
