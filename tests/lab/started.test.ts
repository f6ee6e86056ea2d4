// lab/started.ts: the note of which labs a process started, that the leftover check of a test process reads so that
// it blames only its own labs (tests/support/no-leftovers.ts).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { noteLabBlock, noteLabStarted, readStartedLabs, STARTED_LABS_ENV } from "../../lab/started";

describe("lab/started: which labs a process started", () => {
  let dir: string;
  let saved: string | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "started-labs-test-"));
    saved = process.env[STARTED_LABS_ENV];
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[STARTED_LABS_ENV];
    else process.env[STARTED_LABS_ENV] = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("notes each start and each block claimed in the file the environment names", () => {
    const file = path.join(dir, "started");
    process.env[STARTED_LABS_ENV] = file;
    noteLabStarted("faults");
    noteLabBlock("faults", 3);
    noteLabStarted("netone");
    const started = readStartedLabs(file);
    assert.deepEqual([...started.names].sort(), ["faults", "netone"]);
    assert.deepEqual([...started.blocks], [3]);
  });

  it("notes nothing when no file is named, and reads a file never written as nothing started", () => {
    delete process.env[STARTED_LABS_ENV];
    noteLabStarted("faults");
    assert.deepEqual(fs.readdirSync(dir), []);
    const started = readStartedLabs(path.join(dir, "never"));
    assert.equal(started.names.size + started.blocks.size, 0);
  });
});
