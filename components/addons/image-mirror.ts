// Behind a firewall every add-on image comes from one mirror registry: this finds the images in the add-ons'
// manifests and moves each by the rule in config/image-reference.ts, the one kube-vip's image follows too.
import { mirrorImage } from "../../config/image-reference";
import type { KubeObject } from "./manifest";

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
