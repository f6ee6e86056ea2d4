// What engine tests add to the lab's stack (lab/lab-stack.ts, which benchmarks use too): each case's engine output
// kept, and listings compared line by line.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import type { LabStack } from "../../lab/lab-stack";

export { LabStack } from "../../lab/lab-stack";
export { LAB_MIRRORS } from "../../lab/stack-config";
export type { LabStackOptions, StoredResource } from "../../lab/lab-stack";

/**
 * PK_TEST_OUTPUT_DIR=<dir> keeps each case's engine output there (`<prefix>-<title>.log`), to read what the user would
 * have seen. Call it inside a describe; `current` gives the suite's stack (undefined before it started).
 */
export function keepCaseOutput(prefix: string, current: () => LabStack | undefined): void {
  let from = 0;
  beforeEach(() => {
    from = current()?.output.length ?? 0;
  });
  afterEach(function () {
    const dir = process.env.PK_TEST_OUTPUT_DIR;
    const lab = current();
    const title = this.currentTest?.title ?? "case";
    if (dir && lab) fs.writeFileSync(path.join(dir, `${prefix}-${title.slice(0, 40)}.log`), lab.output.slice(from));
  });
}

/**
 * Two listings (LabStack.listing, LabStack.snapshot) are the same; when not, the message shows only the lines one has
 * and the other lacks, not thousands of equal ones.
 */
export function assertSameLines(actual: string, expected: string, message: string): void {
  if (actual === expected) return;
  const count = (text: string) => {
    const counts = new Map<string, number>();
    for (const line of text.split("\n")) counts.set(line, (counts.get(line) ?? 0) + 1);
    return counts;
  };
  const [now, before] = [count(actual), count(expected)];
  const only = (a: Map<string, number>, b: Map<string, number>) =>
    [...a].filter(([line, n]) => n > (b.get(line) ?? 0)).map(([line]) => line);
  const added = only(now, before).map((line) => `+ ${line}`);
  const removed = only(before, now).map((line) => `- ${line}`);
  const lines = [...removed, ...added];
  assert.fail(`${message}:\n${lines.length > 0 ? lines.slice(0, 60).join("\n") : "(same lines, in another order)"}`);
}
