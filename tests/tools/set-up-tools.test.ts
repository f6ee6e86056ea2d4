// tests/support/set-up-tools.ts: a tool the set-up provides that is missing fails a full run's test and skips elsewhere.
import { strict as assert } from "assert";
import { FULL_TEST_ENV, requireSetUpTool } from "../support/set-up-tools";

const SKIPPED = new Error("skipped");
const context = {
  skip: () => {
    throw SKIPPED;
  },
} as unknown as Mocha.Context;

function withEnvironment(values: Record<string, string | undefined>, fn: () => void): void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(values);
  try {
    fn();
  } finally {
    apply(saved);
  }
}

describe("requireSetUpTool (tests/support/set-up-tools.ts)", () => {
  const missing = "/nonexistent/pulumi-kubeadm-test/kubeadm";

  it("gives the tool's path when it is there", () => {
    withEnvironment({ [FULL_TEST_ENV]: "1" }, () =>
      assert.equal(requireSetUpTool(context, "sh", "/bin/sh"), "/bin/sh"),
    );
  });

  it("fails under tools/test, naming the tool, where it was looked for and tools/setup", () => {
    withEnvironment({ [FULL_TEST_ENV]: "1", CI: undefined }, () =>
      assert.throws(
        () => requireSetUpTool(context, "kubeadm 1.35.4", missing),
        (error: Error) =>
          error !== SKIPPED &&
          /kubeadm 1\.35\.4 is missing/.test(error.message) &&
          error.message.includes(missing) &&
          error.message.includes("tools/setup"),
      ),
    );
  });

  it("fails under CI=true too", () => {
    withEnvironment({ [FULL_TEST_ENV]: undefined, CI: "true" }, () =>
      assert.throws(() => requireSetUpTool(context, "sudo", missing), /sudo is missing/),
    );
  });

  it("skips when a developer runs the test without the set-up", () => {
    const log = console.log;
    // The skip's note belongs in a skipped test's output, not in this one's.
    console.log = () => undefined;
    try {
      withEnvironment({ [FULL_TEST_ENV]: undefined, CI: undefined }, () =>
        assert.throws(
          () => requireSetUpTool(context, "sudo", missing),
          (error) => error === SKIPPED,
        ),
      );
    } finally {
      console.log = log;
    }
  });
});
