// One Pulumi resource per Kubernetes object. The SDK's yaml.ConfigFile would do the same in one line, but v2
// expands the manifest inside the provider (previews and mocks only see one opaque resource) and v1 parses it
// through an invoke; registering each object here keeps every object in the preview, lets callers depend on
// exactly the objects they need (the CRDs, an operator's Deployment), and is the single place where images
// are moved to the mirror, so no addon can forget it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { rewriteImages } from "./image-mirror";
import type { KubeObject } from "./manifest";

export interface ApplyOptions {
  parent: pulumi.Resource;
  provider: pulumi.ProviderResource;
  /** spec.addons.imageMirror: the registry every image of the list moves to. */
  imageMirror: string | undefined;
  /** What must exist first, besides the list's own Namespaces and CRDs (which come before the rest of it). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** spec.addons.waitForRollout: false marks what waits on Pods pulumi.com/skipAwait. */
  waitForRollout?: boolean;
}

/**
 * Kinds whose readiness the Kubernetes provider ties to running Pods: workloads roll them out, a Service waits for
 * an endpoint, a Job for its Pods to complete.
 */
const POD_AWAITING_KINDS = new Set(["Deployment", "DaemonSet", "StatefulSet", "Service", "Job"]);

/**
 * The provider's own switch for not waiting on one object: a Pod that cannot start (an image still on its way
 * to the mirror) then fails the rollout in the cluster, not the whole `pulumi up`.
 */
function withoutAwait(object: KubeObject): KubeObject {
  if (!POD_AWAITING_KINDS.has(object.kind)) return object;
  const annotations = { ...(object.metadata.annotations ?? {}), "pulumi.com/skipAwait": "true" };
  return { ...object, metadata: { ...object.metadata, annotations } };
}

type ResourceClass = new (name: string, args: KubeObject, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

type SdkModules = Record<string, Record<string, Record<string, unknown> | undefined> | undefined>;

/** Kinds the rest of a list is created after: objects live in namespaces, custom resources need their CRD. */
const FOUNDATION_KINDS = new Set(["Namespace", "CustomResourceDefinition"]);

/**
 * The SDK's own class for a built-in kind (k8s.apps.v1.Deployment, ...), undefined for custom resources.
 * The typed classes matter beyond their type token: Secret's marks data and stringData as secret outputs.
 */
function builtInClass(apiVersion: string, kind: string): ResourceClass | undefined {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "core" : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  // Built-in groups have no dot (apps, batch, policy) or end in .k8s.io; any other group is a CRD's, even one
  // whose first label happens to name an SDK module.
  if (group.includes(".") && !group.endsWith(".k8s.io")) return undefined;
  const candidate = (k8s as unknown as SdkModules)[group.split(".")[0]]?.[version]?.[kind];
  return typeof candidate === "function" ? (candidate as ResourceClass) : undefined;
}

function objectKey(kind: string, name: string, namespace?: string): string {
  return [kind, namespace ?? "", name].join("/");
}

/** Stable, unique Pulumi names: renaming one would make Pulumi delete and re-create the object. */
export function resourceName(prefix: string, object: KubeObject): string {
  const { name, namespace } = object.metadata;
  return [prefix, object.kind, ...(namespace ? [namespace] : []), name].join("-").toLowerCase();
}

export class AppliedObjects {
  constructor(private readonly resources: Map<string, pulumi.CustomResource>) {}

  get all(): pulumi.CustomResource[] {
    return [...this.resources.values()];
  }

  /** The resource of one object; throws when the manifest has no such object (a vendored update renamed it). */
  find(kind: string, name: string, namespace?: string): pulumi.CustomResource {
    const found = this.resources.get(objectKey(kind, name, namespace));
    if (!found) throw new Error(`the manifest has no ${kind} ${namespace ? `${namespace}/` : ""}${name}`);
    return found;
  }
}

export function applyObjects(prefix: string, objects: KubeObject[], options: ApplyOptions): AppliedObjects {
  const rewritten = rewriteImages(objects, options.imageMirror);
  const mirrored = options.waitForRollout === false ? rewritten.map(withoutAwait) : rewritten;
  const foundation = mirrored.filter((object) => FOUNDATION_KINDS.has(object.kind));
  const rest = mirrored.filter((object) => !FOUNDATION_KINDS.has(object.kind));
  const resources = new Map<string, pulumi.CustomResource>();
  const names = new Set<string>();

  const register = (object: KubeObject, dependsOn: pulumi.Input<pulumi.Resource>[]): pulumi.CustomResource => {
    const name = resourceName(prefix, object);
    if (names.has(name)) throw new Error(`two objects of ${prefix} would both be named ${name}`);
    names.add(name);
    const opts: pulumi.CustomResourceOptions = { parent: options.parent, provider: options.provider, dependsOn };
    const cls = builtInClass(object.apiVersion, object.kind);
    const resource = cls
      ? new cls(name, object, opts)
      : new k8s.apiextensions.CustomResource(name, object as k8s.apiextensions.CustomResourceArgs, opts);
    resources.set(objectKey(object.kind, object.metadata.name, object.metadata.namespace), resource);
    return resource;
  };

  const before = options.dependsOn ?? [];
  const foundationResources = foundation.map((object) => register(object, before));
  for (const object of rest) register(object, [...before, ...foundationResources]);
  return new AppliedObjects(resources);
}
