// The project's one quoting function: every value that reaches a remote shell goes through here.
// It sits in config/, the bottom layer, because config's own messages print commands to paste into a shell
// (ssh-keyscan, npm run validate); ssh/ and everything above take it from here.

/**
 * Quotes `value` as a single POSIX sh word that the shell passes on byte for byte.
 *
 * Every value is wrapped in single quotes, even "safe" looking ones: a bare word can still be a
 * reserved word (`if`), an assignment (`A=b`) or a glob, and one rule that always applies is easier
 * to trust than a list of exceptions. Inside single quotes nothing is special except the quote
 * itself, which is written as `'\''` (close, escaped quote, reopen).
 *
 * A NUL character throws: the kernel passes arguments as C strings, so no shell word can carry one
 * and silently truncating a value would run a different command than the caller asked for.
 *
 * Assumes the remote login shell parses single quotes as POSIX sh does (sh, dash, bash, zsh, ksh);
 * fish treats `\\` inside single quotes differently.
 */
export function shellQuote(value: string): string {
  if (value.includes("\0")) {
    throw new Error("shellQuote: the value contains a NUL character, which no shell argument can carry");
  }
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Joins `argv` into one command line in which each element stays exactly one word. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new Error("shellCommand: argv is empty");
  }
  return argv.map(shellQuote).join(" ");
}
