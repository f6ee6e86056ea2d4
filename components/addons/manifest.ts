// The add-on manifests are vendored under vendored/<addon>/ at the versions vendor.json pins, so a deployment
// downloads nothing. vendor.json records each file's sha256: a file edited by hand would silently diverge
// from the upstream release it claims to be, so it is refused until tools/vendor-addons is run again.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments, type DocumentOptions, type ParseOptions, type SchemaOptions } from "yaml";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export type AddonName = "flannel" | "dashboard" | "headlamp" | "rook-ceph";

export const ADDON_NAMES: readonly AddonName[] = ["flannel", "dashboard", "headlamp", "rook-ceph"];

/** A literal replacement applied to an upstream file while vendoring; `${version}` is the addon's version. */
export interface VendorPin {
  from: string;
  to: string;
  why?: string;
}

/** Where a file of a release that is not on the module proxy was copied from, and how the copy was changed. */
export interface CopiedFrom {
  repository: string;
  path: string;
  commit: string;
  /** sha256 of the copy as found; undoing `edits` on the vendored file gives it back. */
  sha256: string;
  edits: VendorPin[];
}

export interface VendoredFileEntry {
  /** Path of the file inside the upstream module (or repository). */
  from: string;
  sha256: string;
  pins?: VendorPin[];
  copiedFrom?: CopiedFrom;
}

export interface AddonLock {
  /** Go module that carries the release; absent when the release is not on the module proxy. */
  module?: string;
  version: string;
  /** The module's go.sum hash (h1:...), as `go mod download -json` reports it. */
  moduleSum?: string;
  /** Without a module: the upstream file, and why the module proxy cannot serve it. */
  upstream?: string;
  notOnModuleProxy?: string;
  files: Record<string, VendoredFileEntry>;
}

export interface VendorLock {
  addons: Record<AddonName, AddonLock>;
}

/** Where vendor.json and vendored/ live; tests pass a copy of this folder to loadManifestFrom. */
export const ADDONS_DIR = __dirname;

export function vendoredFilePath(root: string, addon: AddonName, file: string): string {
  return path.join(root, "vendored", addon, file);
}

export function sha256Hex(content: Buffer | string): string {
  return createHash("sha256").update(content).digest("hex");
}

export function readVendorLock(root: string = ADDONS_DIR): VendorLock {
  return JSON.parse(fs.readFileSync(path.join(root, "vendor.json"), "utf8")) as VendorLock;
}

function addonLock(lock: VendorLock, addon: AddonName): AddonLock {
  const entry = lock.addons[addon];
  if (!entry) throw new Error(`components/addons/vendor.json has no entry for the addon '${addon}'`);
  return entry;
}

/** The pinned upstream version of an addon, e.g. "v0.28.10". */
export function vendoredVersion(addon: AddonName): string {
  return addonLock(readVendorLock(), addon).version;
}

/** The vendored file names of an addon, in vendor.json's order. */
export function vendoredFiles(addon: AddonName, root: string = ADDONS_DIR): string[] {
  return Object.keys(addonLock(readVendorLock(root), addon).files);
}

/**
 * Parsed documents of one vendored file in file order (empty/null docs and `List` wrappers flattened), after
 * checking the file's sha256 against vendor.json (throws an error naming the file and `tools/vendor-addons` when
 * it was edited by hand). Returns fresh deep copies each call.
 */
export function loadManifest(addon: AddonName, file: string): KubeObject[] {
  return loadManifestFrom(ADDONS_DIR, addon, file);
}

// crds.yaml alone is about 1 MB: each content is parsed once per process, but checked at every call.
const parsedContents = new Map<string, KubeObject[]>();

/** loadManifest on the vendor.json and vendored/ under `root`. */
export function loadManifestFrom(root: string, addon: AddonName, file: string): KubeObject[] {
  const shown = `components/addons/vendored/${addon}/${file}`;
  const entry = addonLock(readVendorLock(root), addon).files[file];
  if (!entry) {
    throw new Error(
      `${shown} is not listed in components/addons/vendor.json: add it there and run tools/vendor-addons`,
    );
  }
  const content = fs.readFileSync(vendoredFilePath(root, addon, file));
  const actual = sha256Hex(content);
  if (actual !== entry.sha256) {
    throw new Error(
      `${shown} is not the vendored file: its sha256 is ${actual}, components/addons/vendor.json records ` +
        `${entry.sha256}. Do not edit vendored files: run tools/vendor-addons to restore it, or change the ` +
        `addon's version or pins in vendor.json and run tools/vendor-addons`,
    );
  }
  let objects = parsedContents.get(actual);
  if (!objects) {
    objects = parseKubeObjects(content.toString("utf8"), shown);
    parsedContents.set(actual, objects);
  }
  return structuredClone(objects);
}

// kubectl reads manifests with go-yaml's YAML 1.1 (0644 is octal, yes is true), but go-yaml knows neither
// sexagesimal numbers nor timestamps: 1:30 and 2024-01-01 stay strings, as they must for the API server.
const KUBERNETES_YAML: ParseOptions & DocumentOptions & SchemaOptions = {
  version: "1.1",
  customTags: (tags) =>
    tags.filter(
      (tag) => typeof tag === "string" || (tag.format !== "TIME" && tag.tag !== "tag:yaml.org,2002:timestamp"),
    ),
};

export function parseKubeObjects(text: string, shown: string): KubeObject[] {
  const objects: KubeObject[] = [];
  parseAllDocuments(text, KUBERNETES_YAML).forEach((document, index) => {
    if (document.errors.length > 0) {
      throw new Error(`${shown}: document ${index + 1} is not valid YAML: ${document.errors[0].message}`);
    }
    const value: unknown = document.toJS({ maxAliasCount: -1 });
    if (value === null || value === undefined) return;
    for (const object of flattenLists(value)) objects.push(asKubeObject(object, `${shown}: document ${index + 1}`));
  });
  return objects;
}

function flattenLists(value: unknown): unknown[] {
  if (isRecord(value) && value.kind === "List" && Array.isArray(value.items)) return value.items.flatMap(flattenLists);
  return [value];
}

function asKubeObject(value: unknown, where: string): KubeObject {
  const metadata = isRecord(value) ? value.metadata : undefined;
  if (
    !isRecord(value) ||
    typeof value.apiVersion !== "string" ||
    typeof value.kind !== "string" ||
    !isRecord(metadata) ||
    typeof metadata.name !== "string"
  ) {
    throw new Error(`${where} is not a Kubernetes object (apiVersion, kind and metadata.name are needed)`);
  }
  return value as KubeObject;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
