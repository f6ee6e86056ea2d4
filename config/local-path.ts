// Files named in the config (ssh.privateKeyFile, hostsFile) live on the machine running Pulumi. One
// rule for every such path: `~` is the home directory, a relative path is relative to the project
// directory (the one holding Pulumi.yaml), so a stack reads the same files wherever it is run from.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The absolute path a config value names. */
export function localPath(written: string, baseDir: string): string {
  if (written === "~") return os.homedir();
  if (written.startsWith("~/")) return path.join(os.homedir(), written.slice(2));
  return path.resolve(baseDir, written);
}

export type LocalFile = { ok: true; file: string; text: string } | { ok: false; file: string; reason: string };

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "does not exist";
    case "EACCES":
    case "EPERM":
      return "cannot be read (permission denied)";
    case "EISDIR":
      return "is a directory, not a file";
    case "ENOTDIR":
      return "does not exist (a part of the path is not a directory)";
    default:
      return `cannot be read (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** Reads the file a config value names, or says why it cannot be read (never with its content). */
export function readLocalFile(written: string, baseDir: string): LocalFile {
  const file = localPath(written, baseDir);
  try {
    return { ok: true, file, text: fs.readFileSync(file, "utf8") };
  } catch (error) {
    return { ok: false, file, reason: reasonOf(error) };
  }
}
