// Reads, from kubeadm's own source, what config/kubeadm-facts.ts records per Kubernetes minor, and prints the
// table to paste there. The source is k8s.io/kubernetes from the Go module proxy (the one network this project
// may use); each minor's newest release is read unless versions are given.
//
//   npx ts-node tools/read-kubeadm-facts.ts [v1.36.3 ...]
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { KubeadmFacts, RuntimeConfigCheck } from "../config/kubeadm-facts";

const MODULE = "k8s.io/kubernetes";

function goModuleDownload(version: string): string {
  // Outside any module, so the project's go.mod files (under tools/go) play no part.
  const output = execFileSync("go", ["mod", "download", "-json", `${MODULE}@${version}`], {
    cwd: os.tmpdir(),
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod" },
  });
  const dir = (JSON.parse(output) as { Dir?: string; Error?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${MODULE}@${version} gave no source directory: ${output}`);
  return dir;
}

function constant(source: string, name: string, file: string): string {
  const match = new RegExp(`^\\s*${name}\\s*=\\s*"([^"]+)"`, "m").exec(source);
  if (!match) throw new Error(`${name} is not a string constant in ${file}: kubeadm's source changed shape`);
  return match[1];
}

/** The body of the first `if !ok {` after `marker`, up to its closing brace. */
function blockAfter(source: string, marker: string): string | undefined {
  const start = source.indexOf("if !ok {", source.indexOf(marker));
  if (start < 0) return undefined;
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    if (source[i] === "{") depth++;
    if (source[i] === "}" && --depth === 0) return source.slice(start, i + 1);
  }
  return undefined;
}

function runtimeConfigCheck(
  checksGo: string,
  file: string,
): Pick<KubeadmFacts, "runtimeConfigCheck" | "runtimeConfigErrorFrom"> {
  const marker = "IsRuntimeConfigImplemented()";
  if (!checksGo.includes(marker)) return { runtimeConfigCheck: "none" };
  const block = blockAfter(checksGo, marker);
  if (!block) throw new Error(`${file} calls ${marker} without the 'if !ok' block this reader knows`);
  let check: RuntimeConfigCheck;
  if (/errorList\s*=\s*append/.test(block)) check = "error";
  else if (/warnings\s*=\s*append/.test(block)) check = "warning";
  else throw new Error(`${file}: the runtime-config block neither warns nor fails`);
  const errorFrom = /return an error once the kubelet version is (\d+\.\d+) or higher/.exec(block)?.[1];
  return { runtimeConfigCheck: check, ...(errorFrom ? { runtimeConfigErrorFrom: errorFrom } : {}) };
}

/** The facts of one release, from its source tree. */
export function readKubeadmFacts(sourceDir: string, version: string): KubeadmFacts {
  const constantsFile = path.join(sourceDir, "cmd/kubeadm/app/constants/constants.go");
  const checksFile = path.join(sourceDir, "cmd/kubeadm/app/preflight/checks.go");
  const constants = fs.readFileSync(constantsFile, "utf8");
  return {
    readFrom: version,
    pauseTag: constant(constants, "PauseVersion", constantsFile),
    etcdVersion: constant(constants, "DefaultEtcdVersion", constantsFile),
    ...runtimeConfigCheck(fs.readFileSync(checksFile, "utf8"), checksFile),
  };
}

export function readKubeadmFactsFromProxy(version: string): KubeadmFacts {
  return readKubeadmFacts(goModuleDownload(version), version);
}

/** Each minor's newest release that the proxy serves, from `minMinor` on. */
function newestReleases(minMinor: number): string[] {
  const listed = execFileSync("go", ["list", "-m", "-versions", MODULE], {
    cwd: os.tmpdir(),
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod" },
  });
  const newest = new Map<number, { patch: number; version: string }>();
  for (const version of listed.trim().split(/\s+/).slice(1)) {
    const match = /^v1\.(\d+)\.(\d+)$/.exec(version);
    if (!match) continue;
    const [minor, patch] = [Number(match[1]), Number(match[2])];
    if (minor < minMinor) continue;
    if ((newest.get(minor)?.patch ?? -1) < patch) newest.set(minor, { patch, version });
  }
  return [...newest.entries()].sort(([a], [b]) => a - b).map(([, v]) => v.version);
}

if (require.main === module) {
  const versions = process.argv.length > 2 ? process.argv.slice(2) : newestReleases(30);
  const lines = versions.map((version) => {
    const minor = Number(version.split(".")[1]);
    return `  ${minor}: ${JSON.stringify(readKubeadmFactsFromProxy(version))},`;
  });
  console.log(`export const KUBEADM_FACTS: Readonly<Record<number, KubeadmFacts>> = {\n${lines.join("\n")}\n};`);
}
