// What engine tests add to the lab's engine (lab/engine.ts, which benchmarks use too): waiting, and the error of an
// operation that must fail.
import { strict as assert } from "assert";

export { DEMO_PASSPHRASE, engineEnv, engineProject, pulumiCommand, TEST_PASSPHRASE } from "../../lab/engine";
export type { EngineProject } from "../../lab/engine";

/** The error of an operation that must fail (the Automation API's CommandError carries stdout and stderr). */
export async function failure(operation: Promise<unknown>): Promise<string> {
  try {
    await operation;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  assert.fail("the operation succeeded, but it should have failed");
}

/** Waits that long: engine tests poll hosts and the API while an operation runs. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
