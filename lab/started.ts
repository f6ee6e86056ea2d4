// Which labs a process started, for whoever asked: when PULUMI_KUBEADM_STARTED_LABS names a file, every lab start
// (startLab, in this process or in any process it runs: `lab up`, tools/demo) adds a line to it, and so does the
// block its switch claims. The test suite's leftover check (tests/support/no-leftovers.ts) reads it, so that a test
// process blames only labs it started, not those of another test process running beside it.
import * as fs from "fs";

export const STARTED_LABS_ENV = "PULUMI_KUBEADM_STARTED_LABS";

export interface StartedLabs {
  names: Set<string>;
  blocks: Set<number>;
}

function note(line: string): void {
  const file = process.env[STARTED_LABS_ENV];
  // One short line with O_APPEND: lines of processes writing at once do not mix.
  if (file) fs.appendFileSync(file, `${line}\n`);
}

/** A lab start: called before it creates anything. */
export function noteLabStarted(lab: string): void {
  note(`lab ${lab}`);
}

/** The address block a lab's switch claimed (lab/hosts/network.ts). */
export function noteLabBlock(lab: string, block: number): void {
  note(`block ${lab} ${block}`);
}

/** What the file holds; empty when it does not exist (nothing started yet). */
export function readStartedLabs(file: string): StartedLabs {
  const started: StartedLabs = { names: new Set(), blocks: new Set() };
  let text = "";
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  for (const line of text.split("\n")) {
    const [kind, lab, block] = line.split(" ");
    if (kind === "lab" && lab) started.names.add(lab);
    if (kind === "block" && lab && block !== undefined) {
      started.names.add(lab);
      started.blocks.add(Number(block));
    }
  }
  return started;
}
