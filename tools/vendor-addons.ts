// tools/vendor-addons [--check] [addon...]: fetches each addon's release from the Go module proxy at the version
// components/addons/vendor.json pins, copies the listed files into components/addons/vendored/<addon>/, applies
// the pins and records every file's sha256 and the module's go.sum hash back into vendor.json.
// --check downloads into an empty module cache (so the proxy and the checksum database are really asked) and
// only compares. GOPROXY, GOFLAGS, GONOSUMDB and friends are honoured because `go` itself does the download.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  ADDON_NAMES,
  ADDONS_DIR,
  readVendorLock,
  sha256Hex,
  vendoredFilePath,
  type AddonLock,
  type AddonName,
  type VendorLock,
  type VendorPin,
} from "../components/addons/manifest";

const USAGE = `usage: tools/vendor-addons [--check] [${ADDON_NAMES.join("|")}...]`;
const LOCK_PATH = path.join(ADDONS_DIR, "vendor.json");

interface DownloadedModule {
  dir: string;
  sum: string;
}

class Run {
  problems: string[] = [];
  changes: string[] = [];
  lockChanged = false;
  constructor(readonly check: boolean) {}
  problem(text: string): void {
    this.problems.push(text);
    console.log(`  problem: ${text}`);
  }
  change(text: string): void {
    this.changes.push(text);
    console.log(`  ${this.check ? "differs" : "updated"}: ${text}`);
  }
}

function download(module: string, version: string, modCache: string | undefined): DownloadedModule {
  // An empty working directory keeps a go.mod or go.work around the caller out of the way.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "vendor-addons-"));
  const env = { ...process.env, GOWORK: "off", ...(modCache ? { GOMODCACHE: modCache } : {}) };
  let output: string;
  try {
    output = execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], { cwd, env, encoding: "utf8" });
  } catch (error) {
    const failed = error as { code?: string; stdout?: string; stderr?: string };
    if (failed.code === "ENOENT") {
      throw new Error("'go' is not on PATH: the modules are fetched with `go mod download`", { cause: error });
    }
    // go reports a failed download as JSON with an Error field on stdout, read below.
    output = failed.stdout || "";
    if (!output.trim()) {
      throw new Error(`go mod download ${module}@${version} failed: ${failed.stderr ?? error}`, { cause: error });
    }
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
  const result = JSON.parse(output) as { Dir?: string; Sum?: string; Error?: string };
  if (result.Error || !result.Dir || !result.Sum) {
    throw new Error(`go mod download ${module}@${version}: ${result.Error ?? "no Dir or Sum in its answer"}`);
  }
  return { dir: result.Dir, sum: result.Sum };
}

/** Each pin must match exactly once: otherwise upstream changed the file and the pin needs a look. */
export function applyPins(content: string, pins: VendorPin[], version: string, where: string): string {
  let result = content;
  for (const pin of pins) {
    const from = pin.from.split("${version}").join(version);
    const to = pin.to.split("${version}").join(version);
    const count = result.split(from).length - 1;
    if (count !== 1) {
      throw new Error(
        `pin ${JSON.stringify(from)} matches ${count} times in ${where} (expected once): upstream changed the ` +
          `file; update the pin in components/addons/vendor.json`,
      );
    }
    result = result.replace(from, () => to);
  }
  return result;
}

function vendorModuleAddon(run: Run, name: AddonName, addon: AddonLock, modCache: string | undefined): void {
  const module = addon.module as string;
  console.log(`  downloading ${module}@${addon.version} with go mod download`);
  const downloaded = download(module, addon.version, modCache);
  console.log(`  module sum ${downloaded.sum}`);
  if (addon.moduleSum !== downloaded.sum) {
    run.change(`${name}: moduleSum ${addon.moduleSum || "(none)"} -> ${downloaded.sum}`);
    addon.moduleSum = downloaded.sum;
    run.lockChanged = true;
  }
  for (const [file, entry] of Object.entries(addon.files)) {
    const source = path.join(downloaded.dir, entry.from);
    const where = `${module}@${addon.version}/${entry.from}`;
    if (!fs.existsSync(source)) {
      run.problem(`${where} does not exist: upstream moved it; fix the file's "from" in vendor.json`);
      continue;
    }
    const content = applyPins(fs.readFileSync(source, "utf8"), entry.pins ?? [], addon.version, where);
    const target = vendoredFilePath(ADDONS_DIR, name, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
    const hash = sha256Hex(content);
    const pinned = entry.pins?.length ? ` (${entry.pins.length} pin${entry.pins.length > 1 ? "s" : ""})` : "";
    const contentChanged = current !== content;
    if (!contentChanged && entry.sha256 === hash) {
      console.log(`  unchanged: vendored/${name}/${file}${pinned} sha256 ${hash}`);
      continue;
    }
    const what = contentChanged ? `content from ${where}${pinned}` : "recorded sha256";
    const sha = entry.sha256 === hash ? `sha256 ${hash}` : `sha256 ${entry.sha256 || "(none)"} -> ${hash}`;
    run.change(`vendored/${name}/${file}: ${what}, ${sha}`);
    if (!run.check && contentChanged) fs.writeFileSync(target, content);
    run.lockChanged ||= entry.sha256 !== hash;
    entry.sha256 = hash;
  }
}

/** A release that is not on the module proxy cannot be fetched again: only its recorded sha256 is checked. */
function verifyCopiedAddon(run: Run, name: AddonName, addon: AddonLock): void {
  console.log(`  not on the Go module proxy: verifying the vendored copy only (see vendor.json for its origin)`);
  for (const [file, entry] of Object.entries(addon.files)) {
    const target = vendoredFilePath(ADDONS_DIR, name, file);
    if (!fs.existsSync(target)) {
      run.problem(`vendored/${name}/${file} is missing and cannot be re-fetched: restore it from git`);
      continue;
    }
    const content = fs.readFileSync(target, "utf8");
    const hash = sha256Hex(content);
    const copy = entry.copiedFrom;
    if (copy) {
      // Undoing the recorded edits must give back the copy that was found, or the record does not hold.
      const found = copy.edits.reduce((text, edit) => text.replace(edit.to, () => edit.from), content);
      if (sha256Hex(found) !== copy.sha256) {
        run.problem(`vendored/${name}/${file} minus its recorded edits is not the copy from ${copy.repository}`);
      } else {
        console.log(
          `  is ${copy.repository}@${copy.commit.slice(0, 12)}:${copy.path} with ${copy.edits.length} edit(s)`,
        );
      }
    }
    if (!entry.sha256 && !run.check) {
      run.change(`vendored/${name}/${file}: sha256 recorded as ${hash}`);
      entry.sha256 = hash;
      run.lockChanged = true;
    } else if (entry.sha256 !== hash) {
      run.problem(
        `vendored/${name}/${file} has sha256 ${hash}, vendor.json records ${entry.sha256}: restore it from git`,
      );
    } else {
      console.log(`  unchanged: vendored/${name}/${file} sha256 ${hash}`);
    }
  }
}

function reportUnlisted(run: Run, name: AddonName, addon: AddonLock): void {
  const folder = path.join(ADDONS_DIR, "vendored", name);
  const listed = new Set(Object.keys(addon.files));
  for (const file of fs.existsSync(folder) ? fs.readdirSync(folder) : []) {
    if (!listed.has(file)) run.problem(`vendored/${name}/${file} is not listed in vendor.json: list it or delete it`);
  }
}

async function writeLock(lock: VendorLock): Promise<void> {
  // The repository's formatter has the last word on layout, so `prettier --check` stays quiet after a run.
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(LOCK_PATH)) ?? {};
  fs.writeFileSync(LOCK_PATH, await prettier.format(JSON.stringify(lock), { ...options, filepath: LOCK_PATH }));
}

function withTemporaryModCache<T>(use: boolean, body: (modCache: string | undefined) => T): T {
  if (!use) return body(undefined);
  const modCache = fs.mkdtempSync(path.join(os.tmpdir(), "vendor-addons-modcache-"));
  try {
    return body(modCache);
  } finally {
    // The module cache is read-only by design; go itself knows how to remove it.
    try {
      execFileSync("go", ["clean", "-modcache"], { env: { ...process.env, GOMODCACHE: modCache }, stdio: "ignore" });
    } catch {
      // Removing what is left below is enough when go cannot.
    }
    fs.rmSync(modCache, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<number> {
  const check = args.includes("--check");
  const names = args.filter((arg) => arg !== "--check");
  const unknown = names.filter((name) => name.startsWith("-") || !ADDON_NAMES.includes(name as AddonName));
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(", ")}\n${USAGE}`);
    return 2;
  }
  const lock = readVendorLock();
  const run = new Run(check);
  withTemporaryModCache(check, (modCache) => {
    for (const name of names.length > 0 ? (names as AddonName[]) : ADDON_NAMES) {
      const addon = lock.addons[name];
      console.log(`${name} ${addon.version}`);
      try {
        if (addon.module) vendorModuleAddon(run, name, addon, modCache);
        else verifyCopiedAddon(run, name, addon);
      } catch (error) {
        run.problem((error as Error).message);
      }
      reportUnlisted(run, name, addon);
    }
  });
  if (!check && run.lockChanged) {
    await writeLock(lock);
    console.log(`wrote components/addons/vendor.json`);
  }
  const verb = check ? "differ from upstream" : "changed";
  console.log(`${run.changes.length} ${verb}, ${run.problems.length} problem(s)`);
  return run.problems.length > 0 || (check && run.changes.length > 0) ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`error: ${error.message}`);
      process.exit(1);
    },
  );
}
