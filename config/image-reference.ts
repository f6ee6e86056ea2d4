// Image references as Docker reads them, and the one rule that moves an image to a mirror registry: behind a
// firewall every image the program names outside kubeadm's (kube-vip's, the add-ons') comes from one registry that
// holds the upstream repositories under their upstream paths, so only the registry part changes. In config/, as
// resolving the configuration mirrors kube-vip's image; components/addons/image-mirror.ts applies it to manifests.

export interface ImageReference {
  /** Registry host with optional port, e.g. "quay.io" or "localhost:5000"; "docker.io" for Docker Hub. */
  registry: string;
  /** Repository path inside the registry, e.g. "ceph/ceph" or "library/busybox". */
  path: string;
  /** ":tag", "@sha256:...", both or nothing, exactly as written. */
  tagAndDigest: string;
}

const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, "index.docker.io", "registry-1.docker.io"]);
/** One path component of an image name, per the distribution reference grammar. */
export const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]+$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?$/;

/** Docker's rule: the first component names a registry only when it looks like a host. */
export function looksLikeRegistry(component: string): boolean {
  return component === "localhost" || component.includes(".") || component.includes(":");
}

export function parseImageReference(ref: string): ImageReference {
  const invalid = (why: string) => new Error(`'${ref}' is not an image reference: ${why}`);
  const at = ref.indexOf("@");
  const digest = at === -1 ? "" : ref.slice(at + 1);
  const nameAndTag = at === -1 ? ref : ref.slice(0, at);
  if (at !== -1 && !DIGEST.test(digest)) throw invalid(`'${digest}' is not a digest`);
  const colon = nameAndTag.lastIndexOf(":");
  const hasTag = colon > nameAndTag.lastIndexOf("/");
  const tag = hasTag ? nameAndTag.slice(colon + 1) : "";
  if (hasTag && !TAG.test(tag)) throw invalid(`'${tag}' is not a tag`);
  const components = (hasTag ? nameAndTag.slice(0, colon) : nameAndTag).split("/");
  const explicitRegistry = components.length > 1 && looksLikeRegistry(components[0]);
  const registry = explicitRegistry ? (components.shift() as string) : DOCKER_HUB;
  if (explicitRegistry && !HOST.test(registry)) throw invalid(`'${registry}' is not a registry host`);
  if (!components.every((component) => PATH_COMPONENT.test(component))) {
    throw invalid("the repository path needs lowercase letters, digits and separators");
  }
  // Docker Hub's official images live under library/: busybox is docker.io/library/busybox.
  if (DOCKER_HUB_ALIASES.has(registry) && components.length === 1) components.unshift("library");
  return {
    registry: DOCKER_HUB_ALIASES.has(registry) ? DOCKER_HUB : registry,
    path: components.join("/"),
    tagAndDigest: (hasTag ? `:${tag}` : "") + (at === -1 ? "" : `@${digest}`),
  };
}

function checkedMirror(mirror: string): string {
  const trimmed = mirror.replace(/\/+$/, "");
  const [host, ...prefix] = trimmed.split("/");
  // Without a dot, port or "localhost" the mirror's first part would read as a Docker Hub user, not a registry.
  if (!HOST.test(host) || !looksLikeRegistry(host) || !prefix.every((part) => PATH_COMPONENT.test(part))) {
    throw new Error(
      `'${mirror}' is not a registry mirror: write a registry host with optional port and path, such as ` +
        `registry.example.com or registry.example.com:5000/mirror (no https://)`,
    );
  }
  return trimmed;
}

/**
 * Replaces the registry of one image reference by `mirror` (a registry host with optional port and path prefix,
 * e.g. "registry.example.com:5000/mirror"), keeping repository path, tag and digest. Docker Hub short names are
 * expanded first (busybox -> library/busybox; kubernetesui/dashboard -> kubernetesui/dashboard).
 */
export function mirrorImage(ref: string, mirror: string): string {
  const target = checkedMirror(mirror);
  // A reference already inside the mirror stays as it is, so rewriting twice changes nothing.
  if (ref.startsWith(`${target}/`)) return ref;
  const { path, tagAndDigest } = parseImageReference(ref);
  return `${target}/${path}${tagAndDigest}`;
}
