// Tests that need a tool tools/setup builds or installs (kubeadm, sudo, ...). tools/test runs the set-up first and
// then sets PULUMI_KUBEADM_FULL_TEST=1, so there a missing tool is the set-up's failure and the test fails, naming
// the tool: a check silently skipped is no check. A developer running one file without the set-up gets a skip that
// says how to get the tool. CI=true counts as a full run too, as it always has.
import * as fs from "fs";

export const FULL_TEST_ENV = "PULUMI_KUBEADM_FULL_TEST";

function fullTestRun(): boolean {
  return process.env[FULL_TEST_ENV] === "1" || process.env.CI === "true";
}

/** `file` if it exists; otherwise fails the test under a full run and skips it elsewhere. */
export function requireSetUpTool(context: Mocha.Context, tool: string, file: string): string {
  if (fs.existsSync(file)) return file;
  const message = `${tool} is missing (expected at ${file}); run tools/setup, which builds or installs it`;
  if (fullTestRun()) throw new Error(`${message} (${FULL_TEST_ENV}=1 or CI=true: a full run needs every tool)`);
  console.log(`      skipped: ${message}`);
  context.skip();
}
