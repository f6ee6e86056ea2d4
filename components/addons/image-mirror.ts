// Behind a firewall every add-on image comes from one mirror registry that holds the upstream repositories
// under their upstream paths: only the registry part of each image reference changes.
import type { KubeObject } from "./manifest";

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
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]+$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?$/;

/** Docker's rule: the first component names a registry only when it looks like a host. */
function isRegistryHost(component: string): boolean {
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
  const explicitRegistry = components.length > 1 && isRegistryHost(components[0]);
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
  if (!HOST.test(host) || !isRegistryHost(host) || !prefix.every((part) => PATH_COMPONENT.test(part))) {
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

interface ImageSlot {
  readonly image: string;
  replace(image: string): void;
}

// Where each workload kind keeps its pod spec.
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ["spec"],
  PodTemplate: ["template", "spec"],
  Deployment: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  ReplicationController: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};
const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"];

/**
 * Settings that name an image by convention: Rook's ROOK_CSI_*_IMAGE keys (in rook-ceph-operator-config or as
 * operator env) and any other *_IMAGE key.
 */
function isImageKey(key: string): boolean {
  return key.endsWith("_IMAGE");
}

/** ceph-csi-operator's ImageSet ConfigMap (rook-csi-operator-image-set-configmap): every value is an image. */
function isImageSet(object: KubeObject): boolean {
  return object.metadata.name.includes("image-set");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

// Plain data is copied; anything else a caller put into an object (a pulumi.Output, say) is shared as it is,
// where structuredClone would throw on it.
function copyPlainData<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyPlainData) as T;
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyPlainData(item)])) as T;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringSlot(holder: Record<string, unknown>, key: string): ImageSlot[] {
  const image = holder[key];
  if (typeof image !== "string" || image === "") return [];
  return [{ image, replace: (replacement) => (holder[key] = replacement) }];
}

function containerSlots(container: Record<string, unknown>): ImageSlot[] {
  const env = Array.isArray(container.env) ? container.env : [];
  const envSlots = env.flatMap((entry) => {
    const variable = record(entry);
    return variable && typeof variable.name === "string" && isImageKey(variable.name)
      ? stringSlot(variable, "value")
      : [];
  });
  return [...stringSlot(container, "image"), ...envSlots];
}

function podSpecSlots(object: KubeObject): ImageSlot[] {
  let spec: Record<string, unknown> | undefined = object;
  for (const key of POD_SPEC_PATHS[object.kind] ?? []) spec = record(spec?.[key]);
  if (!spec || spec === object) return [];
  const podSpec = spec;
  return CONTAINER_LISTS.flatMap((list) => (Array.isArray(podSpec[list]) ? podSpec[list] : []))
    .map(record)
    .flatMap((container) => (container ? containerSlots(container) : []));
}

function configMapSlots(object: KubeObject): ImageSlot[] {
  const data = record(object.data);
  if (!data) return [];
  const everyValue = isImageSet(object);
  return Object.keys(data).flatMap((key) => (everyValue || isImageKey(key) ? stringSlot(data, key) : []));
}

function imageSlots(object: KubeObject): ImageSlot[] {
  if (object.kind === "ConfigMap" && object.apiVersion === "v1") return configMapSlots(object);
  if (object.kind === "CephCluster" && object.apiVersion.startsWith("ceph.rook.io/")) {
    const cephVersion = record(record(object.spec)?.cephVersion);
    return cephVersion ? stringSlot(cephVersion, "image") : [];
  }
  return podSpecSlots(object);
}

/**
 * Every image reference in one object: containers, initContainers, ephemeralContainers of a Pod or of any pod
 * template (Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob) with their *_IMAGE env values, Rook's
 * CephCluster spec.cephVersion.image, and image-valued ConfigMap entries: keys ending in _IMAGE (Rook's
 * ROOK_CSI_*_IMAGE) and every value of a ceph-csi-operator ImageSet (a ConfigMap named *image-set*).
 */
export function imagesOf(object: KubeObject): string[] {
  return imageSlots(object).map((slot) => slot.image);
}

/** Deep copies with every image (as imagesOf finds them) rewritten; returns the input copies unchanged when mirror is undefined. */
export function rewriteImages<T extends KubeObject>(objects: T[], mirror: string | undefined): T[] {
  const copies = objects.map(copyPlainData);
  if (mirror === undefined) return copies;
  for (const object of copies) {
    for (const slot of imageSlots(object)) slot.replace(mirrorImage(slot.image, mirror));
  }
  return copies;
}
