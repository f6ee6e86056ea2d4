// `npm run validate -- <stack name or path>`: checks a stack's configuration without Pulumi, so that
// mistakes are found before any host is touched. Exit 0 valid, 1 invalid, 2 usage error.
import * as path from "path";
import { loadFromStackFile, StackFileNotFoundError } from "./load-stack-file";

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  cwd: string;
  repoRoot?: string;
}

const USAGE = "usage: npm run validate -- <stack name, e.g. dev | path to a Pulumi.<stack>.yaml file>";

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

export function main(args: string[], io: CliIo): number {
  if (args.length !== 1 || args[0] === "" || args[0] === "-h" || args[0] === "--help") {
    io.stderr(USAGE);
    return 2;
  }
  let loaded;
  try {
    loaded = loadFromStackFile(args[0], io.repoRoot, io.cwd);
  } catch (error) {
    if (error instanceof StackFileNotFoundError) {
      io.stderr(`error: ${error.message}`);
      io.stderr(USAGE);
      return 2;
    }
    throw error;
  }
  const shownPath = displayPath(loaded.file, io.cwd);
  const { result } = loaded;
  for (const warning of result.warnings) io.stderr(`warning: ${warning.key}: ${warning.message}`);
  if (!result.ok) {
    for (const problem of result.problems) io.stderr(`error: ${problem.key}: ${problem.message}`);
    io.stderr(`${shownPath}: invalid (${plural(result.problems.length, "error")})`);
    return 1;
  }
  const spec = loaded.spec;
  const shape = spec
    ? ` (${plural(spec.controlPlane.length, "control-plane node")}, ${plural(spec.workers.length, "worker")})`
    : "";
  io.stdout(`${shownPath}: valid${shape}`);
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    // npm runs scripts from the package root; INIT_CWD is where the user typed the command,
    // which is what a relative path on the command line is relative to.
    cwd: process.env.INIT_CWD ?? process.cwd(),
  });
}
