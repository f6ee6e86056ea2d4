// The steps' shared helpers (components/host-prep/scripts/lib.sh) as one file on the host, written by its PreparedHost
// before any step runs and sourced by each step's command line. A Command keeps its command line twice in the state
// (inputs and outputs), and with the 9 KB of helpers inside every one of them they were most of a stack's state, which
// the engine rewrites whole as each resource starts and ends. The file is named by its content's digest: new helpers
// make a new command line for every step (each runs again, as when the helpers were inline), and a command never
// sources helpers other than the ones it was built with.
import { createHash } from "crypto";
import { posix } from "path";
import { shellQuote } from "../../config/quote";

/** The product's own directory: nothing else is ever in it. */
export const HELPERS_DIRECTORY = "/var/lib/pulumi-kubeadm-helpers";

/** The helpers' sha256, as `sha256sum` prints it: a refresh compares the host's file with it. */
export function helpersDigest(prelude: string): string {
  return createHash("sha256").update(prelude).digest("hex");
}

export function helpersPath(prelude: string): string {
  return posix.join(HELPERS_DIRECTORY, `lib-${helpersDigest(prelude).slice(0, 16)}.sh`);
}

/** The head of a step's script: the helpers, or a message that says what is missing and what puts it back. */
export function sourceHelpers(prelude: string): string {
  const path = helpersPath(prelude);
  const missing =
    `pulumi-kubeadm: ${path}, the helpers of the host's preparation steps, is missing: ` +
    "`pulumi refresh` finds it missing and the next `pulumi up` writes it again";
  return `if [ ! -r ${shellQuote(path)} ]; then echo ${shellQuote(missing)} >&2; exit 1; fi\n. ${shellQuote(path)}`;
}

/** After the helpers at `path` are written: the versions an earlier program wrote go. */
export function removeOtherHelpersScript(path: string): string {
  return `find ${shellQuote(HELPERS_DIRECTORY)} -maxdepth 1 -type f -name 'lib-*.sh' ! -name ${shellQuote(posix.basename(path))} -delete`;
}

/** At delete, once every step is undone: the helpers and their directory. */
export function removeHelpersScript(path: string): string {
  return `rm -f ${shellQuote(path)} && { rmdir ${shellQuote(HELPERS_DIRECTORY)} 2>/dev/null || true; }`;
}

/** Prints the helpers' digest as `sha256sum` does, or nothing when the file is not there. */
export function helpersDigestScript(path: string): string {
  return `if [ -r ${shellQuote(path)} ]; then sha256sum < ${shellQuote(path)}; fi`;
}
