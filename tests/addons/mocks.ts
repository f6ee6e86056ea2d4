// Pulumi mocks for the add-on components that also record what the engine would be told about ordering.
// A mock's newResource sees neither dependsOn nor the dependencies outputs create, so the mock monitor's
// registerResource/readResource are wrapped to keep each request's dependency list: the URNs the SDK sends the
// engine, which is exactly what the engine orders by.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../../config/spec";
import { clusterSpec, controlPlaneNode, workerNode } from "../kubeadm/cluster-spec-fixture";
import { opensslClusterCa } from "../kubeadm/openssl";

const settings: {
  getMonitor(): MonitorLike;
  waitForRPCs(): Promise<void>;
} = require("@pulumi/pulumi/runtime/settings");

interface RequestLike {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getParent(): string;
}

interface MonitorLike {
  registerResource(req: RequestLike, callback: unknown): Promise<void>;
  readResource(req: RequestLike, callback: unknown): Promise<void>;
}

/** What the id of a resource read with an unknown id arrives as; the engine skips such reads. */
export const UNKNOWN_ID = pulumi.runtime.unknownValue as string;

export interface Registered {
  type: string;
  name: string;
  /** Inputs as the engine gets them (secrets in their wire form). */
  inputs: Record<string, unknown>;
  /** Names of the resources this one depends on, as sent to the engine. */
  dependencies: string[];
  /** Name of the parent resource. */
  parent: string;
  /** Set for reads (Resource.get): the id read. */
  readId?: string;
}

export interface MockCluster {
  /** Every registration and read since install, in order. */
  readonly resources: Registered[];
  /** The token the fake token controller writes into the Secret read with this id. */
  tokenFor(id: string): string;
  /** Waits until every registration is answered. */
  settle(): Promise<void>;
}

function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

let madeCa: { certPem: string; keyPem: string } | undefined;
/** The CA the mocked tls resources return, made once per process. */
export function mockCa(): { certPem: string; keyPem: string } {
  madeCa ??= opensslClusterCa("ecdsa");
  return madeCa;
}

function requestKey(type: string, name: string): string {
  return `${type}::${name}`;
}

/**
 * Installs fresh mocks for one test file (mocks are global per process, so every file calls this in before()).
 * `preview` behaves like the engine during `pulumi preview`: created resources get no id.
 */
export async function installMocks(options: { preview: boolean }): Promise<MockCluster> {
  const resources: Registered[] = [];
  const pending = new Map<string, { dependencies: string[]; parent: string }>();
  const tokenFor = (id: string) => `token-of-${id}`;

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const request = pending.get(requestKey(args.type, args.name)) ?? { dependencies: [], parent: "" };
        const read = args.id !== undefined && args.id !== "";
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          ...request,
          ...(read ? { readId: args.id } : {}),
        });
        if (read) {
          if (args.id === UNKNOWN_ID) return { id: undefined, state: {} };
          const token = Buffer.from(tokenFor(args.id as string)).toString("base64");
          return { id: args.id, state: { ...args.inputs, data: { token } } };
        }
        // The tls provider's CA: a real one made by openssl, so that what derives from it (the hash) is real.
        if (args.type === "tls:index/privateKey:PrivateKey") {
          return { id: args.name, state: { ...args.inputs, privateKeyPem: mockCa().keyPem } };
        }
        if (args.type === "tls:index/selfSignedCert:SelfSignedCert") {
          return { id: args.name, state: { ...args.inputs, certPem: mockCa().certPem } };
        }
        const metadata = args.inputs.metadata as { name?: string; namespace?: string } | undefined;
        const id = metadata?.name ? [metadata.namespace, metadata.name].filter(Boolean).join("/") : args.name;
        return { id: options.preview ? undefined : id, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "pulumi-kubeadm",
    "test",
    options.preview,
  );

  const monitor = settings.getMonitor();
  const remember = (req: RequestLike) =>
    pending.set(requestKey(req.getType(), req.getName()), {
      dependencies: req.getDependenciesList().map(nameOf),
      parent: req.getParent() ? nameOf(req.getParent()) : "",
    });
  const registerResource = monitor.registerResource.bind(monitor);
  const readResource = monitor.readResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    remember(req);
    return registerResource(req, callback);
  };
  monitor.readResource = (req, callback) => {
    remember(req);
    return readResource(req, callback);
  };

  return { resources, tokenFor, settle: () => settings.waitForRPCs() };
}

/** A stand-in for KubeadmInit/KubeadmJoin: a custom resource to depend on. */
class KubeadmStep extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:KubeadmStep", name, {});
  }
}

export function stepResource(name: string): pulumi.CustomResource {
  return new KubeadmStep(name);
}

/** The fixture spec with `workers` workers and the add-ons as given. */
export function specWith(
  workers: number,
  addons: Partial<ClusterSpec["addons"]>,
  overrides: Partial<ClusterSpec> = {},
): ClusterSpec {
  const base = clusterSpec("v1.35.4", overrides);
  return {
    ...base,
    controlPlane: [controlPlaneNode()],
    workers: Array.from({ length: workers }, (_, i) => workerNode(`worker0${i + 1}`, `10.0.0.${10 + i}`)),
    addons: { ...base.addons, ...addons },
    ...overrides,
  };
}

/** Rook-Ceph enabled on every device of every node, with `overrides`. */
export function rookCephSettings(
  overrides: Partial<ClusterSpec["addons"]["rookCeph"]> = {},
): ClusterSpec["addons"]["rookCeph"] {
  return {
    enabled: true,
    devices: [],
    useAllDevices: true,
    dataDirHostPath: "/var/lib/rook",
    defaultStorageClass: true,
    ...overrides,
  };
}

/** The value an Output resolves to (with mocks, every Output resolves). */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** The Kubernetes objects (custom resources of the kubernetes package) among the recorded ones. */
export function kubernetesObjects(resources: Registered[], prefix: string): Registered[] {
  return resources.filter(
    (r) => r.type.startsWith("kubernetes:") && r.readId === undefined && r.name.startsWith(`${prefix}-`),
  );
}

export function findObject(resources: Registered[], kind: string, name: string, namespace?: string): Registered {
  const found = resources.filter((r) => {
    const metadata = r.inputs.metadata as { name?: string; namespace?: string } | undefined;
    return r.inputs.kind === kind && metadata?.name === name && metadata?.namespace === namespace;
  });
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} ${namespace ?? ""}/${name}, found ${found.length}`);
  }
  return found[0];
}

/** Every string under a key named "image", every *_IMAGE value and every value of an image-set ConfigMap. */
export function imagesIn(value: unknown, key = "", imageSet = false): string[] {
  if (typeof value === "string") return key === "image" || key.endsWith("_IMAGE") || imageSet ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((item) => imagesIn(item, key, imageSet));
  if (typeof value !== "object" || value === null) return [];
  const record = value as Record<string, unknown>;
  // Env entries name the variable beside its value.
  if (typeof record.name === "string" && record.name.endsWith("_IMAGE") && typeof record.value === "string") {
    return [record.value];
  }
  return Object.entries(record).flatMap(([k, v]) => imagesIn(v, k, imageSet));
}

export function imagesOfObject(resource: Registered): string[] {
  const metadata = resource.inputs.metadata as { name?: string } | undefined;
  const isImageSet = resource.inputs.kind === "ConfigMap" && (metadata?.name ?? "").includes("image-set");
  if (isImageSet) return imagesIn(resource.inputs.data, "", true);
  // CRDs describe "image" fields in their schemas; those are property definitions, not images.
  if (resource.inputs.kind === "CustomResourceDefinition") return [];
  return imagesIn(resource.inputs);
}
