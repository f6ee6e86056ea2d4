// tools/test-summary: tools/test's closing line, read from mocha's summary in the run's log, with the exit status.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { repoRoot } from "../../tools/paths";

const script = join(repoRoot, "tools", "test-summary");
let dir: string;

function summary(status: number, log: string): string {
  const file = join(dir, "test.log");
  writeFileSync(file, log);
  return execFileSync(script, [String(status), file], { encoding: "utf8" }).trim();
}

const ESC = "\x1b";

describe("tools/test-summary", () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "test-summary-test-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("counts passed, failed and skipped from mocha's summary, colours and all", () => {
    const log = [
      "  config",
      `    ${ESC}[32m  ✔${ESC}[0m${ESC}[90m loads a stack${ESC}[0m`,
      "",
      `${ESC}[92m ${ESC}[0m${ESC}[32m 672 passing${ESC}[0m${ESC}[90m (26m)${ESC}[0m`,
      `${ESC}[36m ${ESC}[0m${ESC}[36m 26 pending${ESC}[0m`,
      `${ESC}[31m  2 failing${ESC}[0m`,
      "",
      "  1) config",
      "       fails:",
    ].join("\n");
    assert.equal(summary(1, log), "tests: 672 passed, 2 failed, 26 skipped, exit status 1");
  });

  it("counts skipped tests when nothing failed (mocha prints no failing line then)", () => {
    const log = "  0 passing (3ms)\n  22 pending\n";
    assert.equal(summary(0, log), "tests: 0 passed, 0 failed, 22 skipped, exit status 0");
  });

  it("reads a clean run", () => {
    assert.equal(summary(0, "  700 passing (25m)\n"), "tests: 700 passed, 0 failed, 0 skipped, exit status 0");
  });

  it("claims nothing about the tests when mocha stopped before its summary", () => {
    const crashed = "  config\n    ✔ loads a stack\n\n Exception during run: Error: Cannot find module 'x'\n";
    assert.equal(
      summary(1, crashed),
      "tests: passed, failed and skipped unknown (no mocha summary: the run stopped before it), exit status 1",
    );
    // The type check failed, so mocha never ran.
    assert.match(summary(2, "index.ts(3,1): error TS2304: Cannot find name 'x'.\n"), /unknown .*exit status 2$/);
  });

  it("reads only mocha's summary lines, not a test's output that looks like one", () => {
    const log = "  3 failing builds seen\n  1 passing\n  4 passing (2s)\n  1 pending\n";
    assert.equal(summary(0, log), "tests: 4 passed, 0 failed, 1 skipped, exit status 0");
  });
});
