// npm run test:unit: every test file, in two lanes: mocha's parallel mode with two worker processes, each running
// one file at a time and taking the next file in the list below when it is done. The suite's time is its engine
// tests', each starting a lab of real sshd/containerd/kubelet hosts and driving the real Pulumi engine: they mostly
// wait (the machine's 2 cores were 40 to 50% busy during one), so two at once nearly halve the suite. Two labs run
// side by side safely: each claims an address block of its own (lab/names.ts), the test files' labs have names of
// their own, and the leftover check blames a worker only for its own labs (tests/support/no-leftovers.ts).
//
// The rest of .mocharc.json holds (ts-node, the leftover check as a root hook plugin, which mocha runs around each
// file in parallel mode). Running one file is still `npx mocha <file>`, serial, with .mocharc.json: this config names
// every file itself, and mocha would add a file given on the command line to them.
const fs = require("fs");
const path = require("path");
const base = require("./.mocharc.json");

/**
 * Longest first, so that the two lanes end together (longest-processing-time-first scheduling): the files that run
 * longer than about 30 s, by the seconds each took in a serial run on the 2-core machine (2026-12-07, 2,608 s in
 * all). Every other file follows in path order; they are short (a lab test 15 s, ~780 unit tests ~60 s together)
 * and fill in behind. A file named here that no longer exists fails the run: keep the list in step.
 */
const LONGEST_FIRST = [
  "tests/engine/ha.test.ts", // 990 s (alone, with its upgrade of three control planes)
  "tests/engine/upgrade.test.ts", // 426
  "tests/engine/ca-migration.test.ts", // 420 (beside another lab; added 2026-12-07)
  "tests/engine/repair.test.ts", // 318
  "tests/engine/addons-lab.test.ts", // 254
  "tests/engine/faults.test.ts", // 250
  "tests/engine/real-nodes.test.ts", // 181
  "tests/engine/lifecycle.test.ts", // 158
  "tests/engine/ha-kube-vip.test.ts", // 136
  "tests/engine/demo.test.ts", // 103
  "tests/host-prep/steps-on-hosts.test.ts", // 33
  "tests/providers/kubeadm-lab.test.ts", // 30
  "tests/host-prep/rhel-security-on-hosts.test.ts", // 29
];

function testFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? testFiles(path.join(dir, entry.name))
        : entry.name.endsWith(".test.ts")
          ? [path.join(dir, entry.name)]
          : [],
    );
}

const all = testFiles(path.join(__dirname, "tests"))
  .map((file) => path.relative(__dirname, file))
  .sort();
const missing = LONGEST_FIRST.filter((file) => !all.includes(file));
if (missing.length > 0) throw new Error(`.mocharc.lanes.js names test files that do not exist: ${missing.join(", ")}`);

module.exports = {
  ...base,
  parallel: true,
  jobs: 2,
  spec: [...LONGEST_FIRST, ...all.filter((file) => !LONGEST_FIRST.includes(file))].map((file) =>
    path.join(__dirname, file),
  ),
};
