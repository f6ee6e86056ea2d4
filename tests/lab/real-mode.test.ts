// The lab's opt-in real-control-plane mode (lab/README.md, "Real mode"): what the doubles refuse or pass on in
// it, without a lab (tests/engine/addons-lab.test.ts and real-control-plane.test.ts run the mode end to end).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DoublesLab } from "./doubles-harness";

describe("lab doubles in real-control-plane mode", function () {
  let lab: DoublesLab;

  beforeEach(() => {
    lab = new DoublesLab("ubuntu");
    fs.writeFileSync(path.join(lab.root, "settings.json"), JSON.stringify({ controlPlane: "real" }));
  });

  afterEach(() => lab.cleanup());

  it("leaves the default mode alone without the setting", function () {
    fs.rmSync(path.join(lab.root, "settings.json"));
    const real = require("../../lab/doubles/lib/kube/real.js");
    const saved = process.env.LAB_ROOT;
    process.env.LAB_ROOT = lab.root;
    try {
      assert.equal(real.enabled(), false);
      fs.writeFileSync(path.join(lab.root, "settings.json"), JSON.stringify({ controlPlane: "real" }));
      assert.equal(real.enabled(), true);
    } finally {
      if (saved === undefined) delete process.env.LAB_ROOT;
      else process.env.LAB_ROOT = saved;
    }
  });
});
