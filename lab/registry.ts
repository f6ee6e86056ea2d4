// The registry mirror of a lab with real nodes: the distribution registry (Debian's docker-registry) in its own
// network namespace pk-<lab>-reg, on the lab's registry address, port 5000, serving the images tools/setup built (one storage
// directory, read-only, shared by every lab). The nodes reach it only through the product's mirror settings
// (imageRepository, addons.imageMirror, containerd.registryMirrors), as behind the seed's firewall; its access
// log (.lab/<name>/registry.log) shows every pull.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { repoRoot, toolCache } from "../tools/paths";
import { connectRegistry, labNetwork } from "./hosts/network";
import { isRunning, killAndWaitSync, readRecord, recordOf, writeRecord, type ProcessRecord } from "./hosts/processes";
import { labDir, REGISTRY_PORT, registryNs } from "./names";
import { sleep } from "./run";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";

/**
 * Where tools/setup pushed this checkout's images (lab/images/build-images.sh): the storage it names in
 * .tools/lab-images (one per set of build inputs, never rebuilt in place), else the one older set-ups rebuilt for
 * every checkout. The registries serve it read-only.
 */
export function imageStorage(): string {
  const pointer = path.join(repoRoot, ".tools", "lab-images");
  if (fs.existsSync(pointer)) return fs.readFileSync(pointer, "utf8").trim();
  return path.join(toolCache(), "lab-images", "storage");
}

const recordFile = (lab: string) => path.join(labDir(lab), "registry.json");
const configFile = (lab: string) => path.join(labDir(lab), "registry.yml");
export const registryLog = (lab: string) => path.join(labDir(lab), "registry.log");

export function isRegistryRunning(lab: string): boolean {
  return isRunning(readRecord(recordFile(lab)));
}

/** Starts the registry (and its namespace, when missing); resolves once it answers. */
export async function startRegistry(lab: string): Promise<{ address: string; port: number }> {
  stopRegistrySync(lab);
  const storage = imageStorage();
  if (!fs.existsSync(path.join(storage, "docker", "registry", "v2", "repositories"))) {
    throw new Error(`no lab images in ${storage}: run tools/setup (it builds them)`);
  }
  if (!fs.existsSync(REGISTRY_BINARY)) throw new Error(`${REGISTRY_BINARY} is missing: run tools/setup`);
  await connectRegistry(lab);
  const config = {
    version: 0.1,
    log: { level: "info", formatter: "text", accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: storage },
      // Shared by every lab: nothing may write to it, and nothing is ever purged.
      maintenance: { readonly: { enabled: true }, uploadpurging: { enabled: false } },
    },
    http: { addr: `${labNetwork(lab).registry}:${REGISTRY_PORT}` },
  };
  fs.writeFileSync(configFile(lab), stringify(config));
  const log = fs.openSync(registryLog(lab), "a");
  const child = spawn("ip", ["netns", "exec", registryNs(lab), REGISTRY_BINARY, "serve", configFile(lab)], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  child.unref();
  const record: ProcessRecord | undefined = child.pid !== undefined ? recordOf(child.pid) : undefined;
  if (!record) throw new Error(`lab ${lab}: the registry did not start (see ${registryLog(lab)})`);
  writeRecord(recordFile(lab), record);
  const deadline = Date.now() + 15_000;
  while (!/listening on/.test(readLog(lab))) {
    if (!isRunning(record) || Date.now() > deadline) {
      throw new Error(`lab ${lab}: the registry did not start listening: ${readLog(lab).trim() || "no output"}`);
    }
    await sleep(20);
  }
  return { address: labNetwork(lab).registry, port: REGISTRY_PORT };
}

function readLog(lab: string): string {
  try {
    return fs.readFileSync(registryLog(lab), "utf8");
  } catch {
    return "";
  }
}

export function stopRegistrySync(lab: string): void {
  const record = readRecord(recordFile(lab));
  if (record) killAndWaitSync([record]);
  fs.rmSync(recordFile(lab), { force: true });
}

export interface RegistryRequest {
  client: string;
  method: string;
  /** "/v2/<repository>/manifests/<reference>", without the query. */
  path: string;
  /** The registry the client meant (containerd's `ns` query parameter when it goes through a mirror). */
  ns?: string;
  status: number;
}

/** What the registry served, from its access log: who asked for which manifest or blob, and the answer. */
export function registryPulls(lab: string): RegistryRequest[] {
  const pulls: RegistryRequest[] = [];
  for (const line of readLog(lab).split("\n")) {
    // Combined log format: <ip> - - [date] "GET /v2/<repo>/manifests/<ref>?ns=<registry> HTTP/1.1" 200 ...
    const m = /^(\S+) .*"(GET|HEAD) (\/v2\/[^\s?]*)(?:\?(\S*))? HTTP\/[\d.]+" (\d{3})/.exec(line);
    if (!m) continue;
    const ns = new URLSearchParams(m[4] ?? "").get("ns") ?? undefined;
    pulls.push({ client: m[1], method: m[2], path: m[3], ns, status: Number(m[5]) });
  }
  return pulls;
}
