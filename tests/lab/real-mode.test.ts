// The lab's opt-in real-control-plane mode (lab/README.md, "Real mode"): what the doubles refuse or pass on in
// it, without a lab (tests/engine/addons-lab.test.ts runs the mode end to end).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DOUBLES, DoublesLab } from "./doubles-harness";

const KUBEADM = path.join(DOUBLES, "packages", "kubeadm", "usr", "bin", "kubeadm");

describe("lab doubles in real-control-plane mode", function () {
  let lab: DoublesLab;

  beforeEach(() => {
    lab = new DoublesLab("ubuntu");
    fs.writeFileSync(path.join(lab.root, "settings.json"), JSON.stringify({ controlPlane: "real" }));
  });

  afterEach(() => lab.cleanup());

  it("refuses a control-plane join with a clear error", function () {
    const r = lab.run(KUBEADM, [
      "join",
      "198.18.0.2:6443",
      "--token",
      "abcdef.0123456789abcdef",
      "--discovery-token-unsafe-skip-ca-verification",
      "--control-plane",
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /joining a control-plane node is not supported with the real control plane/);
    assert.equal(r.stdout, "", "nothing ran before the refusal");
  });

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
