// .mocharc.lanes.js, npm run test:unit's config: every test file once, the long ones first, in two parallel lanes.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../../tools/paths";

interface LanesConfig {
  parallel: boolean;
  jobs: number;
  spec: string[];
  require: string[];
}

/** Every test file under `dir`, found another way than the config finds them (node's recursive readdir). */
function testFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((file) => file.endsWith(".test.ts"))
    .map((file) => path.join(dir, file));
}

describe(".mocharc.lanes.js (npm run test:unit)", () => {
  const config = require(path.join(repoRoot, ".mocharc.lanes.js")) as LanesConfig;
  const base = JSON.parse(fs.readFileSync(path.join(repoRoot, ".mocharc.json"), "utf8")) as { require: string[] };

  it("runs every test file exactly once", () => {
    assert.equal(new Set(config.spec).size, config.spec.length, "no file twice");
    assert.deepEqual([...config.spec].sort(), testFiles(path.join(repoRoot, "tests")).sort());
  });

  it("starts with the longest files, the engine tests, in two lanes with .mocharc.json's root hook", () => {
    assert.equal(config.parallel, true);
    assert.equal(config.jobs, 2);
    assert.deepEqual(config.require, base.require);
    // The list's measured seconds (its comments) go down: longest first is what makes the two lanes end together.
    const listed = [
      ...fs.readFileSync(path.join(repoRoot, ".mocharc.lanes.js"), "utf8").matchAll(/^ {2}"(\S+)", \/\/ (\d+)/gm),
    ];
    const seconds = listed.map((m) => Number(m[2]));
    assert.deepEqual(
      seconds,
      [...seconds].sort((a, b) => b - a),
      `not longest first: ${seconds.join(", ")}`,
    );
    assert.equal(path.relative(repoRoot, config.spec[0]), listed[0][1]);
    const firstOther = config.spec.findIndex((file) => !file.includes(`${path.sep}engine${path.sep}`));
    assert.ok(firstOther >= 9, `the nine long engine files come first (the first other file is #${firstOther})`);
  });
});
