import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { existsSync, mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import fc from "fast-check";
import { shellCommand, shellQuote } from "../../config/quote";

const SHELLS = ["/bin/sh", "/bin/bash"];

/** Pieces that mean something to a shell, so generated strings hit them far more often than chance. */
const SHELL_SYNTAX = [
  "'",
  '"',
  "$(",
  ")",
  "`",
  "\n",
  "\r",
  "\\",
  "\\\\",
  "*",
  "?",
  "[a]",
  "~",
  "-",
  "--",
  " ",
  "\t",
  "$HOME",
  "${x}",
  "$1",
  "$@",
  "!",
  ";",
  "&",
  "&&",
  "|",
  "<",
  ">",
  "#",
  "%",
  "=",
  "{",
  "}",
  "'\\''",
  "é",
  "😀",
  "\u00a0",
];

const nonNul = (s: string) => !s.includes("\0");
const shellish = fc
  .oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: "binary-ascii", maxLength: 40 }),
    fc
      .array(fc.oneof(fc.constantFrom(...SHELL_SYNTAX), fc.string({ maxLength: 3 })), { maxLength: 12 })
      .map((parts) => parts.join("")),
  )
  .filter(nonNul);

function printThrough(shell: string, script: string): Buffer {
  return execFileSync(shell, ["-c", script]);
}

describe("shellQuote", () => {
  it("passes any string through dash and bash unchanged, byte for byte", () => {
    fc.assert(
      fc.property(shellish, (value) => {
        for (const shell of SHELLS) {
          const printed = printThrough(shell, `printf '%s' ${shellQuote(value)}`);
          assert.deepEqual(printed, Buffer.from(value, "utf8"), `${shell} changed ${JSON.stringify(value)}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("survives a second level of quoting, as in sudo -n sh -c <quoted command>", () => {
    fc.assert(
      fc.property(shellish, (value) => {
        const inner = `printf '%s' ${shellQuote(value)}`;
        const printed = printThrough("/bin/sh", `sh -c ${shellQuote(inner)}`);
        assert.deepEqual(printed, Buffer.from(value, "utf8"));
      }),
      { numRuns: 100 },
    );
  });

  it("quotes the empty string as a word of its own", () => {
    assert.equal(shellQuote(""), "''");
    const count = printThrough("/bin/sh", `set -- ${shellQuote("")} ${shellQuote("")}; printf '%s' "$#"`);
    assert.equal(count.toString(), "2");
  });

  it("rejects a NUL, which no shell argument can carry", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (before, after) => {
        assert.throws(() => shellQuote(`${before}\0${after}`), /NUL/);
      }),
      { numRuns: 50 },
    );
  });

  it("never executes what it quotes", () => {
    const dir = mkdtempSync(join(tmpdir(), "quote-canary-"));
    try {
      const canaries = ["a", "b", "c", "d", "e"].map((name) => join(dir, name));
      const attempts = [
        `$(touch ${canaries[0]})`,
        `\`touch ${canaries[1]}\``,
        `'; touch ${canaries[2]}; '`,
        `"; touch ${canaries[3]}; "`,
        `\n touch ${canaries[4]}`,
      ];
      for (const shell of SHELLS) {
        for (const attempt of attempts) {
          assert.equal(printThrough(shell, `printf '%s' ${shellQuote(attempt)}`).toString(), attempt);
        }
      }
      for (const canary of canaries) {
        assert.equal(existsSync(canary), false, `${canary} was created: quoted text was executed`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("shellCommand", () => {
  it("keeps each element exactly one argument", () => {
    // Prints each argument NUL-terminated, so word splitting or globbing would show as extra or
    // merged entries.
    const printArgs = `for a do printf '%s\\0' "$a"; done`;
    fc.assert(
      fc.property(fc.array(shellish, { maxLength: 6 }), (args) => {
        const command = shellCommand(["sh", "-c", printArgs, "sh", ...args]);
        const printed = printThrough("/bin/bash", command).toString("utf8");
        const expected = args.map((a) => `${a}\0`).join("");
        assert.equal(printed, expected);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses an empty argv rather than producing an empty command", () => {
    assert.throws(() => shellCommand([]), /empty/);
  });
});
