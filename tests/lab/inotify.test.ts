// The inotify limits real nodes need: raised when below, never lowered.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureInotifyLimits } from "../../lab/hosts/inotify";

describe("lab: inotify limits for real nodes", () => {
  it("raises a limit below the minimum and leaves a higher one as it is", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inotify-"));
    try {
      const low = path.join(dir, "proc", "sys", "fs", "low");
      const high = path.join(dir, "high");
      fs.mkdirSync(path.dirname(low), { recursive: true });
      fs.writeFileSync(low, "128\n");
      fs.writeFileSync(high, "100000\n");
      const changed = ensureInotifyLimits({ [low]: 8192, [high]: 524288 / 8 });
      assert.equal(fs.readFileSync(low, "utf8"), "8192\n");
      assert.equal(fs.readFileSync(high, "utf8"), "100000\n");
      assert.equal(changed.length, 1);
      assert.match(changed[0], /128 -> 8192$/);
      assert.deepEqual(ensureInotifyLimits({ [low]: 8192 }), [], "nothing to do the second time");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
