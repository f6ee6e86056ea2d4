// Where images and packages come from. Mirror settings that are subtly malformed are the classic
// "mirror has no effect" failure, which only shows up as a pull timeout on the nodes.
import { DEFAULTS } from "./schema";
import { parseHostPort } from "./addresses";
import { parseKubernetesVersion } from "./version";
import { arrayAt, recordAt, stringAt, type CheckContext } from "./raw-view";
import type { ConfigPath } from "./key-path";
import { hasControlCharacter, shownValue, type Findings } from "./problem";
import { looksLikeRegistry, PATH_COMPONENT } from "./image-reference";

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** `host` without a trailing :port (brackets of an IPv6 address kept). */
function withoutPort(host: string): string {
  return host.replace(/:[^:\]]*$/, "");
}

/**
 * Why `text` is not a registry host[:port] as containerd and image references name it, or undefined when it is;
 * worded without the value, which the message or its key path shows already.
 */
function registryHostProblem(text: string): string | undefined {
  if (SCHEME.test(text)) return "has a URL scheme";
  if (hasControlCharacter(text)) return "contains a line break or control character";
  if (/\s/.test(text)) return "contains whitespace";
  if (text.includes("/")) return "has a path";
  if (!("problem" in parseHostPort(text))) return undefined;
  return "problem" in parseHostPort(withoutPort(text))
    ? "is neither an IP address nor a DNS name"
    : "has a port that is not a number from 1 to 65535";
}

/** A registry host as containerd and image references name it: host[:port]. */
export function isRegistryHost(text: string): boolean {
  return registryHostProblem(text) === undefined;
}

/** The registry host[:port] `text` most likely meant, when dropping a scheme, a path or a bad port gives one. */
function nearestRegistryHost(text: string): string | undefined {
  const host = text.replace(SCHEME, "").replace(/\/.*$/, "");
  return [host, withoutPort(host)].find((candidate) => candidate !== "" && isRegistryHost(candidate));
}

/** Why `text` is not "host[:port][/path]" for kubeadm's imageRepository, or undefined when it is. */
export function imageRepositoryProblem(text: string): string | undefined {
  const example = "registry.aliyuncs.com/google_containers";
  if (SCHEME.test(text)) return `drop the URL scheme: write ${shownValue(text.replace(SCHEME, ""))}`;
  if (/\s/.test(text)) return "must not contain spaces";
  if (text.endsWith("/")) return `drop the trailing '/': write ${shownValue(text.replace(/\/+$/, ""))}`;
  if (text.includes("@")) return `is a registry path, not an image: drop the digest, e.g. ${example}`;
  const [host, ...path] = text.split("/");
  if (!looksLikeRegistry(host)) {
    return (
      `must start with the registry host, e.g. ${shownValue(`registry.example.com/${text}`)} ` +
      `(Docker Hub is ${shownValue(`docker.io/${text}`)})`
    );
  }
  const hostProblem = registryHostProblem(host);
  if (hostProblem) {
    const rest = path.map((component) => `/${component}`).join("");
    const nearest = nearestRegistryHost(host);
    const fix = nearest
      ? `write ${shownValue(nearest + rest)}`
      : `write the registry's DNS name or IP address, e.g. ${shownValue(`registry.example.com${rest}`)}`;
    return `does not start with a registry host[:port]: its first part ${hostProblem}; ${fix}`;
  }
  const last = path[path.length - 1];
  if (last?.includes(":")) {
    return (
      "must not have a tag: kubeadm appends image names and tags itself; " +
      `write ${shownValue(text.replace(/:[^/]*$/, ""))}`
    );
  }
  const bad = path.find((component) => !PATH_COMPONENT.test(component));
  if (bad !== undefined)
    return `path part ${shownValue(bad)} must be lowercase letters and digits, separated by '.', '_' or '-'`;
  return undefined;
}

function checkImageRepositories(ctx: CheckContext, findings: Findings): void {
  const locations: Array<{ path: ConfigPath; text: string | undefined }> = [
    { path: ["imageRepository"], text: stringAt(ctx.root, "imageRepository") },
    { path: ["addons", "imageMirror"], text: stringAt(recordAt(ctx.root, "addons"), "imageMirror") },
  ];
  for (const { path, text } of locations) {
    if (text === undefined || text === "") continue;
    const problem = imageRepositoryProblem(text);
    if (problem) findings.error(path, `${shownValue(text)} ${problem}`);
  }
}

function checkSandboxImage(ctx: CheckContext, findings: Findings): void {
  const text = stringAt(recordAt(ctx.root, "containerd"), "sandboxImage");
  if (text === undefined || text === "") return;
  const example = `${DEFAULTS.imageRepository}/pause:3.10.1`;
  const slash = text.lastIndexOf("/");
  const repository = slash < 0 ? undefined : text.slice(0, slash);
  const image = text.slice(slash + 1);
  const repositoryProblem = repository === undefined ? "has no registry" : imageRepositoryProblem(repository);
  if (repositoryProblem || !/^[a-z0-9._-]+(?::[\w.-]+|@sha256:[0-9a-f]{64})$/.test(image)) {
    findings.error(
      ["containerd", "sandboxImage"],
      `${shownValue(text)} is not a full image reference: write <registry>/pause:<tag>, e.g. ${example}`,
    );
  }
}

/** Why `text` is not an http(s) URL, or undefined when it is. */
export function httpUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not a URL: write it in full, e.g. https://mirrors.example.com/kubernetes/";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `must be an http:// or https:// URL`;
  if (url.hostname === "") return "has no host name";
  return undefined;
}

function checkUrl(findings: Findings, path: ConfigPath, text: string | undefined): void {
  if (text === undefined || text === "") return;
  const problem = httpUrlProblem(text);
  if (problem) findings.error(path, `${shownValue(text)} ${problem}`);
}

function checkPackageMirrors(ctx: CheckContext, findings: Findings): void {
  const packages = recordAt(ctx.root, "packages");
  const kubernetesVersion = parseKubernetesVersion(
    stringAt(ctx.root, "kubernetesVersion") ?? DEFAULTS.kubernetesVersion,
  );
  for (const manager of ["apt", "yum"] as const) {
    const settings = recordAt(packages, manager);
    for (const field of ["kubernetesRepository", "kubernetesKeyUrl", "containerdRepository"]) {
      checkUrl(findings, ["packages", manager, field], stringAt(settings, field));
    }
    // pkgs.k8s.io (and its mirrors) keep one repository per minor release; a repository for another
    // minor simply lacks the requested kubeadm package.
    const repository = stringAt(settings, "kubernetesRepository");
    const repositoryMinor = repository === undefined ? undefined : /\/v1\.(\d+)\//.exec(repository)?.[1];
    if (kubernetesVersion && repositoryMinor !== undefined && Number(repositoryMinor) !== kubernetesVersion.minor) {
      findings.warn(
        ["packages", manager, "kubernetesRepository"],
        `points at the v1.${repositoryMinor} repository, but kubernetesVersion is ` +
          `${kubernetesVersion.major}.${kubernetesVersion.minor}.${kubernetesVersion.patch}: that repository does ` +
          `not carry those packages; use the v1.${kubernetesVersion.minor} repository`,
      );
    }
  }
}

function checkRegistryMirrors(ctx: CheckContext, findings: Findings): void {
  const mirrors = recordAt(recordAt(ctx.root, "containerd"), "registryMirrors");
  if (!mirrors) return;
  for (const [registry, endpoints] of Object.entries(mirrors)) {
    const path = ["containerd", "registryMirrors", registry];
    const problem = registryHostProblem(registry);
    if (problem) {
      // The key path shows the registry already: the message says what is wrong with it and what to write.
      const nearest = nearestRegistryHost(registry);
      findings.error(
        path,
        `is not a registry host[:port]: it ${problem}, and the key names the registry being mirrored; ` +
          (nearest
            ? `rename it to ${shownValue(nearest)}`
            : "rename it to the mirrored registry's host[:port], e.g. 'docker.io' or 'registry.example.com:5000'"),
      );
    }
    if (Array.isArray(endpoints) && endpoints.length === 0) {
      findings.error(path, `lists no mirror endpoints: add at least one URL, or remove the key`);
    }
    arrayAt(mirrors, registry)?.forEach((endpoint, index) => {
      if (typeof endpoint === "string") checkUrl(findings, [...path, index], endpoint);
    });
  }
}

export function checkSources(ctx: CheckContext, findings: Findings): void {
  checkImageRepositories(ctx, findings);
  checkSandboxImage(ctx, findings);
  checkPackageMirrors(ctx, findings);
  checkRegistryMirrors(ctx, findings);
}
